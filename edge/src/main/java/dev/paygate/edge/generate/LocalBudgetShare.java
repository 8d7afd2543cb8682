package dev.paygate.edge.generate;

import static dev.paygate.edge.EnvoyConfig.list;
import static dev.paygate.edge.EnvoyConfig.map;

import dev.paygate.edge.EnvoyConfig;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Each Envoy's local budgets shrink to its share when several Envoys serve one client: every
 * budget's local_ratelimit gets {@code local_cluster_rate_limit}, and {@code cluster_manager}'s
 * local cluster {@value #CLUSTER} lists the Envoys. Envoy divides by that cluster's
 * membership_total, every host healthy or not, and takes the whole budget when it has none
 * (local_ratelimit_impl.cc, DefaultEvenShareMonitor: 0 hosts -> 1.0, else 1 / N), so one Envoy, or a
 * cluster not resolved yet, keeps the whole budget. The local layer then bounds N Envoys to about
 * one budget even while the global layer fails open; a client that reaches only one Envoy gets
 * only its share. Envoy never sends a request to this cluster: it only counts the Envoys.
 */
public final class LocalBudgetShare {

    public static final String CLUSTER = "paygate_edges";

    private LocalBudgetShare() {
    }

    /** The Envoys of this machine, each at its public listener. */
    public static EnvoyConfig render(EnvoyConfig config, List<InetSocketAddress> edges) {
        Map<String, Object> cluster = cluster("STATIC", edges.stream()
                .<Object>map(edge -> endpoint(edge.getHostString(), edge.getPort())).toList());
        return render(config, cluster);
    }

    /**
     * The Envoys behind a DNS name listing each of them (a headless Service: its ready pods), found
     * again every dns_refresh_rate (5 s by default, cluster.proto).
     */
    public static EnvoyConfig renderResolving(EnvoyConfig config, String host, int port) {
        Map<String, Object> cluster = cluster("STRICT_DNS", List.of(endpoint(host, port)));
        cluster.put("dns_lookup_family", "V4_ONLY");  // as paygate_service: cluster networks here are IPv4
        return render(config, cluster);
    }

    private static EnvoyConfig render(EnvoyConfig config, Map<String, Object> cluster) {
        for (String filter : RateLimitServiceConfig.budgetFilters().keySet()) {
            RateLimitServiceConfig.limiter(config.httpFilter(filter)).put("local_cluster_rate_limit", Map.of());
        }
        Map<String, Object> tree = config.tree();
        tree.computeIfAbsent("cluster_manager", key -> new LinkedHashMap<String, Object>());
        map(tree, "cluster_manager").put("local_cluster_name", CLUSTER);
        list(map(tree, "static_resources"), "clusters").add(cluster);
        return config;
    }

    private static Map<String, Object> cluster(String type, List<Object> endpoints) {
        Map<String, Object> cluster = new LinkedHashMap<>();
        cluster.put("name", CLUSTER);
        cluster.put("type", type);
        cluster.put("load_assignment", Map.of("cluster_name", CLUSTER, "endpoints", List.of(Map.of("lb_endpoints", endpoints))));
        return cluster;
    }

    private static Map<String, Object> endpoint(String host, int port) {
        return Map.of("endpoint", Map.of("address", Map.of("socket_address", Map.of("address", host, "port_value", port))));
    }
}
