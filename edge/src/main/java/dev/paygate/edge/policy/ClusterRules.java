package dev.paygate.edge.policy;

import dev.paygate.contract.Contract;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Who is in rotation, and how much a cluster takes: health checks decide, breakers bound. */
final class ClusterRules {

    static final Rule CLUSTER_UNGUARDED = new Rule("cluster-unguarded",
            "without active health checks a dead or NOT_SERVING replica keeps getting calls; without circuit "
                    + "breakers sized from a measured capacity a slow cluster queues up to Envoy's defaults "
                    + "(1024 requests, 1024 pending, 3 retries: circuit_breaker.proto), sized for nothing here",
            ClusterRules::clusterUnguarded);

    static final Rule OUTLIER_EJECTION_CLIENT_DRIVEN = new Rule("outlier-ejection-client-driven",
            "the router charges a replica with a gRPC error's status as HTTP (DEADLINE_EXCEEDED as 504, "
                    + "router.cc onUpstreamHeaders) and with its own timeouts as local-origin failures, so a client "
                    + "with short deadlines, or one that keeps a replica busy, can get healthy replicas ejected",
            ClusterRules::outlierEjectionClientDriven);

    static final List<Rule> ALL = List.of(CLUSTER_UNGUARDED, OUTLIER_EJECTION_CLIENT_DRIVEN);

    /** Detectors that count upstream 5xx or timeouts, with Envoy's default enforcement (outlier_detection.proto). */
    private static final Map<String, Long> EXTERNAL_DETECTORS = detectors(
            "consecutive_5xx", 100L, "consecutive_gateway_failure", 0L, "success_rate", 100L, "failure_percentage", 0L);
    /** The same for local-origin failures; they count only with split_external_local_origin_errors. */
    private static final Map<String, Long> LOCAL_ORIGIN_DETECTORS = detectors(
            "consecutive_local_origin_failure", 100L, "local_origin_success_rate", 100L,
            "failure_percentage_local_origin", 0L);

    private ClusterRules() {
    }

    private static void clusterUnguarded(EdgeModel edge, Contract contract, Rule.Sink sink) {
        for (String name : edge.apiClusters()) {
            Optional<Node> found = edge.cluster(name);
            if (found.isEmpty()) {
                continue;  // envoy --mode validate reports an unknown cluster
            }
            Node cluster = found.get();
            if (cluster.get("health_checks").items().isEmpty()) {
                sink.report(cluster.get("health_checks"), "cluster " + name + " has no health checks",
                        "add a grpc_health_check with interval 1s, unhealthy_threshold 2");
            }
            List<Node> thresholds = cluster.at("circuit_breakers.thresholds").items();
            if (thresholds.isEmpty()) {
                sink.report(cluster.get("circuit_breakers"), "cluster " + name + " has no circuit breakers",
                        "add circuit_breakers.thresholds with max_requests, max_pending_requests and a retry_budget");
            }
            for (Node threshold : thresholds) {
                for (String bound : List.of("max_requests", "max_pending_requests", "retry_budget")) {
                    if (!threshold.get(bound).present()) {
                        sink.report(threshold.get(bound), "cluster " + name + "'s circuit breaker leaves " + bound
                                        + " at Envoy's default",
                                "size " + bound + " from the measured capacity (docs/operations.md, \"Capacity and overload\")");
                    }
                }
            }
        }
    }

    private static void outlierEjectionClientDriven(EdgeModel edge, Contract contract, Rule.Sink sink) {
        for (String name : edge.apiClusters()) {
            Node outlier = edge.cluster(name).map(c -> c.get("outlier_detection")).orElse(new Node("", null));
            if (!outlier.present()) {
                continue;
            }
            Map<String, Long> detectors = new LinkedHashMap<>(EXTERNAL_DETECTORS);
            if (outlier.get("split_external_local_origin_errors").isTrue()) {
                detectors.putAll(LOCAL_ORIGIN_DETECTORS);
            }
            List<String> enforced = new ArrayList<>();
            Node where = null;
            for (Map.Entry<String, Long> detector : detectors.entrySet()) {
                Node enforcing = outlier.get("enforcing_" + detector.getKey());
                if (enforcing.number(detector.getValue()) > 0) {
                    enforced.add(detector.getKey());
                    where = where != null ? where : enforcing.present() ? enforcing : outlier;
                }
            }
            if (where != null) {
                sink.report(where, "cluster " + name + " enforces ejection on " + String.join(", ", enforced)
                                + everyReplica(outlier),
                        "set enforcing_" + String.join(", enforcing_", enforced) + " to 0 (an unset one takes Envoy's "
                                + "default, 100 for consecutive_5xx and the success rates); they stay detected in the "
                                + "stats, and the active health check decides who is in rotation");
            }
        }
    }

    /**
     * Envoy ejects a host only while (ejected + 1) / hosts stays within max_ejection_percent (default
     * 10), or when always_eject_one_host lets the first go (outlier_detection_impl.cc, ejectHost).
     */
    private static String everyReplica(Node outlier) {
        long percent = outlier.get("max_ejection_percent").number(10);
        if (percent >= 100) {
            return ", and max_ejection_percent " + percent + " lets it eject every replica";
        }
        return outlier.get("always_eject_one_host").isTrue() ? ", and always_eject_one_host ejects a lone replica" : "";
    }

    private static Map<String, Long> detectors(Object... namesAndDefaults) {
        Map<String, Long> detectors = new LinkedHashMap<>();
        for (int i = 0; i < namesAndDefaults.length; i += 2) {
            detectors.put((String) namesAndDefaults[i], (Long) namesAndDefaults[i + 1]);
        }
        return detectors;
    }
}
