package dev.paygate.e2e;

import static dev.paygate.edge.EnvoyConfig.cast;
import static dev.paygate.edge.EnvoyConfig.list;
import static dev.paygate.edge.EnvoyConfig.map;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.EnvoyProcess;
import dev.paygate.edge.Repository;
import dev.paygate.edge.generate.GlobalRateLimitEdge;
import dev.paygate.edge.generate.RateLimitServiceConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The shadow step of a rollout on both layers: with the budgets in shadow mode in envoy.yaml
 * (paygate.ratelimit.enforced and its per-address twin at 0), the rate-limit service gets them as
 * shadow_mode descriptors (RateLimitServiceConfig). One identity writing well over the global budget is
 * refused by neither layer, while the service counts what was over it (its shadow_mode counter)
 * and answers OK (Envoy's global filter counts ok, not over_limit).
 */
@Tag("e2e")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GlobalShadowModeIT {

    private static final Repository REPOSITORY = Repository.locate();
    private static final String WRITES = "paygate.filters.http.ratelimit_writes";
    private static final int CALLERS = 8;
    private static final long LOAD_MILLIS = 3_000;

    @RegisterExtension
    static final GlobalEdges EDGES = GlobalEdges.separateStacks("global-shadow", 1, GlobalShadowModeIT::shadow);

    private Edge edge;

    @BeforeAll
    void start() {
        edge = EDGES.edge(0);
    }

    @Test
    void writesOverTheGlobalBudget_inShadowMode_areCountedByTheServiceButNoneRefused() throws Exception {
        long perSecond = RateLimitServiceConfig.perSecond(EnvoyConfig.load(REPOSITORY.envoyYaml())).get("writes");
        EnvoyProcess envoy = edge.stack().envoy();
        String global = "cluster.paygate_service.ratelimit."
                + GlobalRateLimitEdge.statPrefix(GlobalRateLimitEdge.globalFilter(WRITES)) + ".";
        long okBefore = envoy.stat(global + "ok");
        double shadowedBefore = shadowed();
        BooleanSupplier writer = GlobalWriteBudget.grpcWriter(edge, "global-shadow-writer");
        GlobalWriteBudget.Load load = GlobalWriteBudget.load(List.of(writer), CALLERS, LOAD_MILLIS);
        long windows = load.windows();
        long ok = envoy.stat(global + "ok") - okBefore;
        long overBudget = load.admitted() - perSecond * windows;
        // The service flushes its stats every STATS_FLUSH_INTERVAL (10 s by default, src/settings/settings.go).
        double shadowed = await().atMost(Duration.ofSeconds(25)).pollInterval(Duration.ofSeconds(1))
                .until(() -> shadowed() - shadowedBefore, counted -> counted >= overBudget || overBudget <= 0);
        System.out.printf("shadow mode, one identity for %d ms: %d writes admitted, %d refused (global %d/s, %d windows); "
                        + "global filter ok %d, over_limit %d, failure_mode_allowed %d; service shadow_mode +%.0f%n",
                LOAD_MILLIS, load.admitted(), load.refused(), perSecond, windows, ok, envoy.stat(global + "over_limit"),
                envoy.stat(global + "failure_mode_allowed"), shadowed);
        // A machine too loaded to send more than the budget shows nothing: skipped, not passed.
        assumeTrue(load.sent() > perSecond * windows + perSecond, () -> "only "
                + load.sent() + " writes sent; the machine is too loaded to go over the budget");
        assertThat(load.refused()).as("writes refused (RESOURCE_EXHAUSTED) in shadow mode").isZero();
        assertThat(envoy.stat(global + "over_limit")).as("global over_limit answers").isZero();
        assertThat(envoy.stat(global + "failure_mode_allowed")).as("checks that failed open").isZero();
        assertThat(ok).as("global checks answered OK").isEqualTo(load.admitted());
        assertThat(shadowed).as("writes the service counted over the budget, then let through")
                .isGreaterThanOrEqualTo(overBudget);
    }

    /** The service's shadow_mode counter of the writes' budget (0 before its first over-limit hit). */
    private double shadowed() {
        return EDGES.shadowedWrites();
    }

    /** Every budget in shadow mode, as docs/operations.md ("Shadow mode") says to set them. */
    private static EnvoyConfig shadow(EnvoyConfig config) {
        Map<String, Object> defaults = cast(list(map(config.tree(), "layered_runtime"), "layers").get(0));
        Map<String, Object> runtime = map(defaults, "static_layer");
        runtime.put("paygate.ratelimit.enforced", 0);
        runtime.put("paygate.ratelimit.per_address.enforced", 0);  // one client address: its floor too
        runtime.put("paygate.ratelimit.shadow_intended", "GlobalShadowModeIT: the shadow step of a rollout");
        return config;
    }
}
