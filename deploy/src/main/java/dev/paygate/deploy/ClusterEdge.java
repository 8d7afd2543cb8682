package dev.paygate.deploy;

import static dev.paygate.edge.EnvoyConfig.cast;
import static dev.paygate.edge.EnvoyConfig.list;
import static dev.paygate.edge.EnvoyConfig.map;
import static dev.paygate.edge.EnvoyConfig.socketAddress;

import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.capacity.ReplicaBreaker;
import dev.paygate.edge.generate.GlobalRateLimitEdge;
import dev.paygate.edge.generate.LocalBudgetShare;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * edge/target/envoy.yaml rendered for Kubernetes, in the parsed structure like the launcher's
 * LocalEdge: the JWKS from its Secret's mount, and the replicas found through the DNS of the
 * service's headless Service, the token issuer and audience the operator sets, and the global
 * rate-limit layer calling the chart's rate-limit Service ({@link GlobalRateLimitEdge}, the same
 * rendering as the launcher's), found by DNS, with each edge's local budgets cut to its share of
 * the edges its own headless Service lists ({@link LocalBudgetShare}), and the service cluster's
 * circuit breaker sized for the replicas the values allow (placeholders the chart fills in: the
 * names depend on the release, the rest on values). The build's
 * artifacts (descriptor set, Lua programs, Wasm, docs) stay at the paths the shipped config
 * reads, which edge/Dockerfile bakes into the edge image; the TLS Secret is mounted there too.
 */
public final class ClusterEdge {

    /** Where the edge Deployment mounts the JWKS Secret (templates/edge-deployment.yaml). */
    public static final String JWKS = "/etc/envoy/jwks/jwks.json";
    /** Replaced by the chart (templates/edge-configmap.yaml) with the headless Service's DNS name. */
    public static final String SERVICE_HOST = "paygate-service-headless.chart.invalid";
    /** Replaced by the chart with values jwt.issuer and jwt.audience, which the service gets too. */
    public static final String ISSUER = "paygate-jwt-issuer.chart.invalid";
    public static final String AUDIENCE = "paygate-jwt-audience.chart.invalid";
    /** Replaced by the chart with the rate-limit Service's DNS name (templates/ratelimit.yaml). */
    public static final String RATELIMIT_HOST = "paygate-ratelimit.chart.invalid";
    /** The rate-limit service's gRPC port (its GRPC_PORT and Service port in templates/ratelimit.yaml). */
    public static final int RATELIMIT_PORT = 8081;
    /** Replaced by the chart with the edges' own headless Service's DNS name (templates/edge-service.yaml). */
    public static final String EDGES_HOST = "paygate-edge-headless.chart.invalid";
    /**
     * Replaced by the chart with the service cluster's circuit-breaker bound, its replicas x what one
     * admits (templates/_helpers.tpl, paygate.serviceMaxRequests; {@link ReplicaBreaker}).
     */
    public static final String SERVICE_MAX_REQUESTS = "paygate-service-max-requests.chart.invalid";
    /** The edge's public listener (its container port https); Envoy only counts the edges there. */
    public static final int EDGE_PORT = 8443;
    private static final String JWT_AUTHN = "envoy.filters.http.jwt_authn";

    private ClusterEdge() {
    }

    public static EnvoyConfig render(EnvoyConfig shipped) {
        shipped.replaceFile("/etc/envoy/jwks.json", Path.of(JWKS));
        Map<String, Object> cluster = shipped.cluster(EnvoyConfig.SERVICE_CLUSTER);
        for (Object locality : list(map(cluster, "load_assignment"), "endpoints")) {
            for (Object endpoint : list(cast(locality), "lb_endpoints")) {
                socketAddress(map(cast(endpoint), "endpoint")).put("address", SERVICE_HOST);
            }
        }
        Map<String, Object> provider = cast(map(map(shipped.httpFilter(JWT_AUTHN), "typed_config"), "providers")
                .values().iterator().next());
        provider.put("issuer", ISSUER);
        provider.put("audiences", List.of(AUDIENCE));
        ReplicaBreaker.render(shipped, Map.of(ReplicaBreaker.maxRequestsKey(EnvoyConfig.SERVICE_CLUSTER), SERVICE_MAX_REQUESTS));
        GlobalRateLimitEdge.renderResolving(shipped, RATELIMIT_HOST, RATELIMIT_PORT);
        return LocalBudgetShare.renderResolving(shipped, EDGES_HOST, EDGE_PORT);
    }
}
