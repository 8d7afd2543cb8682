package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.edge.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A gradual rollout through the real edge: one stable and one canary replica (the same build, in
 * the edge's two clusters), the weight moved with {@code ./paygate edge canary PERCENT}, and
 * where each call went read from Envoy's per-cluster counters.
 */
class CanaryIT {

    private static final String OPERATOR = "canary-it";
    private static final String STABLE = "cluster.paygate_service.upstream_rq_total";
    private static final String CANARY = "cluster.paygate_canary.upstream_rq_total";

    private static Edge edge;
    private static RestPayments rest;
    private static String account;

    @BeforeAll
    static void start() {
        edge = Edge.start("canary", options -> options.withCanary(1));
        rest = new RestPayments(edge);
        account = rest.createAccount(1000).get("name").asText();
    }

    @AfterAll
    static void stop() {
        edge.close();
    }

    @AfterEach
    void rollBack() {
        assertThat(canary(0).exitCode()).isZero();
    }

    @Test
    void weightZero_byDefault_sendsTheCanaryNothing() {
        long[] routed = reads(40);

        assertThat(routed[1]).as("canary calls").isZero();
        assertThat(routed[0]).as("stable calls").isEqualTo(40);
    }

    @Test
    void weight25_sendsAboutAQuarter_and100_sendsEverything() {
        Command.Result set = canary(25);
        assertThat(set.exitCode()).as(set.output()).isZero();
        assertThat(set.output()).contains("runtime_modify?paygate.rollout.paygate_canary=25&paygate.rollout.paygate_service=75");
        long[] quarter = reads(200);
        // 200 calls at p = 0.25: 50 expected, standard deviation 6.1; 30..70 is over 3 of them.
        assertThat(quarter[1]).as("canary share of 200").isBetween(30L, 70L);
        assertThat(quarter[0] + quarter[1]).isEqualTo(200);
        assertThat(edge("status").output()).contains("paygate.rollout.paygate_canary = 25").contains("paygate_canary");

        assertThat(canary(100).exitCode()).isZero();
        long[] all = reads(40);
        assertThat(all[0]).as("stable calls at 100 %").isZero();
        assertThat(all[1]).isEqualTo(40);
    }

    /**
     * Both builds share one database and its idempotency table: a keyed retry that lands on the
     * other build is answered with the stored result, and the payment is held once.
     */
    @Test
    void keyedWriteRepeatedOnTheOtherBuild_isReplayed_andChargedOnce() {
        Map<String, String> key = Map.of("idempotency-key", "canary-" + UUID.randomUUID());
        RestPayments.Balances before = rest.balances(account);

        long stableBefore = edge.stack().envoy().stat(STABLE);
        Edge.Rest first = rest.authorize(account, 40, key);
        assertThat(edge.stack().envoy().stat(STABLE)).as("first attempt on stable").isEqualTo(stableBefore + 1);
        assertThat(canary(100).exitCode()).isZero();
        long canaryBefore = edge.stack().envoy().stat(CANARY);
        Edge.Rest repeat = rest.authorize(account, 40, key);
        assertThat(edge.stack().envoy().stat(CANARY)).as("repeat on the canary").isEqualTo(canaryBefore + 1);

        assertThat(first.status()).as(first.text()).isEqualTo(200);
        assertThat(repeat.status()).as(repeat.text()).isEqualTo(200);
        assertThat(repeat.header("idempotent-replayed")).isEqualTo("true");
        assertThat(repeat.json()).isEqualTo(first.json());
        RestPayments.Balances after = rest.balances(account);
        assertThat(after.authorizations()).as("one authorization").isEqualTo(before.authorizations() + 1);
        assertThat(Long.parseLong(after.held()) - Long.parseLong(before.held())).as("held once").isEqualTo(40);
    }

    @Test
    void eachWeightChange_isLoggedWithWhoAndWhat() throws IOException {
        assertThat(canary(5).exitCode()).isZero();

        List<String> log = Files.readAllLines(edge.stack().workDir().resolve("runtime/changes.log"));
        assertThat(log.get(log.size() - 1)).contains(OPERATOR + "@")
                .contains("paygate.rollout.paygate_canary=5 paygate.rollout.paygate_service=95")
                .endsWith("./paygate edge canary 5");
        assertThat(edge("canary", "101").exitCode()).as("out of range").isEqualTo(2);
        assertThat(edge("canary", "-1").exitCode()).isEqualTo(2);
    }

    /** Reads {@code count} times; returns how many calls Envoy sent to stable and to the canary. */
    private static long[] reads(int count) {
        long stable = edge.stack().envoy().stat(STABLE);
        long canary = edge.stack().envoy().stat(CANARY);
        for (int i = 0; i < count; i++) {
            Edge.Rest answer = edge.get("/v1/" + account);
            assertThat(answer.status()).as(answer.text()).isEqualTo(200);
        }
        return new long[] {edge.stack().envoy().stat(STABLE) - stable, edge.stack().envoy().stat(CANARY) - canary};
    }

    private static Command.Result canary(int percent) {
        return edge("canary", Integer.toString(percent));
    }

    private static Command.Result edge(String... args) {
        return OperatorCommand.edge(edge, OPERATOR, args);
    }
}
