package dev.paygate.e2e;

import static dev.paygate.e2e.RestPayments.RETRY_INFO;
import static dev.paygate.e2e.RestPayments.assertError;
import static dev.paygate.e2e.RestPayments.detail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.paygate.e2e.Edge.Rest;
import dev.paygate.e2e.EndToEnd.RateLimits;
import dev.paygate.edge.EnvoyProcess;
import dev.paygate.v1.AccountServiceGrpc;
import dev.paygate.v1.AuthorizationServiceGrpc;
import dev.paygate.v1.CreateAuthorizationRequest;
import dev.paygate.v1.GetAccountRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The per-identity rate limits (envoy.yaml's ratelimit_reads and ratelimit_writes): each verified
 * caller (the token's sub) has its own bucket of 200 reads refilled by 100 every second, and one
 * of 100 writes refilled by 50, which keyed and unkeyed writes share. The limits decide on the
 * headers, before the body is read. Over the limit a REST caller gets
 * 429 with x-ratelimit-* headers and the JSON Status (code 8), a gRPC caller RESOURCE_EXHAUSTED;
 * the service never sees those calls. Each test uses its own identities, so each starts with full
 * buckets. All tests here come from one address, so the per-address floor is shadowed for this
 * suite (its own runtime key); {@link IdentityIT} tests the floor.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@EndToEnd(rateLimits = RateLimits.PER_ADDRESS_FLOOR_SHADOWED)
class RateLimitIT {

    private static final String GET_ACCOUNT = "paygate.v1.AccountService/GetAccount";
    private static final String CREATE_AUTHORIZATION = "paygate.v1.AuthorizationService/CreateAuthorization";
    private static final String RATE_LIMITED = "paygate_ratelimit_reads.http_local_rate_limit.rate_limited";
    private static final String SHADOW_MODE = "paygate_ratelimit_reads.http_local_rate_limit.shadow_mode";
    private static final String UPSTREAM_REQUESTS = "cluster.paygate_service.upstream_rq_total";
    private static final String RETRIES = "cluster.paygate_service.upstream_rq_retry";
    private static final long CLIENT_BURST = 200;
    private static final long CLIENT_REFILL_PER_SECOND = 100;
    private static final long WRITE_BURST = 100;
    private static final long WRITE_REFILL_PER_SECOND = 50;
    /** Concurrent callers in a burst: enough to outrun the refill on two cores. */
    private static final int CALLERS = 16;
    /** Callers keeping one identity's write bucket empty (cheap writes, answered by Envoy itself). */
    private static final int DRAINERS = 16;
    /** Writes sent with their body withheld, once their caller is over its write budget. */
    private static final int WITHHELD = 16;
    /** How long a withheld write waits for an answer: well inside the 5 s request timeout (then 408). */
    private static final Duration BODY_WAIT = Duration.ofSeconds(3);

    private Edge edge;
    /** Each identity's own account (reads of another's account would be refused): subject to name. */
    private final Map<String, String> accounts = new java.util.concurrent.ConcurrentHashMap<>();
    private ServiceMetrics service;
    private ExecutorService callers;

    @BeforeAll
    void setUp(Edge started) {
        edge = started;
        service = ServiceMetrics.of(edge, 0);
        callers = Executors.newFixedThreadPool(CALLERS);
    }

    @AfterAll
    void stopEdge() {
        if (callers != null) {
            callers.shutdownNow();
        }
    }

    @Test
    void restBurst_overTheClientReadBucket_gets429WithRateLimitHeadersAndJsonStatus() {
        Burst burst = restBurst(600, "rl-rest");

        report("REST burst of 600 reads, one identity", burst);
        assertThat(burst.count(429)).as("some reads over the bucket are refused").isPositive();
        assertThat(burst.count(200) + burst.count(429)).as("only 200s and 429s: %s", burst.statuses()).isEqualTo(600);
        assertThat(burst.count(200)).as("the whole bucket, plus at most its refills during the burst")
                .isBetween(CLIENT_BURST, allowance(CLIENT_BURST, CLIENT_REFILL_PER_SECOND, burst.elapsed()));
        Rest limited = burst.first(429);
        assertError(limited, 429, 8, "RATE_LIMITED");
        assertThat(detail(limited.json(), RETRY_INFO)).as("a RetryInfo in %s", limited.text()).isNotNull();
        // Every refusal names the budget that refused it (the reads bucket), never the per-address floor
        // (400) whose bucket this suite's traffic, all from one address, keeps near 0 too.
        assertThat(burst.answers().stream().filter(a -> a.status() == 429).map(a -> a.header("x-ratelimit-limit")))
                .as("x-ratelimit-limit of every refusal").containsOnly(Long.toString(CLIENT_BURST));
        // Not exactly 0: the bucket refills every few milliseconds, and a refill can land between the
        // refusal and the reply's headers (CI saw "1" once). Far below the limit is what a client needs.
        assertThat(Long.parseLong(limited.header("x-ratelimit-remaining"))).as("tokens left after a refusal")
                .isBetween(0L, CLIENT_BURST / 10);
        assertThat(limited.header("x-ratelimit-reset")).as("seconds to the next refill").isIn("0", "1");
        assertThat(limited.header("retry-after")).isEqualTo("1");
        assertThat(limited.headers().firstValue("x-paygate-refused")).as("edge_headers.lua's marker removed").isEmpty();
    }

    @Test
    void grpcBurst_overTheClientReadBucket_getsResourceExhausted() {
        Map<Status.Code, Integer> codes = grpcBurst(600, "rl-grpc");

        System.out.printf("gRPC burst of 600 reads, one identity: %s%n", codes);
        assertThat(codes.keySet()).containsOnly(Status.Code.OK, Status.Code.RESOURCE_EXHAUSTED);
        assertThat(codes.get(Status.Code.RESOURCE_EXHAUSTED)).isPositive();
        assertThat((long) codes.get(Status.Code.OK)).isGreaterThanOrEqualTo(CLIENT_BURST);
    }

    @Test
    void secondClient_isNotThrottled_whileTheFirstIsOverItsBucket() {
        List<Future<Rest>> first = new ArrayList<>();
        List<Future<Rest>> second = new ArrayList<>();
        long start = System.nanoTime();
        // Interleaved in one burst: the two clients share the same moment, not the same bucket.
        String firstToken = Edge.bearer(edge.token("rl-first"));
        String secondToken = Edge.bearer(edge.token("rl-second"));
        String firstAccount = accountOf("rl-first");
        String secondAccount = accountOf("rl-second");
        for (int i = 0; i < 500; i++) {
            boolean isFirst = i % 5 != 4;
            String token = isFirst ? firstToken : secondToken;
            String account = isFirst ? firstAccount : secondAccount;
            (isFirst ? first : second).add(callers.submit(() -> read(token, account)));
        }
        Burst firstBurst = collect(first, Duration.ofNanos(System.nanoTime() - start));
        Burst secondBurst = collect(second, Duration.ofNanos(System.nanoTime() - start));

        report("interleaved burst, first client (400 reads)", firstBurst);
        report("interleaved burst, second client (100 reads)", secondBurst);
        assertThat(firstBurst.count(429)).as("the first client is over its bucket").isPositive();
        assertThat(secondBurst.statuses()).as("the second client is served in full").containsOnly(200);
    }

    @Test
    void rotatingClientIdsAndSubjectHeaders_drawFromTheTokensBucket() {
        // An attacker's trick against header-keyed limits: a new client id (and a forged subject
        // header) on every request. The bucket is the verified token's, whatever the headers say.
        String token = Edge.bearer(edge.token("rl-rotating"));
        String account = accountOf("rl-rotating");
        long start = System.nanoTime();
        List<Future<Rest>> calls = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            String forged = "forged-" + i;
            calls.add(callers.submit(() -> edge.send("GET", "/v1/" + account, null, Map.of("authorization", token,
                    "x-client-id", forged, "x-paygate-subject", forged))));
        }
        Burst burst = collect(calls, Duration.ofNanos(System.nanoTime() - start));

        report("REST burst of 600 reads, one token, 600 client ids and subject headers", burst);
        assertThat(burst.count(429)).as("one bucket, not 600").isPositive();
        assertThat(burst.count(200)).isBetween(CLIENT_BURST,
                allowance(CLIENT_BURST, CLIENT_REFILL_PER_SECOND, burst.elapsed()));
    }

    @Test
    void keyedAndUnkeyedWrites_drawFromOneWriteBucket() {
        // A client alternating keyed and unkeyed writes (two routes) gets one write budget, not one
        // per route.
        String token = Edge.bearer(edge.token("rl-writes"));
        String account = accountOf("rl-writes");
        RestPayments rest = new RestPayments(edge);
        long start = System.nanoTime();
        List<Future<Rest>> calls = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            Map<String, String> headers = i % 2 == 0
                    ? Map.of("authorization", token, "idempotency-key", "rl-writes-" + i)
                    : Map.of("authorization", token);
            calls.add(callers.submit(() -> rest.authorize(account, 1, headers)));
        }
        Burst burst = collect(calls, Duration.ofNanos(System.nanoTime() - start));

        report("REST burst of 400 writes alternating keyed and unkeyed, one identity", burst);
        assertThat(burst.count(200) + burst.count(429)).as("only 200s and 429s: %s", burst.statuses()).isEqualTo(400);
        assertThat(burst.count(200)).as("one bucket of 100 plus its refills, not two")
                .isBetween(WRITE_BURST, allowance(WRITE_BURST, WRITE_REFILL_PER_SECOND, burst.elapsed()));
    }

    @Test
    void writerOverItsBudget_withholdingItsBody_gets429BeforeSendingIt_andTheServiceSeesNothing() throws Exception {
        // The attack: once over its write budget, a client sends a write's headers and then holds the
        // body back. If the limiter only ran after the body was read (buffer, Lua, transcoder before
        // it), each such request would hold a stream and a buffer until the 5 s request timeout.
        String subject = "rl-withheld";
        String token = Edge.bearer(edge.token(subject));
        String account = accountOf(subject);
        long serviceWrites = service.calls(CREATE_AUTHORIZATION);
        // Writes with a malformed idempotency-key draw from the writes' budget but are answered by
        // Envoy itself (route writes_malformed_key): they keep the bucket empty at no cost upstream.
        // Sent over gRPC (one HTTP/2 connection, no handshake per call), by enough callers to outrun
        // the refill (50/s) even on a loaded machine.
        AuthorizationServiceGrpc.AuthorizationServiceBlockingStub malformed = edge.authorizations(
                Map.of("authorization", token, "idempotency-key", "k".repeat(300)));
        java.util.concurrent.atomic.AtomicBoolean draining = new java.util.concurrent.atomic.AtomicBoolean(true);
        ExecutorService drainerPool = Executors.newFixedThreadPool(DRAINERS);
        List<Future<?>> drainers = new ArrayList<>();
        for (int i = 0; i < DRAINERS; i++) {
            drainers.add(drainerPool.submit(() -> {
                while (draining.get()) {
                    writeRefused(malformed);
                }
            }));
        }
        List<Future<String>> withheld = new ArrayList<>();
        try {
            await("the write budget spent").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                    .until(() -> writeRefused(malformed));
            for (int i = 0; i < WITHHELD; i++) {
                withheld.add(callers.submit(() -> statusLineOfWithheldWrite(token, account)));
            }
            for (Future<String> request : withheld) {
                get(request);
            }
        } finally {
            draining.set(false);
            drainers.forEach(RateLimitIT::get);
            drainerPool.shutdownNow();
        }

        List<String> answers = withheld.stream().map(RateLimitIT::get).toList();
        System.out.printf("%d writes with their body withheld, answered within %d ms: %s%n", WITHHELD,
                BODY_WAIT.toMillis(), answers);
        // A withheld write that found a refilled token is admitted and waits for its body ("none"); every
        // other one must be refused at once, while its body is still unsent.
        assertThat(answers).as("refused before the body was sent").contains("HTTP/1.1 429 Too Many Requests");
        assertThat(answers).allMatch(a -> a.equals("none") || a.startsWith("HTTP/1.1 429"), "429 or still waiting");
        assertThat(service.calls(CREATE_AUTHORIZATION) - serviceWrites).as("writes the service saw").isZero();
    }

    /** Whether a write (with a malformed key, so it never reaches the service) is refused by the limiter now. */
    private static boolean writeRefused(AuthorizationServiceGrpc.AuthorizationServiceBlockingStub malformed) {
        try {
            malformed.withDeadlineAfter(10, TimeUnit.SECONDS).createAuthorization(CreateAuthorizationRequest.getDefaultInstance());
            return false;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED;
        }
    }

    /**
     * Sends a write's headers and the first half of its body, never the rest; returns the status
     * line Envoy answers with within {@link #BODY_WAIT}, or "none".
     */
    private String statusLineOfWithheldWrite(String bearer, String account) throws java.io.IOException {
        byte[] body = RestPayments.authorizationBody(1).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        String head = "POST /v1/" + account + "/authorizations HTTP/1.1\r\nhost: localhost\r\n"
                + "authorization: " + bearer + "\r\ncontent-type: application/json\r\n"
                + "content-length: " + body.length + "\r\n\r\n";
        try (javax.net.ssl.SSLSocket socket = edge.http11Socket(Duration.ofSeconds(30))) {
            // The TLS handshake first, on its own time: on a loaded machine it can be slow, and only
            // the wait for the answer to the headers counts.
            socket.startHandshake();
            socket.setSoTimeout((int) BODY_WAIT.toMillis());
            socket.getOutputStream().write(head.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().write(body, 0, body.length / 2);
            socket.getOutputStream().flush();
            java.io.BufferedReader reply = new java.io.BufferedReader(new java.io.InputStreamReader(
                    socket.getInputStream(), java.nio.charset.StandardCharsets.US_ASCII));
            String statusLine = reply.readLine();
            return statusLine == null ? "closed" : statusLine;
        } catch (java.net.SocketTimeoutException stillWaitingForTheBody) {
            return "none";
        }
    }

    @Test
    void refusedCalls_neverReachTheServiceAndAreNeverRetried() {
        accountOf("rl-upstream");
        long upstream = envoy().stat(UPSTREAM_REQUESTS);
        long retries = envoy().stat(RETRIES);
        long serviceCalls = service.calls(GET_ACCOUNT);

        Burst burst = restBurst(600, "rl-upstream");

        // A served read whose first try outran its 0.6 s per-try budget (a loaded machine) is
        // retried: that attempt is one more upstream request, and not a refused call's.
        long retried = envoy().stat(RETRIES) - retries;
        assertThat(burst.count(429)).isPositive();
        assertThat(envoy().stat(UPSTREAM_REQUESTS) - upstream - retried).as("upstream requests = served reads")
                .isEqualTo(burst.count(200));
        assertThat(service.calls(GET_ACCOUNT) - serviceCalls - retried).as("calls the service saw = served reads")
                .isEqualTo(burst.count(200));
    }

    @Test
    void exhaustedClient_isServedAgainOnceItsBucketRefills() {
        Burst burst = restBurst(600, "rl-refill");
        assertThat(burst.count(429)).isPositive();

        String token = Edge.bearer(edge.token("rl-refill"));
        String account = accountOf("rl-refill");
        await("a read from rl-refill served again").atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(100))
                .until(() -> read(token, account).status() == 200);
    }

    @Test
    void shadowMode_servesOverLimitCallsButCountsThem_andEnforcementResumesWithoutRestart() {
        accountOf("rl-shadow");
        long upstream = envoy().stat(UPSTREAM_REQUESTS);
        long retries = envoy().stat(RETRIES);
        long limitedBefore = envoy().stat(RATE_LIMITED);
        long shadowBefore = envoy().stat(SHADOW_MODE);
        Burst shadow;
        long countedInShadow;
        long shadowed;
        envoy().adminPost("/runtime_modify?paygate.ratelimit.enforced=0");
        try {
            shadow = restBurst(600, "rl-shadow");
            countedInShadow = envoy().stat(RATE_LIMITED) - limitedBefore;
            shadowed = envoy().stat(SHADOW_MODE) - shadowBefore;
        } finally {
            envoy().adminPost("/runtime_modify?paygate.ratelimit.enforced=100");
        }

        report("shadow mode (enforced=0), REST burst of 600 reads", shadow);
        System.out.printf("  %s delta in shadow mode: %d; %s delta: %d%n", RATE_LIMITED, countedInShadow,
                SHADOW_MODE, shadowed);
        assertThat(shadow.statuses()).as("nothing refused in shadow mode").containsOnly(200);
        assertThat(envoy().stat(UPSTREAM_REQUESTS) - upstream - (envoy().stat(RETRIES) - retries)).isEqualTo(600);
        assertThat(countedInShadow).as("over-limit reads are still counted")
                .isBetween(600 - allowance(CLIENT_BURST, CLIENT_REFILL_PER_SECOND, shadow.elapsed()),
                        600 - CLIENT_BURST);

        long limitedBeforeEnforced = envoy().stat(RATE_LIMITED);
        Burst enforced = restBurst(100, "rl-shadow");

        report("enforced again (enforced=100), REST burst of 100 reads, same client", enforced);
        System.out.printf("  %s delta enforced: %d%n", RATE_LIMITED, envoy().stat(RATE_LIMITED) - limitedBeforeEnforced);
        assertThat(enforced.count(429)).as("the bucket drained in shadow mode refuses again").isPositive();
        assertThat(envoy().stat(RATE_LIMITED) - limitedBeforeEnforced).isEqualTo(enforced.count(429));
    }

    // --- bursts

    /** The statuses of a burst, in the order the calls were issued. */
    private record Burst(List<Integer> statuses, List<Rest> answers, Duration elapsed) {

        long count(int status) {
            return statuses.stream().filter(s -> s == status).count();
        }

        Rest first(int status) {
            return answers.stream().filter(a -> a.status() == status).findFirst()
                    .orElseThrow(() -> new AssertionError("no " + status + " in " + statuses));
        }
    }

    /** {@code requests} REST reads, as {@code subject}, of its own account from {@link #CALLERS} threads. */
    private Burst restBurst(int requests, String subject) {
        String token = Edge.bearer(edge.token(subject));
        String account = accountOf(subject);
        long start = System.nanoTime();
        List<Future<Rest>> calls = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            calls.add(callers.submit(() -> read(token, account)));
        }
        return collect(calls, Duration.ofNanos(System.nanoTime() - start));
    }

    /**
     * The account {@code subject} owns, opened on first use (a write: it does not touch the read
     * bucket, but it is one upstream call, so tests that count calls open it first).
     */
    private String accountOf(String subject) {
        return accounts.computeIfAbsent(subject, s -> {
            Rest created = edge.send("POST", "/v1/accounts", """
                    {"currencyCode": "EUR", "creditLimit": {"currencyCode": "EUR", "units": "500"}}""",
                    Map.of("authorization", Edge.bearer(edge.token(s))));
            assertThat(created.status()).as("create account: %s", created.text()).isEqualTo(200);
            return created.json().get("name").asText();
        });
    }

    private Rest read(String bearer, String account) {
        return edge.send("GET", "/v1/" + account, null, Map.of("authorization", bearer));
    }

    private Burst collect(List<Future<Rest>> calls, Duration submitted) {
        long start = System.nanoTime();
        List<Rest> answers = new ArrayList<>();
        for (Future<Rest> call : calls) {
            answers.add(get(call));
        }
        return new Burst(answers.stream().map(Rest::status).toList(), answers,
                submitted.plusNanos(System.nanoTime() - start));
    }

    private Map<Status.Code, Integer> grpcBurst(int requests, String subject) {
        String token = Edge.bearer(edge.token(subject));
        String account = accountOf(subject);
        AccountServiceGrpc.AccountServiceBlockingStub stub = edge.accounts(Map.of("authorization", token));
        GetAccountRequest request = GetAccountRequest.newBuilder().setName(account).build();
        List<Future<Status.Code>> calls = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            Callable<Status.Code> call = () -> {
                try {
                    stub.withDeadlineAfter(10, TimeUnit.SECONDS).getAccount(request);
                    return Status.Code.OK;
                } catch (StatusRuntimeException e) {
                    return e.getStatus().getCode();
                }
            };
            calls.add(callers.submit(call));
        }
        Map<Status.Code, Integer> codes = new java.util.EnumMap<>(Status.Code.class);
        calls.forEach(call -> codes.merge(get(call), 1, Integer::sum));
        return codes;
    }

    private static <T> T get(Future<T> call) {
        try {
            return call.get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The most a bucket can let through in {@code elapsed}: full, plus every refill that may fall in it. */
    private static long allowance(long burst, long refillPerSecond, Duration elapsed) {
        return burst + refillPerSecond * (elapsed.toMillis() / 1000 + 1);
    }

    private static void report(String what, Burst burst) {
        System.out.printf("%s: %d x 200, %d x 429 in %d ms%n", what, burst.count(200), burst.count(429),
                burst.elapsed().toMillis());
    }

    private EnvoyProcess envoy() {
        return edge.stack().envoy();
    }
}
