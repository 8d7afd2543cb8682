package dev.paygate.edge.generate;

import static dev.paygate.edge.EnvoyConfig.cast;
import static dev.paygate.edge.EnvoyConfig.list;
import static dev.paygate.edge.EnvoyConfig.map;

import dev.paygate.edge.EnvoyConfig;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.Yaml;

/**
 * The global layer, rendered into an edge config by the launcher (a rate-limit service on loopback)
 * and by the Helm chart's build (the chart's rate-limit Service, by DNS): for each local budget (per address, reads,
 * writes) an {@code envoy.filters.http.ratelimit} filter asks the rate-limit service about the
 * same budget, under the same matcher, so reads and writes stay apart. They sit right after the
 * transcoder: the ratelimit filter asks nothing when the request has no route (ratelimit.cc,
 * initiateCall), and the routes match gRPC paths only, so before the transcoder a REST call would
 * pass unchecked. grpc_stats stays last before the router, next to the calls the router sends to
 * a cluster (the canary guard compares clusters on its counters). The local layer still refuses
 * first, before any body is read. The shipped edge carries none of this: only an edge with a
 * rate-limit service beside it gets it.
 */
public final class GlobalRateLimitEdge {

    public static final String CLUSTER = "paygate_ratelimit";
    private static final String PREFIX = "paygate.filters.http.";
    private static final String TRANSCODER = "envoy.filters.http.grpc_json_transcoder";

    private GlobalRateLimitEdge() {
    }

    /** The global filter that follows a local budget's filter. */
    public static String globalFilter(String localFilter) {
        return PREFIX + "global_" + localFilter.substring(PREFIX.length());
    }

    /** The global filter's stat_prefix: its counters say which budget failed open or refused. */
    public static String statPrefix(String globalFilter) {
        return globalFilter.substring(PREFIX.length());
    }

    /** Adds the global layer, calling the rate-limit service at {@code service} (its gRPC port). */
    public static EnvoyConfig render(EnvoyConfig config, InetSocketAddress service) {
        return render(config, cluster("STATIC", service.getHostString(), service.getPort()));
    }

    /**
     * Adds the global layer, calling the rate-limit service at a DNS name (a Kubernetes Service);
     * Envoy re-resolves it (STRICT_DNS, every dns_refresh_rate: 5 s by default, cluster.proto).
     */
    public static EnvoyConfig renderResolving(EnvoyConfig config, String host, int port) {
        Map<String, Object> cluster = cluster("STRICT_DNS", host, port);
        cluster.put("dns_lookup_family", "V4_ONLY");  // as paygate_service: cluster networks here are IPv4
        return render(config, cluster);
    }

    private static EnvoyConfig render(EnvoyConfig config, Map<String, Object> cluster) {
        List<Object> filters = config.httpFilters();
        List<Object> actions = new ArrayList<>();
        int stage = 0;
        int afterTranscoder = filters.indexOf(config.httpFilter(TRANSCODER)) + 1;
        for (Map.Entry<String, String> budget : RateLimitServiceConfig.budgetFilters().entrySet()) {
            Map<String, Object> local = config.httpFilter(budget.getKey());
            filters.add(afterTranscoder + stage, global(globalFilter(budget.getKey()), local, stage));
            actions.add(rateLimit(stage, budget.getValue()));
            stage++;
        }
        Map<String, Object> host = cast(list(config.routeConfiguration(), "virtual_hosts").get(0));
        host.put("rate_limits", actions);
        list(map(config.tree(), "static_resources"), "clusters").add(cluster);
        return config;
    }

    /** The local filter's shape (plain, or wrapped in its matcher) with the ratelimit filter in its place. */
    private static Map<String, Object> global(String name, Map<String, Object> local, int stage) {
        Map<String, Object> ratelimit = new LinkedHashMap<>();
        ratelimit.put("@type", "type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimit");
        ratelimit.put("domain", RateLimitServiceConfig.DOMAIN);
        ratelimit.put("stage", stage);
        ratelimit.put("stat_prefix", statPrefix(name));
        ratelimit.put("timeout", "0.05s");  // same host or LAN; a slower answer counts as the service being down
        // Every class fails open onto the local layer, which already ran (docs/edge.md, "When the global
        // layer fails"); written out because the decision is ours, not a default we happen to get.
        ratelimit.put("failure_mode_deny", false);
        ratelimit.put("enable_x_ratelimit_headers", "DRAFT_VERSION_03");
        ratelimit.put("rate_limited_as_resource_exhausted", true);
        ratelimit.put("disable_x_envoy_ratelimited_header", true);  // the local layer's 429 has none either
        ratelimit.put("rate_limit_service", Map.of("transport_api_version", "V3",
                "grpc_service", Map.of("envoy_grpc", Map.of("cluster_name", CLUSTER))));
        Map<String, Object> copy = cast(new Yaml().load(new Yaml().dump(local)));
        copy.put("name", name);
        Map<String, Object> typed = map(copy, "typed_config");
        if (typed.containsKey("extension_config")) {
            Map<String, Object> extension = map(typed, "extension_config");
            extension.put("name", "envoy.filters.http.ratelimit");
            extension.put("typed_config", ratelimit);
        } else {
            copy.put("typed_config", ratelimit);
        }
        return copy;
    }

    /** The descriptor of one budget (its stage's only one): the masked address, or the budget's name and the verified sub. */
    private static Map<String, Object> rateLimit(int stage, String budget) {
        List<Object> actions = budget.isEmpty()
                ? List.of(Map.of("masked_remote_address", Map.of("v4_prefix_mask_len", 32, "v6_prefix_mask_len", 64)))
                : List.of(Map.of("generic_key", Map.of("descriptor_key", RateLimitServiceConfig.BUDGET_KEY,
                                "descriptor_value", budget)),
                        Map.of("metadata", Map.of("descriptor_key", RateLimitServiceConfig.SUBJECT_KEY,
                                "source", "DYNAMIC", "metadata_key", Map.of("key", EnvoyConfig.JWT_AUTHN,
                                        "path", List.of(Map.of("key", "jwt_payload"), Map.of("key", "sub"))))));
        return Map.of("stage", stage, "actions", actions);
    }

    private static Map<String, Object> cluster(String type, String host, int port) {
        Map<String, Object> socket = Map.of("address", host, "port_value", port);
        Map<String, Object> cluster = new LinkedHashMap<>();
        cluster.put("name", CLUSTER);
        cluster.put("type", type);
        cluster.put("connect_timeout", "0.25s");
        cluster.put("load_assignment", Map.of("cluster_name", CLUSTER, "endpoints", List.of(Map.of("lb_endpoints",
                List.of(Map.of("endpoint", Map.of("address", Map.of("socket_address", socket))))))));
        cluster.put("typed_extension_protocol_options", Map.of("envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                Map.of("@type", "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                        "explicit_http_config", Map.of("http2_protocol_options", Map.of()))));
        return cluster;
    }
}
