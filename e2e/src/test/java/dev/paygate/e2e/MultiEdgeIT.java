package dev.paygate.e2e;

import static dev.paygate.edge.EnvoyConfig.cast;
import static dev.paygate.edge.EnvoyConfig.list;
import static dev.paygate.edge.EnvoyConfig.map;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.paygate.devstack.MultiEdgeStack;
import dev.paygate.devstack.Stack;
import dev.paygate.edge.EnvoyConfig;
import com.fasterxml.jackson.databind.JsonNode;
import dev.paygate.edge.Repository;
import java.net.URI;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code ./paygate run --edges 2}'s stack ({@link MultiEdgeStack}): two Envoys in front of the
 * same replica, each with the global layer, one rate-limit service. One client spread over both
 * Envoys gets the global write budget, not twice it ({@link GlobalWriteBudget}); with the
 * rate-limit service down, each Envoy's local share (half a budget) still holds the two together
 * to about one local budget. A real Prometheus on ops/prometheus/prometheus.yml scrapes both
 * Envoys and the rate-limit service: every query of the global layer's dashboard returns data.
 */
@Tag("e2e")
class MultiEdgeIT {

    @RegisterExtension
    static final GlobalEdges EDGES = GlobalEdges.multiEdge("multi-edge", false);

    @Test
    void anAccountMadeThroughOneEnvoy_isReadThroughTheOther() {
        String account = new RestPayments(EDGES.edge(0)).createAccount(1_000).get("name").asText();

        Edge.Rest read = EDGES.edge(1).get("/v1/" + account);

        assertThat(read.status()).as(read.text()).isEqualTo(200);
        assertThat(read.json().get("name").asText()).isEqualTo(account);
    }

    @Test
    void rateLimitServiceDown_bothEnvoysTogetherAdmitAboutOneLocalWriteBudget_notTwo() throws Exception {
        Map<String, Object> bucket = map(cast(list(map(map(map(EnvoyConfig.load(Repository.locate().envoyYaml())
                .httpFilter("paygate.filters.http.ratelimit_writes"), "typed_config"), "extension_config"),
                "typed_config"), "descriptors").get(0)), "token_bucket");
        long burst = ((Number) bucket.get("max_tokens")).longValue();
        long perSecond = GlobalWriteBudget.perSecond();
        long loadMillis = 3_000;
        // One Envoy's whole write budget over the load: its burst, then its refill.
        long oneBudget = burst + perSecond * loadMillis / 1000;
        List<BooleanSupplier> writers = EDGES.grpcWriters("multi-edge-local-share");
        GlobalWriteBudget.Load load;
        EDGES.rateLimit().stopService();
        try {
            load = GlobalWriteBudget.load(writers, 8, loadMillis);
        } finally {
            EDGES.rateLimit().startService();
        }
        System.out.printf("rate-limit service down, one identity over 2 Envoys for %d ms: %d writes admitted, %d "
                + "refused (one Envoy's whole budget over the load: %d)%n", loadMillis, load.admitted(), load.refused(), oneBudget);
        assumeTrue(load.sent() > 2 * oneBudget, () -> "only " + load.sent()
                + " writes sent; the machine is too loaded to go over two budgets");
        assertThat(load.refused()).as("writes refused by the local layer").isPositive();
        assertThat((long) load.admitted()).as("writes admitted by both Envoys' local shares together")
                .isLessThanOrEqualTo(oneBudget + perSecond);
    }

    @Test
    void globalLayerDashboard_everyQueryReturnsData_afterChecksAnsweredAndFailed() throws Exception {
        Repository repository = Repository.locate();
        Stack stack = EDGES.multiEdgeStack().stack();
        List<String> envoys = stack.edges().stream().map(edge -> "127.0.0.1:" + edge.statsPort()).toList();
        List<String> replicas = stack.replicas().stream().map(r -> "127.0.0.1:" + r.managementPort()).toList();
        URI metrics = URI.create(EDGES.rateLimit().metricsUrl());
        List<String> queries = new ArrayList<>();
        for (JsonNode panel : Edge.JSON.readTree(repository.opsDir()
                .resolve("grafana/dashboards/paygate-global-ratelimit.json").toFile()).path("panels")) {
            panel.path("targets").forEach(target -> queries.add(target.path("expr").asText()));
        }
        assertThat(queries).isNotEmpty();
        try (Prometheus prometheus = Prometheus.start(repository, Map.of("envoy", envoys, "paygate", replicas,
                "ratelimit", List.of(metrics.getHost() + ":" + metrics.getPort())),
                Files.createDirectories(stack.workDir().resolve("prometheus-global")))) {
            await("every scrape target up").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500))
                    .until(() -> prometheus.targets().size() == 4
                            && prometheus.targets().values().stream().allMatch("up"::equals));
            // Answered checks, some over the budget: a burst of writes over both Envoys, and reads.
            List<BooleanSupplier> writers = EDGES.grpcWriters("multi-edge-dashboard");
            String account = new RestPayments(EDGES.edge(0)).createAccount(1_000).get("name").asText();
            for (int i = 0; i < 150; i++) {
                writers.get(i % 2).getAsBoolean();
            }
            assertThat(EDGES.edge(1).get("/v1/" + account).status()).isEqualTo(200);
            Map<String, JsonNode> answered = new LinkedHashMap<>();
            // The service flushes its own counters every 10 s: scraped before it stops (its restart starts from 0).
            awaitAnswers(prometheus, queries, answered, q -> !q.contains("error") && !q.contains("failure_mode_allowed"));
            // Failed checks on every budget: the service stopped under a read and a few writes.
            EDGES.rateLimit().stopService();
            try {
                assertThat(EDGES.edge(0).get("/v1/" + account).status()).isEqualTo(200);
                for (int i = 0; i < 4; i++) {
                    writers.get(0).getAsBoolean();
                }
                awaitAnswers(prometheus, queries, answered, q -> true);
            } finally {
                EDGES.rateLimit().startService();
            }
            assertThat(answered.keySet()).containsExactlyInAnyOrderElementsOf(queries);
        }
    }

    /** Polls Prometheus until each of {@code queries} that {@code which} selects has data. */
    private static void awaitAnswers(Prometheus prometheus, List<String> queries, Map<String, JsonNode> answered,
                                     java.util.function.Predicate<String> which) {
        await("dashboard queries answered").atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofSeconds(1))
                .conditionEvaluationListener(condition -> {
                    if (condition.getRemainingTimeInMS() < 1500) {
                        System.out.println("still without data: " + queries.stream().filter(which)
                                .filter(q -> !answered.containsKey(q)).toList());
                    }
                })
                .until(() -> {
                    queries.stream().filter(q -> !answered.containsKey(q)).forEach(q -> {
                        JsonNode result = prometheus.query(q);
                        if (!result.isEmpty()) {
                            answered.put(q, result);
                        }
                    });
                    return queries.stream().filter(which).allMatch(answered::containsKey);
                });
    }

    @Test
    void grpcClientOverBothEnvoys_getsTheGlobalWriteBudget_notTwice() throws Exception {
        GlobalWriteBudget.assertHeld("gRPC", EDGES.grpcWriters("multi-edge-grpc-writer"), EDGES.envoys());
    }

    @Test
    void restClientOverBothEnvoys_getsTheGlobalWriteBudget_notTwice() throws Exception {
        GlobalWriteBudget.assertHeld("REST", EDGES.restWriters("multi-edge-rest-writer"), EDGES.envoys());
    }
}
