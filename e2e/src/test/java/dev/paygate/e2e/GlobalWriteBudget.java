package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.EnvoyProcess;
import dev.paygate.edge.Repository;
import dev.paygate.edge.generate.GlobalRateLimitEdge;
import dev.paygate.edge.generate.RateLimitServiceConfig;
import dev.paygate.v1.AuthorizationServiceGrpc.AuthorizationServiceBlockingStub;
import dev.paygate.v1.CreateAuthorizationRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * One identity's writes spread over several Envoys, held to the global write budget (the
 * rate-limit service on Redis counts them together), not to each Envoy's own: each Envoy's local
 * bucket alone admits its burst plus its refill, about N times the budget over N Envoys.
 */
final class GlobalWriteBudget {

    private static final int CALLERS = 16;
    private static final long LOAD_MILLIS = 3_000;

    private GlobalWriteBudget() {
    }

    /** The global budget of writes per second, from envoy.yaml's budgets. */
    static long perSecond() {
        return RateLimitServiceConfig.perSecond(EnvoyConfig.load(Repository.locate().envoyYaml())).get("writes");
    }

    /**
     * Runs {@link #CALLERS} callers over the writers (in turn: caller i uses writer i mod their
     * number) for {@link #LOAD_MILLIS}; asserts the admitted count against the global budget of
     * every one-second window touched. {@code envoys} are the Envoys the writers call, for counters.
     */
    static void assertHeld(String protocol, List<BooleanSupplier> writers, List<EnvoyProcess> envoys) throws Exception {
        long perSecond = perSecond();
        long localBefore = stat(envoys, localRefused());
        long globalBefore = stat(envoys, globalRefused());
        long failedOpenBefore = stat(envoys, failedOpen());
        Load load = load(writers, CALLERS, LOAD_MILLIS);
        System.out.printf("%s, one identity over %d Envoys for %d ms: %d writes admitted, %d refused (global %d/s, "
                        + "%d windows); refused by the local buckets %d, by the global layer %d; global checks failed "
                        + "open %d%n", protocol, envoys.size(), LOAD_MILLIS, load.admitted(), load.refused(), perSecond,
                load.windows(), stat(envoys, localRefused()) - localBefore, stat(envoys, globalRefused()) - globalBefore,
                stat(envoys, failedOpen()) - failedOpenBefore);
        // Under the budget nothing is refused and nothing is shown: a machine too loaded to send more
        // than the global budget skips the test (reported as skipped), it does not pass it.
        assumeTrue(load.sent() > perSecond * load.windows(), () -> protocol + ": only "
                + load.sent() + " writes sent in " + LOAD_MILLIS + " ms, not more than the global "
                + "budget of the windows touched (" + perSecond * load.windows() + "); the machine is too loaded to test it");
        assertThat(load.refused()).as("writes refused").isPositive();
        assertThat((long) load.admitted()).as("writes admitted: at most the global budget of each window touched")
                .isBetween(perSecond * (load.windows() - 2), perSecond * load.windows());
    }

    /** Writes a load admitted and refused, and the service's one-second windows it touched. */
    record Load(int admitted, int refused, long windows) {

        long sent() {
            return (long) admitted + refused;
        }
    }

    /**
     * {@code callers} callers over the writers in turn (caller i uses writer i mod their number)
     * for {@code millis}, counting the writes a limiter refused and the others.
     */
    static Load load(List<BooleanSupplier> writers, int callers, long millis) throws Exception {
        AtomicInteger admitted = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        long start = System.currentTimeMillis();
        long end = start + millis;
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                BooleanSupplier writer = writers.get(i % writers.size());
                running.add(pool.submit(() -> {
                    while (System.currentTimeMillis() < end) {
                        (writer.getAsBoolean() ? refused : admitted).incrementAndGet();
                    }
                }));
            }
            for (Future<?> caller : running) {
                caller.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        // The service counts in fixed one-second windows: the load touches every second from start to end.
        return new Load(admitted.get(), refused.get(), end / 1000 - start / 1000 + 1);
    }

    /** An empty gRPC write through {@code edge}: whether a limiter refused it. */
    static BooleanSupplier grpcWriter(Edge edge, String subject) {
        // Empty writes, refused by the replica (INVALID_ARGUMENT): Envoy's answers to malformed
        // idempotency keys would not do, the ratelimit filter skips direct_response routes.
        AuthorizationServiceBlockingStub stub = edge.authorizations(Map.of("authorization", Edge.bearer(edge.token(subject))));
        return () -> {
            try {
                stub.withDeadlineAfter(10, TimeUnit.SECONDS).createAuthorization(CreateAuthorizationRequest.getDefaultInstance());
                return false;
            } catch (StatusRuntimeException e) {
                return e.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED;
            }
        };
    }

    /** An empty REST write to an account made through {@code edge}: whether a limiter refused it. */
    static BooleanSupplier restWriter(Edge edge, String subject) {
        // Empty JSON writes: the replica refuses them (400, INVALID_ARGUMENT); only a limiter answers 429.
        String account = new RestPayments(edge).createAccount(1_000).get("name").asText();
        Map<String, String> headers = Map.of("authorization", Edge.bearer(edge.token(subject)));
        return () -> edge.send("POST", "/v1/" + account + "/authorizations", "{}", headers).status() == 429;
    }

    private static String localRefused() {
        return "paygate_ratelimit_writes.http_local_rate_limit.rate_limited";
    }

    private static String globalRefused() {
        return "cluster.paygate_service.ratelimit." + GlobalRateLimitEdge.statPrefix(
                GlobalRateLimitEdge.globalFilter("paygate.filters.http.ratelimit_writes")) + ".over_limit";
    }

    /** Write checks let through because the rate-limit service did not answer in time (its 50 ms timeout). */
    private static String failedOpen() {
        return "cluster.paygate_service.ratelimit." + GlobalRateLimitEdge.statPrefix(
                GlobalRateLimitEdge.globalFilter("paygate.filters.http.ratelimit_writes")) + ".failure_mode_allowed";
    }

    private static long stat(List<EnvoyProcess> envoys, String name) {
        return envoys.stream().mapToLong(envoy -> envoy.stat(name)).sum();
    }
}
