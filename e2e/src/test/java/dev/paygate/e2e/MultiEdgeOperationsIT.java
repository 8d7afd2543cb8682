package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.paygate.devstack.MultiEdgeStack;
import dev.paygate.edge.Command;
import dev.paygate.edge.EnvoyProcess;
import dev.paygate.edge.Http;
import dev.paygate.edge.generate.GlobalRateLimitEdge;
import dev.paygate.edge.generate.RateLimitServiceConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Operating {@code ./paygate run --edges 2}'s stack ({@link MultiEdgeStack}, supervised as run
 * supervises it) while it serves: ./paygate edge shadow and enforce switch both layers on both
 * Envoys at run time, the local limiters through each Envoy's admin and the rate-limit service's
 * shadow_mode through its config file, with no restart; --edge N picks one Envoy; a rate-limit
 * service that was SIGKILLed is started again and the global layer counts again.
 */
@Tag("e2e")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MultiEdgeOperationsIT {

    private static final String OPERATOR = "multi-edge-operator";
    private static final String WRITES = "paygate.filters.http.ratelimit_writes";
    private static final String GLOBAL = "cluster.paygate_service.ratelimit."
            + GlobalRateLimitEdge.statPrefix(GlobalRateLimitEdge.globalFilter(WRITES)) + ".";
    private static final long LOAD_MILLIS = 3_000;
    private static final int CALLERS = 8;

    @RegisterExtension
    static final GlobalEdges EDGES = GlobalEdges.multiEdge("multi-edge-ops", true);

    @BeforeAll
    void start() {
        // One client address over both Envoys: its floor counts only, so that the identity budgets act alone.
        assertThat(edge("shadow", "--per-address").exitCode()).isZero();
    }

    @Test
    void shadowThenEnforce_atRunTime_switchBothLayersOnBothEnvoys() throws Exception {
        List<BooleanSupplier> writers = EDGES.grpcWriters("multi-edge-ops-writer");
        assertThat(edge("enforce").exitCode()).isZero();

        Command.Result shadow = edge("shadow");
        assertThat(shadow.exitCode()).as(shadow.output()).isZero();
        assertThat(shadow.output()).contains("on 2 Envoy(s)").contains("the global layer too");
        for (EnvoyProcess envoy : EDGES.envoys()) {
            assertThat(runtime(envoy, "paygate.ratelimit.enforced")).as(envoy.adminUrl("")).isEqualTo("0");
        }
        assertThat(loaded("writes")).contains("shadow_mode: true,");
        long overLimitBefore = stat(GLOBAL + "over_limit");
        double shadowedBefore = shadowed();
        GlobalWriteBudget.Load shadowed = load(writers);
        long overBudget = shadowed.admitted() - GlobalWriteBudget.perSecond() * shadowed.windows();
        System.out.printf("shadow on both layers, one identity over 2 Envoys for %d ms: %d writes admitted, %d refused; "
                + "global over_limit +%d%n", LOAD_MILLIS, shadowed.admitted(), shadowed.refused(),
                stat(GLOBAL + "over_limit") - overLimitBefore);
        long sent = shadowed.sent();
        assumeTrue(sent > GlobalWriteBudget.perSecond() * (shadowed.windows() + 1), () -> "only " + sent
                + " writes sent; the machine is too loaded to go over the global budget");
        assertThat(shadowed.refused()).as("writes refused in shadow mode, by either layer on either Envoy").isZero();
        assertThat(stat(GLOBAL + "over_limit") - overLimitBefore).as("global over_limit answers").isZero();
        // The service flushes its stats every STATS_FLUSH_INTERVAL (10 s by default).
        double counted = await().atMost(Duration.ofSeconds(25)).pollInterval(Duration.ofSeconds(1))
                .until(() -> shadowed() - shadowedBefore, over -> over >= overBudget);
        System.out.printf("the service counted %.0f writes over the budget in shadow mode (over by %d)%n", counted, overBudget);

        Command.Result enforce = edge("enforce");
        assertThat(enforce.exitCode()).as(enforce.output()).isZero();
        assertThat(enforce.output()).contains("on 2 Envoy(s)").contains("the global layer too");
        for (EnvoyProcess envoy : EDGES.envoys()) {
            assertThat(runtime(envoy, "paygate.ratelimit.enforced")).as(envoy.adminUrl("")).isEqualTo("100");
        }
        assertThat(loaded("writes")).contains("shadow_mode: false,");
        GlobalWriteBudget.Load enforced = load(writers);
        System.out.printf("enforced again: %d writes admitted, %d refused%n", enforced.admitted(), enforced.refused());
        assumeTrue(enforced.sent() > GlobalWriteBudget.perSecond() * enforced.windows(),
                () -> "the machine is too loaded to go over the global budget");
        assertThat(enforced.refused()).as("writes refused once enforced again").isPositive();
        assertThat((long) enforced.admitted()).as("writes admitted: at most the global budget of each window touched")
                .isLessThanOrEqualTo(GlobalWriteBudget.perSecond() * enforced.windows());
        assertThat(EDGES.envoys()).as("no Envoy restarted").allMatch(EnvoyProcess::isAlive);
    }

    @Test
    void edgeOption_actsOnThatEnvoyAlone_andRefusesOneTheStackDoesNotRun() throws IOException {
        EnvoyProcess envoy1 = EDGES.envoys().get(0);
        EnvoyProcess envoy2 = EDGES.envoys().get(1);

        Command.Result one = edge("--edge", "2", "enforce", "--per-address");
        try {
            assertThat(one.exitCode()).as(one.output()).isZero();
            assertThat(one.output()).contains("on 1 Envoy(s): " + envoy2.adminUrl(""));
            assertThat(runtime(envoy2, "paygate.ratelimit.per_address.enforced")).isEqualTo("100");
            assertThat(runtime(envoy1, "paygate.ratelimit.per_address.enforced")).as("the Envoy not named").isEqualTo("0");
        } finally {
            assertThat(edge("shadow", "--per-address").exitCode()).isZero();
        }
        assertThat(runtime(envoy2, "paygate.ratelimit.per_address.enforced")).isEqualTo("0");

        Command.Result none = edge("--edge", "3", "status");
        assertThat(none.exitCode()).isEqualTo(2);
        assertThat(none.output()).contains("--edge 3: the stack runs 2 Envoy(s)");
        assertThat(edge("status").output()).contains("=== Envoy, admin " + envoy1.adminUrl(""))
                .contains("=== Envoy, admin " + envoy2.adminUrl(""));
    }

    @Test
    void rateLimitServiceKilled_isStartedAgain_andTheGlobalLayerCountsAgain() throws Exception {
        EDGES.rateLimit().killService();
        await("the supervisor starts the rate-limit service again").atMost(Duration.ofSeconds(40))
                .pollInterval(Duration.ofMillis(250)).until(EDGES.rateLimit()::serviceHealthy);
        BooleanSupplier writer = GlobalWriteBudget.grpcWriter(EDGES.edge(0), "multi-edge-ops-after-restart");
        // Envoy opens a new connection to it on the next check; the first may still find none.
        await("a global check answered").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(() -> {
            long before = stat(GLOBAL + "ok") + stat(GLOBAL + "over_limit");
            writer.getAsBoolean();
            return stat(GLOBAL + "ok") + stat(GLOBAL + "over_limit") > before;
        });
        long answeredBefore = stat(GLOBAL + "ok") + stat(GLOBAL + "over_limit");
        long failedBefore = stat(GLOBAL + "error");

        for (int i = 0; i < 10; i++) {
            writer.getAsBoolean();
        }

        assertThat(stat(GLOBAL + "ok") + stat(GLOBAL + "over_limit") - answeredBefore)
                .as("global checks the restarted service answered").isEqualTo(10);
        assertThat(stat(GLOBAL + "error") - failedBefore).as("global checks that failed").isZero();
    }

    private static GlobalWriteBudget.Load load(List<BooleanSupplier> writers) throws Exception {
        return GlobalWriteBudget.load(writers, CALLERS, LOAD_MILLIS);
    }

    private Command.Result edge(String... args) {
        return OperatorCommand.edge(EDGES.edge(0), OPERATOR, args);
    }

    /** A counter summed over both Envoys. */
    private long stat(String name) {
        return EDGES.stat(name);
    }

    /** The value in force in one Envoy, from its admin. */
    private static String runtime(EnvoyProcess envoy, String key) throws IOException {
        return Edge.JSON.readTree(envoy.admin("/runtime")).path("entries").path(key).path("final_value").asText();
    }

    /** The service's loaded limit of a budget (its /rlconfig line), with its shadow_mode. */
    private String loaded(String budget) {
        String key = RateLimitServiceConfig.limitKey(budget) + ": ";
        return Http.body("GET", EDGES.rateLimit().loadedConfigUrl()).lines().filter(line -> line.startsWith(key))
                .findFirst().orElseThrow(() -> new AssertionError("no limit " + key + "in the service's loaded config"));
    }

    /** The service's shadow_mode counter of the writes' budget (0 before its first over-limit hit). */
    private double shadowed() {
        return EDGES.shadowedWrites();
    }
}
