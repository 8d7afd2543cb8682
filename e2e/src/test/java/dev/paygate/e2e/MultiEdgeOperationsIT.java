package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.paygate.devstack.EdgePorts;
import dev.paygate.devstack.MultiEdgeStack;
import dev.paygate.devstack.TestStacks;
import dev.paygate.edge.Command;
import dev.paygate.edge.EnvoyProcess;
import dev.paygate.edge.Http;
import dev.paygate.edge.Repository;
import dev.paygate.edge.generate.GlobalRateLimitEdge;
import dev.paygate.edge.generate.RateLimitServiceConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

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
    // The service's Prometheus exporter: ratelimit.service.rate_limit.<domain>.<key1>.<key2>.shadow_mode.
    private static final Pattern SHADOWED = Pattern.compile("(?m)^ratelimit_service_rate_limit_shadow_mode\\{"
            + "domain=\"paygate\",key1=\"budget_writes\",key2=\"subject\"} (\\S+)$");

    private MultiEdgeStack running;
    private Edge first;
    private Edge second;

    @BeforeAll
    void start() throws Exception {
        running = MultiEdgeStack.start(Repository.locate(),
                TestStacks.options(1, Files.createTempDirectory("paygate-e2e-multi-edge-ops-")), List.of(EdgePorts.free()));
        running.supervise(Duration.ofMillis(500));
        List<EdgePorts> edges = running.stack().edges();
        first = Edge.through(running.stack(), edges.get(0).port(), "multi-edge-ops");
        second = Edge.through(running.stack(), edges.get(1).port(), "multi-edge-ops");
        // One client address over both Envoys: its floor counts only, so that the identity budgets act alone.
        assertThat(edge("shadow", "--per-address").exitCode()).isZero();
    }

    @AfterAll
    void stop() {
        for (AutoCloseable part : new AutoCloseable[] {second, first, running}) {
            if (part != null) {
                try {
                    part.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    @Test
    void shadowThenEnforce_atRunTime_switchBothLayersOnBothEnvoys() throws Exception {
        String subject = "multi-edge-ops-writer";
        List<BooleanSupplier> writers = List.of(GlobalWriteBudget.grpcWriter(first, subject),
                GlobalWriteBudget.grpcWriter(second, subject));
        assertThat(edge("enforce").exitCode()).isZero();

        Command.Result shadow = edge("shadow");
        assertThat(shadow.exitCode()).as(shadow.output()).isZero();
        assertThat(shadow.output()).contains("on 2 Envoy(s)").contains("the global layer too");
        for (EnvoyProcess envoy : running.stack().envoys()) {
            assertThat(runtime(envoy, "paygate.ratelimit.enforced")).as(envoy.adminUrl("")).isEqualTo("0");
        }
        assertThat(loaded("writes")).contains("shadow_mode: true,");
        long overLimitBefore = stat(GLOBAL + "over_limit");
        double shadowedBefore = shadowed();
        Load shadowed = load(writers);
        long overBudget = shadowed.admitted - GlobalWriteBudget.perSecond() * shadowed.windows;
        System.out.printf("shadow on both layers, one identity over 2 Envoys for %d ms: %d writes admitted, %d refused; "
                + "global over_limit +%d%n", LOAD_MILLIS, shadowed.admitted, shadowed.refused,
                stat(GLOBAL + "over_limit") - overLimitBefore);
        long sent = shadowed.admitted + shadowed.refused;
        assumeTrue(sent > GlobalWriteBudget.perSecond() * (shadowed.windows + 1), () -> "only " + sent
                + " writes sent; the machine is too loaded to go over the global budget");
        assertThat(shadowed.refused).as("writes refused in shadow mode, by either layer on either Envoy").isZero();
        assertThat(stat(GLOBAL + "over_limit") - overLimitBefore).as("global over_limit answers").isZero();
        // The service flushes its stats every STATS_FLUSH_INTERVAL (10 s by default).
        double counted = await().atMost(Duration.ofSeconds(25)).pollInterval(Duration.ofSeconds(1))
                .until(() -> shadowed() - shadowedBefore, over -> over >= overBudget);
        System.out.printf("the service counted %.0f writes over the budget in shadow mode (over by %d)%n", counted, overBudget);

        Command.Result enforce = edge("enforce");
        assertThat(enforce.exitCode()).as(enforce.output()).isZero();
        assertThat(enforce.output()).contains("on 2 Envoy(s)").contains("the global layer too");
        for (EnvoyProcess envoy : running.stack().envoys()) {
            assertThat(runtime(envoy, "paygate.ratelimit.enforced")).as(envoy.adminUrl("")).isEqualTo("100");
        }
        assertThat(loaded("writes")).contains("shadow_mode: false,");
        Load enforced = load(writers);
        System.out.printf("enforced again: %d writes admitted, %d refused%n", enforced.admitted, enforced.refused);
        assumeTrue(enforced.admitted + enforced.refused > GlobalWriteBudget.perSecond() * enforced.windows,
                () -> "the machine is too loaded to go over the global budget");
        assertThat(enforced.refused).as("writes refused once enforced again").isPositive();
        assertThat((long) enforced.admitted).as("writes admitted: at most the global budget of each window touched")
                .isLessThanOrEqualTo(GlobalWriteBudget.perSecond() * enforced.windows);
        assertThat(running.stack().envoys()).as("no Envoy restarted").allMatch(EnvoyProcess::isAlive);
    }

    @Test
    void edgeOption_actsOnThatEnvoyAlone_andRefusesOneTheStackDoesNotRun() throws IOException {
        EnvoyProcess envoy1 = running.stack().envoys().get(0);
        EnvoyProcess envoy2 = running.stack().envoys().get(1);

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
        running.rateLimit().killService();
        await("the supervisor starts the rate-limit service again").atMost(Duration.ofSeconds(40))
                .pollInterval(Duration.ofMillis(250)).until(running.rateLimit()::serviceHealthy);
        BooleanSupplier writer = GlobalWriteBudget.grpcWriter(first, "multi-edge-ops-after-restart");
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

    private record Load(int admitted, int refused, long windows) {
    }

    /** {@link #CALLERS} callers over the writers for {@link #LOAD_MILLIS}; the one-second windows touched. */
    private static Load load(List<BooleanSupplier> writers) throws Exception {
        AtomicInteger admitted = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        ExecutorService callers = Executors.newFixedThreadPool(CALLERS);
        long start = System.currentTimeMillis();
        long end = start + LOAD_MILLIS;
        try {
            List<Future<?>> calls = new ArrayList<>();
            for (int i = 0; i < CALLERS; i++) {
                BooleanSupplier writer = writers.get(i % writers.size());
                calls.add(callers.submit(() -> {
                    while (System.currentTimeMillis() < end) {
                        (writer.getAsBoolean() ? refused : admitted).incrementAndGet();
                    }
                }));
            }
            for (Future<?> call : calls) {
                call.get(60, TimeUnit.SECONDS);
            }
        } finally {
            callers.shutdownNow();
        }
        return new Load(admitted.get(), refused.get(), end / 1000 - start / 1000 + 1);
    }

    private Command.Result edge(String... args) {
        return OperatorCommand.edge(first, OPERATOR, args);
    }

    /** A counter summed over both Envoys. */
    private long stat(String name) {
        return running.stack().envoys().stream().mapToLong(envoy -> envoy.stat(name)).sum();
    }

    /** The value in force in one Envoy, from its admin. */
    private static String runtime(EnvoyProcess envoy, String key) throws IOException {
        return Edge.JSON.readTree(envoy.admin("/runtime")).path("entries").path(key).path("final_value").asText();
    }

    /** The service's loaded limit of a budget (its /rlconfig line), with its shadow_mode. */
    private String loaded(String budget) {
        String key = RateLimitServiceConfig.limitKey(budget) + ": ";
        return Http.body("GET", running.rateLimit().loadedConfigUrl()).lines().filter(line -> line.startsWith(key))
                .findFirst().orElseThrow(() -> new AssertionError("no limit " + key + "in the service's loaded config"));
    }

    /** The service's shadow_mode counter of the writes' budget (0 before its first over-limit hit). */
    private double shadowed() {
        Matcher found = SHADOWED.matcher(Http.body("GET", running.rateLimit().metricsUrl()));
        return found.find() ? Double.parseDouble(found.group(1)) : 0;
    }
}
