package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.paygate.devstack.GlobalRateLimitEdge;
import dev.paygate.devstack.LocalRateLimit;
import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.Repository;
import dev.paygate.edge.generate.RateLimitServiceConfig;
import dev.paygate.v1.AuthorizationServiceGrpc.AuthorizationServiceBlockingStub;
import dev.paygate.v1.CreateAuthorizationRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * One budget across two Envoys: one identity's writes, spread over both edges, are admitted at the
 * global rate (the rate-limit service on Redis counts them together), not at each Envoy's own.
 * Each Envoy's local bucket alone admits its burst plus its refill: about twice over two Envoys.
 * Over gRPC and over REST: a REST call is a gRPC call only after the transcoder, and a global
 * filter placed before it would find no route and let every REST call through.
 */
@Tag("e2e")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GlobalRateLimitIT {

    private static final Repository REPOSITORY = Repository.locate();
    private static final int CALLERS = 16;
    private static final long LOAD_MILLIS = 3_000;

    private LocalRateLimit limit;
    private Edge first;
    private Edge second;
    private long perSecond;

    @BeforeAll
    void start() throws Exception {
        perSecond = RateLimitServiceConfig.perSecond(EnvoyConfig.load(REPOSITORY.envoyYaml())).get("writes");
        limit = LocalRateLimit.start(REPOSITORY, Files.createTempDirectory("paygate-e2e-global-rl-"));
        first = globalEdge("global-rl-1", limit);
        second = globalEdge("global-rl-2", limit);
    }

    @AfterAll
    void stop() {
        for (AutoCloseable part : new AutoCloseable[] {second, first, limit}) {
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
    void grpcClientOverTwoEnvoys_getsTheGlobalWriteBudget_notTwice() throws Exception {
        // Empty writes, refused by the replica (INVALID_ARGUMENT): Envoy's answers to malformed
        // idempotency keys would not do, the ratelimit filter skips direct_response routes.
        String subject = "global-rl-grpc-writer";
        List<BooleanSupplier> writers = List.of(grpcWriter(first, subject), grpcWriter(second, subject));
        assertGlobalBudget("gRPC", writers);
    }

    @Test
    void restClientOverTwoEnvoys_getsTheGlobalWriteBudget_notTwice() throws Exception {
        // Empty JSON writes: the replica refuses them (400, INVALID_ARGUMENT); only a limiter answers 429.
        String subject = "global-rl-rest-writer";
        List<BooleanSupplier> writers = List.of(restWriter(first, subject), restWriter(second, subject));
        assertGlobalBudget("REST", writers);
    }

    /** Runs {@link #CALLERS} callers over the writers for {@link #LOAD_MILLIS}; asserts the admitted count. */
    private void assertGlobalBudget(String protocol, List<BooleanSupplier> writers) throws Exception {
        long localBefore = localRefused();
        long globalBefore = globalRefused();
        long failedOpenBefore = failedOpen();
        AtomicInteger admitted = new AtomicInteger();
        AtomicInteger limited = new AtomicInteger();
        ExecutorService callers = Executors.newFixedThreadPool(CALLERS);
        long start = System.currentTimeMillis();
        long end = start + LOAD_MILLIS;
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int i = 0; i < CALLERS; i++) {
                BooleanSupplier writer = writers.get(i % writers.size());
                running.add(callers.submit(() -> {
                    while (System.currentTimeMillis() < end) {
                        (writer.getAsBoolean() ? limited : admitted).incrementAndGet();
                    }
                }));
            }
            for (Future<?> caller : running) {
                caller.get(60, TimeUnit.SECONDS);
            }
        } finally {
            callers.shutdownNow();
        }
        // The service counts in fixed one-second windows: the load touches every second from start to end.
        long windows = end / 1000 - start / 1000 + 1;
        System.out.printf("%s, one identity over two Envoys for %d ms: %d writes admitted, %d refused (global %d/s, "
                        + "%d windows); refused by the local buckets %d, by the global layer %d; global checks failed "
                        + "open %d%n", protocol, LOAD_MILLIS, admitted.get(), limited.get(), perSecond, windows,
                localRefused() - localBefore, globalRefused() - globalBefore, failedOpen() - failedOpenBefore);
        // Under the budget nothing is refused and nothing is shown: a machine too loaded to send more
        // than the global budget skips the test (reported as skipped), it does not pass it.
        assumeTrue(admitted.get() + limited.get() > perSecond * windows, () -> protocol + ": only "
                + (admitted.get() + limited.get()) + " writes sent in " + LOAD_MILLIS + " ms, not more than the global "
                + "budget of the windows touched (" + perSecond * windows + "); the machine is too loaded to test it");
        assertThat(limited.get()).as("writes refused").isPositive();
        assertThat((long) admitted.get()).as("writes admitted: at most the global budget of each window touched")
                .isBetween(perSecond * (windows - 2), perSecond * windows);
    }

    private long localRefused() {
        return stat("paygate_ratelimit_writes.http_local_rate_limit.rate_limited");
    }

    private long globalRefused() {
        return stat("cluster.paygate_service.ratelimit." + GlobalRateLimitEdge.statPrefix(
                GlobalRateLimitEdge.globalFilter("paygate.filters.http.ratelimit_writes")) + ".over_limit");
    }

    /** Write checks let through because the rate-limit service did not answer in time (its 50 ms timeout). */
    private long failedOpen() {
        return stat("cluster.paygate_service.ratelimit." + GlobalRateLimitEdge.statPrefix(
                GlobalRateLimitEdge.globalFilter("paygate.filters.http.ratelimit_writes")) + ".failure_mode_allowed");
    }

    private long stat(String name) {
        return first.stack().envoy().stat(name) + second.stack().envoy().stat(name);
    }

    private static Edge globalEdge(String suite, LocalRateLimit limit) {
        InetSocketAddress service = new InetSocketAddress("127.0.0.1", limit.grpcPort());
        return Edge.start(suite, options -> options.withEdgeChange(config -> GlobalRateLimitEdge.render(config, service)));
    }

    /** An empty gRPC write through {@code edge}: whether a limiter refused it. */
    private static BooleanSupplier grpcWriter(Edge edge, String subject) {
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

    /** An empty REST write to an account of {@code edge}'s own: whether a limiter refused it. */
    private static BooleanSupplier restWriter(Edge edge, String subject) {
        String account = new RestPayments(edge).createAccount(1_000).get("name").asText();
        Map<String, String> headers = Map.of("authorization", Edge.bearer(edge.token(subject)));
        return () -> edge.send("POST", "/v1/" + account + "/authorizations", "{}", headers).status() == 429;
    }
}
