package dev.paygate.e2e;

import static dev.paygate.e2e.RestPayments.RETRY_INFO;
import static dev.paygate.e2e.RestPayments.assertError;
import static dev.paygate.e2e.RestPayments.detail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import dev.paygate.devstack.LocalRateLimit;
import dev.paygate.e2e.Edge.Rest;
import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.EnvoyProcess;
import dev.paygate.edge.Repository;
import dev.paygate.edge.generate.GlobalRateLimitEdge;
import dev.paygate.edge.generate.RateLimitServiceConfig;
import dev.paygate.v1.AuthorizationServiceGrpc.AuthorizationServiceBlockingStub;
import dev.paygate.v1.CreateAuthorizationRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The global layer when it cannot answer, and when it says no. With Redis or the rate-limit service
 * stopped, reads and writes fail open onto the local layer (docs/edge.md, "When the global layer
 * fails"): the service answers them, Envoy counts each in its global filter's
 * {@code ratelimit.failure_mode_allowed}, the local buckets still refuse a burst, and the global
 * layer counts again once the part is back. Over the global budget (one second's window, below the
 * local burst), REST gets the local layer's 429 and gRPC its RESOURCE_EXHAUSTED with RetryInfo.
 */
@Tag("e2e")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GlobalRateLimitFailureIT {

    private static final Repository REPOSITORY = Repository.locate();
    private static final String READS = "paygate.filters.http.ratelimit_reads";
    private static final String WRITES = "paygate.filters.http.ratelimit_writes";
    private static final String LOCAL_WRITES_REFUSED = "paygate_ratelimit_writes.http_local_rate_limit.rate_limited";
    /** Sequential reads and writes per phase: well inside every budget, so only a failure can refuse one. */
    private static final int ROUNDS = 10;
    /** Concurrent writes of one identity: more than the global window (50) and at most the local burst (100). */
    private static final int OVER_GLOBAL = 100;

    @RegisterExtension
    static final GlobalEdges EDGES = GlobalEdges.separateStacks("global-rl-failure", 1, UnaryOperator.identity());

    private LocalRateLimit limit;
    private Edge edge;
    private EnvoyProcess envoy;
    private String account;
    private ExecutorService callers;

    @BeforeAll
    void start() throws Exception {
        limit = EDGES.rateLimit();
        edge = EDGES.edge(0);
        envoy = edge.stack().envoy();
        account = new RestPayments(edge).createAccount(1_000_000).get("name").asText();
        callers = Executors.newFixedThreadPool(16);
    }

    @AfterAll
    void stop() {
        if (callers != null) {
            callers.shutdownNow();
        }
    }

    @Test
    void redisDown_readsAndWritesFailOpenOntoTheLocalLayer_countedAndRecovered() {
        outage(limit::stopRedis, limit::startRedis);
    }

    @Test
    void rateLimitServiceDown_readsAndWritesFailOpenOntoTheLocalLayer_countedAndRecovered() {
        outage(limit::stopService, limit::startService);
    }

    private void outage(Runnable stop, Runnable restart) {
        // A test before this one may have spent this second's per-address window: wait for a clean round.
        await("a round inside every budget").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> exchange().equals(Map.of("200", 2 * ROUNDS)));
        long upStart = System.nanoTime();
        assertThat(exchange()).as("before: the service answers every call").containsOnly(Map.entry("200", 2 * ROUNDS));
        long upMillis = Duration.ofNanos(System.nanoTime() - upStart).toMillis();
        Counts before = counts();

        stop.run();
        try {
            long downStart = System.nanoTime();
            Map<String, Integer> during = exchange();
            long downMillis = Duration.ofNanos(System.nanoTime() - downStart).toMillis();
            Counts down = counts();
            System.out.printf("global layer down: %s in %d ms (%d ms up); global checks ok %d -> %d, errors %d -> %d,"
                    + " failed open %d -> %d%n", during, downMillis, upMillis, before.ok, down.ok, before.errors,
                    down.errors, before.allowed, down.allowed);
            System.out.printf("  connections to the rate-limit service that failed: %d%n",
                    envoy.stat("cluster." + GlobalRateLimitEdge.CLUSTER + ".upstream_cx_connect_fail"));
            assertThat(during).as("reads and writes still answered by the service").containsOnly(Map.entry("200", 2 * ROUNDS));
            // Each read passes two global checks (per address, reads), each write two (per address, writes).
            assertThat(down.allowed - before.allowed).as("checks that failed open").isEqualTo(4L * ROUNDS);
            assertThat(down.errors - before.errors).as("checks that failed").isEqualTo(4L * ROUNDS);
            assertThat(down.ok).as("no check answered").isEqualTo(before.ok);
            assertThat(localBurstRefused("fallback-" + System.nanoTime()))
                    .as("the local write bucket still refuses a burst over it").isPositive();
        } finally {
            restart.run();
        }

        long restarted = System.nanoTime();
        // Back when a whole round is counted by the global layer again, none of it failed open.
        await("the global layer answering again").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    Counts start = counts();
                    Map<String, Integer> statuses = exchange();
                    Counts end = counts();
                    return statuses.equals(Map.of("200", 2 * ROUNDS)) && end.ok - start.ok == 4L * ROUNDS
                            && end.allowed == start.allowed;
                });
        System.out.printf("the global layer counted again %d ms after the restart%n",
                Duration.ofNanos(System.nanoTime() - restarted).toMillis());
    }

    @Test
    void restOverTheGlobalBudget_gets429InTheLocalLayersShape() {
        long localRefusals = envoy.stat(LOCAL_WRITES_REFUSED);
        Rest limited = overGlobal(subject -> {
            String bearer = Edge.bearer(edge.token(subject));
            return () -> edge.send("POST", "/v1/" + account + "/authorizations", "{}", Map.of("authorization", bearer));
        }, answer -> answer.status() == 429);

        assertThat(envoy.stat(LOCAL_WRITES_REFUSED)).as("refused by the global layer, not the local one")
                .isEqualTo(localRefusals);
        assertError(limited, 429, 8, "RATE_LIMITED");
        assertThat(detail(limited.json(), RETRY_INFO)).as("a RetryInfo in %s", limited.text()).isNotNull();
        assertThat(limited.header("retry-after")).isEqualTo("1");
        assertThat(limited.header("x-ratelimit-limit")).as("the global window that refused, the number alone as the "
                + "local layer says it").isEqualTo(Long.toString(RateLimitServiceConfig.perSecond(
                        EnvoyConfig.load(REPOSITORY.envoyYaml())).get("writes")));
        assertThat(Long.parseLong(limited.header("x-ratelimit-remaining"))).isZero();
        assertThat(limited.header("x-ratelimit-reset")).isIn("0", "1");
        assertThat(limited.headers().allValues("x-ratelimit-remaining")).as("one set").hasSize(1);
        assertThat(limited.headers().map().keySet()).as("no Envoy-internal header").noneMatch(h -> h.startsWith("x-envoy"));
    }

    @Test
    void grpcOverTheGlobalBudget_getsResourceExhaustedWithRetryInfo() throws Exception {
        long localRefusals = envoy.stat(LOCAL_WRITES_REFUSED);
        Optional<StatusRuntimeException> limited = overGlobal(subject -> {
            AuthorizationServiceBlockingStub stub = edge.authorizations(Map.of("authorization", Edge.bearer(edge.token(subject))));
            return () -> grpcWrite(stub);
        }, failure -> failure.isPresent() && failure.get().getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED);

        assertThat(envoy.stat(LOCAL_WRITES_REFUSED)).as("refused by the global layer").isEqualTo(localRefusals);
        com.google.rpc.Status status = StatusProto.fromThrowable(limited.orElseThrow());
        assertThat(status).as("a google.rpc.Status in grpc-status-details-bin").isNotNull();
        assertThat(status.getDetailsList().stream().filter(d -> d.is(ErrorInfo.class)).map(d -> unpack(d, ErrorInfo.class).getReason()))
                .containsExactly("RATE_LIMITED");
        assertThat(status.getDetailsList().stream().filter(d -> d.is(RetryInfo.class))
                .map(d -> unpack(d, RetryInfo.class).getRetryDelay().getSeconds())).containsExactly(1L);
    }

    /**
     * Sends {@link #OVER_GLOBAL} concurrent writes of a fresh identity until one is refused (a burst
     * that straddles two one-second windows may fit both), and returns the first refusal.
     */
    private <T> T overGlobal(java.util.function.Function<String, Supplier<T>> writer,
                             java.util.function.Predicate<T> refused) {
        for (int attempt = 0; attempt < 3; attempt++) {
            Supplier<T> write = writer.apply("global-over-" + System.nanoTime());
            List<Future<T>> answers = new ArrayList<>();
            for (int i = 0; i < OVER_GLOBAL; i++) {
                answers.add(callers.submit(write::get));
            }
            Optional<T> first = answers.stream().map(GlobalRateLimitFailureIT::get).filter(refused).findFirst();
            if (first.isPresent()) {
                return first.get();
            }
        }
        throw new AssertionError("no write refused in three bursts of " + OVER_GLOBAL);
    }

    /** ROUNDS reads and ROUNDS writes of the edge's identity, one after another; their HTTP statuses counted. */
    private Map<String, Integer> exchange() {
        RestPayments rest = new RestPayments(edge);
        Map<String, Integer> statuses = new TreeMap<>();
        for (int i = 0; i < ROUNDS; i++) {
            statuses.merge(Integer.toString(edge.get("/v1/" + account).status()), 1, Integer::sum);
            statuses.merge(Integer.toString(rest.authorize(account, 1, Map.of()).status()), 1, Integer::sum);
        }
        return statuses;
    }

    /** Writes refused by the local bucket in a burst of twice its size from a fresh identity. */
    private long localBurstRefused(String subject) {
        long before = envoy.stat(LOCAL_WRITES_REFUSED);
        AuthorizationServiceBlockingStub stub = edge.authorizations(Map.of("authorization", Edge.bearer(edge.token(subject))));
        List<Future<Optional<StatusRuntimeException>>> answers = new ArrayList<>();
        for (int i = 0; i < 2 * OVER_GLOBAL; i++) {
            answers.add(callers.submit(() -> grpcWrite(stub)));
        }
        answers.forEach(GlobalRateLimitFailureIT::get);
        return envoy.stat(LOCAL_WRITES_REFUSED) - before;
    }

    /** An empty write (the replica refuses it, INVALID_ARGUMENT): its failure, if any. */
    private static Optional<StatusRuntimeException> grpcWrite(AuthorizationServiceBlockingStub stub) {
        try {
            stub.withDeadlineAfter(10, TimeUnit.SECONDS).createAuthorization(CreateAuthorizationRequest.getDefaultInstance());
            return Optional.empty();
        } catch (StatusRuntimeException e) {
            return Optional.of(e);
        }
    }

    /** The global filters' counters for reads and writes together (the per-address check is on every call). */
    private Counts counts() {
        return new Counts(sum("ok"), sum("error"), sum("failure_mode_allowed"));
    }

    private long sum(String counter) {
        long total = 0;
        for (String budget : List.of("paygate.filters.http.per_address_ratelimit", READS, WRITES)) {
            total += envoy.stat("cluster.paygate_service.ratelimit." + GlobalRateLimitEdge.statPrefix(
                    GlobalRateLimitEdge.globalFilter(budget)) + "." + counter);
        }
        return total;
    }

    private record Counts(long ok, long errors, long allowed) {
    }

    private static <T extends com.google.protobuf.Message> T unpack(com.google.protobuf.Any any, Class<T> type) {
        try {
            return any.unpack(type);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    private static <T> T get(Future<T> future) {
        try {
            return future.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
