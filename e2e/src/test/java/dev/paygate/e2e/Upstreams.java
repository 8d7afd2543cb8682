package dev.paygate.e2e;

import static org.awaitility.Awaitility.await;

import dev.paygate.devstack.ServiceProcess;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What Envoy knows about the service replicas, read the way an operator reads it: the admin
 * {@code /clusters} page (per-host health flags and request counters) and the JSON access log in
 * the stack's work directory.
 */
final class Upstreams {

    private static final String CLUSTER = "paygate_service";

    /** One replica as Envoy's {@code /clusters} shows it. */
    record Host(String address, String healthFlags, long requests, long errors) {

        /** True when no health flag is set, i.e. the load balancer may pick it. */
        boolean healthy() {
            return healthFlags.equals("healthy");
        }

        /** True when the active gRPC health check failed (NOT_SERVING, or no answer). */
        boolean failedHealthCheck() {
            return healthFlags.contains("/failed_active_hc");
        }
    }

    private Upstreams() {
    }

    /** The replica's row in {@code /clusters}. */
    static Host host(Edge edge, ServiceProcess replica) {
        String address = "127.0.0.1:" + replica.grpcPort();
        String prefix = CLUSTER + "::" + address + "::";
        String flags = null;
        long requests = 0;
        long errors = 0;
        for (String line : edge.stack().envoy().admin("/clusters").split("\n")) {
            if (!line.startsWith(prefix)) {
                continue;
            }
            String[] stat = line.substring(prefix.length()).split("::", 2);
            switch (stat[0]) {
                case "health_flags" -> flags = stat[1];
                case "rq_total" -> requests = Long.parseLong(stat[1]);
                case "rq_error" -> errors = Long.parseLong(stat[1]);
                default -> { }
            }
        }
        if (flags == null) {
            throw new IllegalStateException("envoy /clusters has no host " + address);
        }
        return new Host(address, flags, requests, errors);
    }

    /** One line per replica (health flags, calls, errors) and the cluster's ejection counters, for reports. */
    static String describe(Edge edge) {
        StringBuilder text = new StringBuilder();
        for (ServiceProcess replica : edge.stack().replicas()) {
            Host host = host(edge, replica);
            text.append(host.address()).append(' ').append(host.healthFlags()).append(" rq_total=")
                    .append(host.requests()).append(" rq_error=").append(host.errors()).append("; ");
        }
        for (String stat : new String[] {"ejections_active", "ejections_enforced_total",
                "ejections_enforced_consecutive_gateway_failure", "ejections_detected_consecutive_gateway_failure"}) {
            text.append(stat).append('=')
                    .append(edge.stack().envoy().stat("cluster." + CLUSTER + ".outlier_detection." + stat)).append(' ');
        }
        text.append("health_check.failure=").append(edge.stack().envoy().stat("cluster." + CLUSTER + ".health_check.failure"));
        for (String stat : new String[] {"cluster_updated_via_merge", "update_out_of_merge_window", "update_merge_cancelled"}) {
            text.append(' ').append(stat).append('=').append(edge.stack().envoy().stat("cluster_manager." + stat));
        }
        return text.toString();
    }

    /** The cluster's counters whose names match {@code regex} and are not zero, "name: value" each, for reports. */
    static List<String> nonZeroClusterStats(Edge edge, String regex) {
        return edge.stack().envoy().admin("/stats?filter=" + java.net.URLEncoder.encode(
                        "^cluster\\." + CLUSTER + "\\..*(" + regex + ")", java.nio.charset.StandardCharsets.UTF_8))
                .lines().filter(line -> !line.endsWith(": 0")).map(line -> line.substring(("cluster." + CLUSTER + ".").length()))
                .toList();
    }

    static boolean allHealthy(Edge edge) {
        return edge.stack().replicas().stream().allMatch(replica -> host(edge, replica).healthy());
    }

    /**
     * Makes {@code call} until every replica has served at least one more of them. Healthy in
     * {@code /clusters} is not yet in rotation: Envoy's workers pick a recovered replica up to
     * about a second later.
     */
    static void awaitEveryReplicaServing(Edge edge, Duration timeout, Runnable call) {
        Map<String, Long> before = new HashMap<>();
        for (ServiceProcess replica : edge.stack().replicas()) {
            Host host = host(edge, replica);
            before.put(host.address(), host.requests());
        }
        await("every replica serving calls").atMost(timeout).pollInterval(Duration.ofMillis(20))
                .until(() -> {
                    call.run();
                    return edge.stack().replicas().stream().map(replica -> host(edge, replica))
                            .allMatch(host -> host.requests() > before.get(host.address()));
                });
    }

    /** Brings back any replica a previous test killed, then waits until Envoy sees all healthy. */
    static void restartDeadReplicasAndAwaitAllHealthy(Edge edge) {
        for (int i = 0; i < edge.stack().replicas().size(); i++) {
            if (!edge.stack().replicas().get(i).isAlive()) {
                edge.stack().restart(i);
            }
        }
        await("every replica healthy in envoy").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> allHealthy(edge));
    }
}
