package dev.paygate.edge.generate;

import dev.paygate.edge.EnvoyConfig;

/**
 * The edge of docker-compose.yml: the shipped envoy.yaml (whose replicas already are the compose
 * name "service") with the global layer calling the compose service {@value #RATELIMIT_HOST}
 * ({@link GlobalRateLimitEdge}) and its local budgets divided by the Envoys the compose name
 * {@value #EDGES_HOST} resolves to ({@link LocalBudgetShare}; one unless scaled), as the Helm chart's
 * edge has them.
 */
public final class ComposeEdge {

    /** The compose service of envoyproxy/ratelimit, on its GRPC_PORT. */
    public static final String RATELIMIT_HOST = "ratelimit";
    public static final int RATELIMIT_PORT = 8081;
    /** The compose service of the Envoys, on their public listener. */
    public static final String EDGES_HOST = "envoy";
    public static final int EDGE_PORT = 8443;

    private ComposeEdge() {
    }

    public static EnvoyConfig render(EnvoyConfig shipped) {
        GlobalRateLimitEdge.renderResolving(shipped, RATELIMIT_HOST, RATELIMIT_PORT);
        return LocalBudgetShare.renderResolving(shipped, EDGES_HOST, EDGE_PORT);
    }
}
