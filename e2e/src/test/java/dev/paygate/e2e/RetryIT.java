package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.type.Money;
import dev.paygate.e2e.EndToEnd.RateLimits;
import dev.paygate.v1.Account;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.CreateAccountRequest;
import dev.paygate.v1.CreateAuthorizationRequest;
import dev.paygate.v1.GetAccountRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import java.util.function.IntSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Envoy's retry contract for writes, with two replicas on one PostgreSQL and one of them
 * SIGKILLed in the middle of a stream of authorizations:
 * <ul>
 *   <li>a write carrying an {@code idempotency-key} is retried by Envoy on the other replica, and
 *       the service's idempotency store makes every retry land exactly once;</li>
 *   <li>a write without a key is never retried: the client sees the failure (UNAVAILABLE) and,
 *       having no key, is the only one who can decide what to do.</li>
 * </ul>
 * Prints its figures (requests, failures, retries, attempt counts, duration) to stdout, i.e. to
 * the failsafe report's output file.
 */
// The stream is far above one client's write bucket (50/s).
@EndToEnd(replicas = 2, rateLimits = RateLimits.SHADOWED)
class RetryIT {

    private static final int KEYED_REQUESTS = 300;
    private static final int UNKEYED_REQUESTS = 150;
    /** The replica dies once this share of the stream has been acknowledged. */
    private static final int KILL_AFTER_KEYED = 100;
    private static final int KILL_AFTER_UNKEYED = 50;
    private static final int CLIENT_THREADS = 3;
    /** Each call's own deadline: above the writes route's 5s budget would only be cut to it. */
    private static final Duration CALL_DEADLINE = Duration.ofSeconds(4);
    private static final String RETRIES = "cluster.paygate_service.upstream_rq_retry";

    private static Edge edge;

    private Account account;

    @BeforeAll
    static void setUp(Edge started) {
        edge = started;
    }

    @BeforeEach
    void bothReplicasTakingCalls() {
        Upstreams.restartDeadReplicasAndAwaitAllHealthy(edge);
        account = createAccount();
        Upstreams.awaitEveryReplicaServing(edge, Duration.ofSeconds(10), () -> getAccount(account));
    }

    @Test
    void keyedAuthorizations_replicaKilledMidStream_envoyRetriesAndEachIsStoredOnce() throws Exception {
        long retriesBefore = edge.stack().envoy().stat(RETRIES);
        Map<Integer, Authorization> acknowledged = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<Status.Code> failures = new ConcurrentLinkedQueue<>();
        Map<Integer, Integer> sendsPerRequest = new ConcurrentHashMap<>();

        long started = System.nanoTime();
        Duration killedAt = stream(KEYED_REQUESTS, KILL_AFTER_KEYED, acknowledged::size, i -> {
            // The client's retry contract: the same key until there is an answer.
            String key = "retry-it-" + id(account.getName()) + "-" + i;
            AtomicInteger sends = new AtomicInteger();
            Authorization answer = await("authorization " + i + " answered").atMost(Duration.ofSeconds(30))
                    .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(200))
                    .until(() -> authorize(i, Map.of("idempotency-key", key,
                            "x-request-id", "retry-keyed-" + i + "-" + sends.incrementAndGet()),
                            e -> failures.add(e.getStatus().getCode())),
                            Optional::isPresent)
                    .orElseThrow();
            sendsPerRequest.put(i, sends.get());
            acknowledged.put(i, answer);
        });
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        long retries = edge.stack().envoy().stat(RETRIES) - retriesBefore;

        String accountId = id(account.getName());
        Set<String> names = acknowledged.values().stream().map(Authorization::getName).collect(Collectors.toSet());
        long stored = edge.count("SELECT COUNT(*) FROM authorizations WHERE account_id = '" + accountId + "'");
        long storedIds = edge.count("SELECT COUNT(DISTINCT id) FROM authorizations WHERE account_id = '"
                + accountId + "'");
        long acknowledgedStored = edge.count("SELECT COUNT(*) FROM authorizations WHERE id IN ("
                + quotedIds(names) + ")");
        long keys = edge.count("SELECT COUNT(*) FROM idempotency_keys WHERE scope = '" + accountId + "'");
        long expectedHeld = acknowledged.keySet().stream().mapToLong(RetryIT::amountUnits).sum();
        long held = getAccount(account).getHeld().getUnits();
        List<JsonNode> log = awaitLogged("retry-keyed-", KEYED_REQUESTS);
        List<JsonNode> keyed = log.stream().filter(e -> requestId(e).startsWith("retry-keyed-")).toList();
        Map<Integer, Long> attempts = keyed.stream()
                .collect(Collectors.groupingBy(EnvoyAccessLog::attempts, TreeMap::new, Collectors.counting()));
        long retriedInLog = keyed.stream().mapToLong(e -> Math.max(0, EnvoyAccessLog.attempts(e) - 1)).sum();
        System.out.printf("RetryIT keyed: N=%d on %d client threads, replica 0 SIGKILLed %d ms in (after %d"
                        + " acknowledged); took %d ms (%.0f calls/s); client-visible failures=%d %s; client sends per"
                        + " request=%s; envoy upstream_rq_retry delta=%d (in access log: %d); attempts per call=%s;"
                        + " stored=%d distinct=%d keys=%d held=%d expected=%d; %s%n",
                KEYED_REQUESTS, CLIENT_THREADS, killedAt.toMillis(), KILL_AFTER_KEYED, took.toMillis(),
                KEYED_REQUESTS * 1000.0 / took.toMillis(), failures.size(), counts(failures),
                counts(sendsPerRequest.values()), retries, retriedInLog, attempts, stored, storedIds, keys, held,
                expectedHeld, Upstreams.describe(edge));

        // Every request was answered, and each acknowledged authorization is stored exactly once.
        assertThat(acknowledged).hasSize(KEYED_REQUESTS);
        assertThat(names).hasSize(KEYED_REQUESTS);
        assertThat(acknowledged.values()).allMatch(a -> a.getState() == Authorization.State.APPROVED);
        assertThat(stored).isEqualTo(KEYED_REQUESTS);
        assertThat(storedIds).isEqualTo(stored);
        assertThat(acknowledgedStored).isEqualTo(KEYED_REQUESTS);
        assertThat(keys).isEqualTo(KEYED_REQUESTS);
        // The account holds exactly the acknowledged amounts: nothing was authorized twice.
        assertThat(held).isEqualTo(expectedHeld);
        // Envoy, not the client, absorbed the dead replica. How many retries that took varies: 3
        // when the outlier ejection reaches Envoy's workers at once, about a second's worth of
        // calls when it lands inside update_merge_window (1s) after another health change.
        assertThat(retries).as("envoy retries of calls to the killed replica").isPositive();
        assertThat(retriedInLog).isPositive();
        assertThat(attempts.keySet()).as("num_retries 2: at most three attempts").allMatch(n -> n >= 1 && n <= 3);
        // Writes with a second or third attempt are keyed ones, or unkeyed ones on their own route
        // with at most two (a refused connect, see the unkeyed test).
        assertThat(log).filteredOn(RetryIT::isWrite).filteredOn(e -> EnvoyAccessLog.attempts(e) > 1)
                .isNotEmpty()
                .allSatisfy(e -> assertThat(requestId(e).startsWith("retry-keyed-")
                        || (e.path("route").asText().equals("writes") && EnvoyAccessLog.attempts(e) == 2))
                        .as("%s", e).isTrue());
    }

    @Test
    void unkeyedAuthorizations_replicaKilledMidStream_areRetriedOnlyWhenNeverSent_andNeverChargedTwice() throws Exception {
        long retriesBefore = edge.stack().envoy().stat(RETRIES);
        Map<Integer, Authorization> acknowledged = new ConcurrentHashMap<>();
        Map<Integer, StatusRuntimeException> failed = new ConcurrentHashMap<>();

        long started = System.nanoTime();
        Duration killedAt = stream(UNKEYED_REQUESTS, KILL_AFTER_UNKEYED, acknowledged::size, i ->
                // No key: the client sends once, whatever the answer (a repeat could authorize twice).
                authorize(i, Map.of("x-request-id", "retry-unkeyed-" + i), e -> failed.put(i, e))
                        .ifPresent(answer -> acknowledged.put(i, answer)));
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        long retries = edge.stack().envoy().stat(RETRIES) - retriesBefore;

        String accountId = id(account.getName());
        Set<String> names = acknowledged.values().stream().map(Authorization::getName).collect(Collectors.toSet());
        long acknowledgedStored = edge.count("SELECT COUNT(*) FROM authorizations WHERE id IN ("
                + quotedIds(names) + ")");
        long stored = edge.count("SELECT COUNT(*) FROM authorizations WHERE account_id = '" + accountId + "'");
        long storedHolds = edge.count("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM authorizations"
                + " WHERE state = 'APPROVED' AND account_id = '" + accountId + "'");
        long held = getAccount(account).getHeld().getUnits();
        List<JsonNode> log = awaitLogged("retry-unkeyed-", UNKEYED_REQUESTS);
        List<JsonNode> unkeyed = log.stream().filter(e -> requestId(e).startsWith("retry-unkeyed-")).toList();
        Map<Integer, Long> attempts = unkeyed.stream()
                .collect(Collectors.groupingBy(EnvoyAccessLog::attempts, TreeMap::new, Collectors.counting()));
        Map<String, Long> failedBy = unkeyed.stream().filter(e -> !e.path("grpc_status").asText().equals("OK"))
                .collect(Collectors.groupingBy(e -> e.path("response_flags").asText() + " "
                        + e.path("details").asText(), TreeMap::new, Collectors.counting()));
        // The answer each failed call got (code/reason, and "+retry" with retry advice), and whether it committed.
        Map<String, Long> failures = failed.entrySet().stream().collect(Collectors.groupingBy(f -> outcome(f.getValue())
                + (committed(f.getKey()) ? " committed" : " not committed"), TreeMap::new, Collectors.counting()));
        System.out.printf("RetryIT unkeyed: N=%d on %d client threads, replica 0 SIGKILLed %d ms in (after %d"
                        + " acknowledged); took %d ms; acknowledged=%d failures=%d %s; stored=%d (failed calls"
                        + " committed anyway: %d); envoy upstream_rq_retry delta=%d; attempts per call=%s;"
                        + " failed calls by response flags=%s; %s%n",
                UNKEYED_REQUESTS, CLIENT_THREADS, killedAt.toMillis(), KILL_AFTER_UNKEYED, took.toMillis(),
                acknowledged.size(), failed.size(), failures, stored, stored - acknowledged.size(),
                retries, attempts, failedBy, Upstreams.describe(edge));

        // Every call was answered. Envoy repeated only attempts that never reached a replica (a
        // refused connect to the dead one), at most once, on the survivor; a call cut mid-flight
        // is the client's to resolve, and the edge says so: COMMIT_OUTCOME_UNKNOWN, no retry advice.
        assertThat(acknowledged.size() + failed.size()).isEqualTo(UNKEYED_REQUESTS);
        assertThat(unkeyed).hasSize(UNKEYED_REQUESTS)
                .allSatisfy(e -> assertThat(EnvoyAccessLog.attempts(e)).isLessThanOrEqualTo(2));
        assertThat(retries).as("retries = calls with a second attempt")
                .isEqualTo(unkeyed.stream().filter(e -> EnvoyAccessLog.attempts(e) == 2).count());
        assertThat(failed.values()).as("unkeyed writes that met the killed replica")
                .allMatch(e -> outcome(e).equals("UNKNOWN/COMMIT_OUTCOME_UNKNOWN") || outcome(e).equals("UNAVAILABLE+retry"));
        assertThat(failed.entrySet()).as("unkeyed writes answered 'retry': none may have committed")
                .filteredOn(f -> KeyedWriteLoad.hasRetryInfo(f.getValue()) || f.getValue().getStatus().getCode()
                        == Status.Code.UNAVAILABLE)
                .allSatisfy(f -> assertThat(committed(f.getKey())).as("call %d committed", f.getKey()).isFalse());
        // Acknowledged writes are stored; a failed one may or may not be: only the client can tell.
        assertThat(acknowledgedStored).isEqualTo(acknowledged.size());
        assertThat(stored).isBetween((long) acknowledged.size(), (long) UNKEYED_REQUESTS);
        assertThat(held).isEqualTo(storedHolds);
    }

    /**
     * Runs {@code requests} calls on {@link #CLIENT_THREADS} threads and SIGKILLs replica 0 once
     * {@code killAfter} are acknowledged; returns when all are done, with the time of the kill.
     */
    private static Duration stream(int requests, int killAfter, IntSupplier acknowledged,
                                   IntConsumer call) throws Exception {
        AtomicInteger next = new AtomicInteger();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENT_THREADS);
        long started = System.nanoTime();
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < CLIENT_THREADS; t++) {
                workers.add(clients.submit(() -> {
                    for (int i = next.getAndIncrement(); i < requests; i = next.getAndIncrement()) {
                        call.accept(i);
                    }
                }));
            }
            await("first " + killAfter + " acknowledged").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(5))
                    .until(() -> acknowledged.getAsInt() >= killAfter || workers.stream().allMatch(Future::isDone));
            assertThat(workers).as("the stream was still running when the replica was killed")
                    .anyMatch(w -> !w.isDone());
            edge.stack().replicas().get(0).kill();
            Duration killedAt = Duration.ofNanos(System.nanoTime() - started);
            for (Future<?> worker : workers) {
                worker.get(60, TimeUnit.SECONDS);
            }
            return killedAt;
        } finally {
            clients.shutdownNow();
        }
    }

    /**
     * One CreateAuthorization through Envoy, at merchant "retry-it-{i}" so that the database tells
     * whether this very call committed; a failure is recorded and gives empty.
     */
    private Optional<Authorization> authorize(int i, Map<String, String> metadata,
                                              java.util.function.Consumer<StatusRuntimeException> onFailure) {
        try {
            return Optional.of(edge.authorizations(metadata)
                    .withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                    .createAuthorization(CreateAuthorizationRequest.newBuilder()
                            .setParent(account.getName())
                            .setAuthorization(Authorization.newBuilder()
                                    .setAmount(eur(amountUnits(i)))
                                    .setMerchantId("retry-it-" + i)
                                    .setMerchantCategoryCode("5411"))
                            .build()));
        } catch (StatusRuntimeException e) {
            onFailure.accept(e);
            return Optional.empty();
        }
    }

    /** "CODE/REASON", with "+retry" when the status carries RetryInfo or is UNAVAILABLE (gRPC's retryable code). */
    private static String outcome(StatusRuntimeException e) {
        String reason = KeyedWriteLoad.reason(e);
        boolean retry = KeyedWriteLoad.hasRetryInfo(e) || e.getStatus().getCode() == Status.Code.UNAVAILABLE;
        return e.getStatus().getCode() + (reason.isEmpty() ? "" : "/" + reason) + (retry ? "+retry" : "");
    }

    /** Whether unkeyed call {@code i} (merchant retry-it-{i}) is stored. */
    private boolean committed(int i) {
        return edge.count("SELECT COUNT(*) FROM authorizations WHERE account_id = '" + id(account.getName())
                + "' AND merchant_id = 'retry-it-" + i + "'") > 0;
    }

    /** 1 to 9 EUR, so that a lost or doubled authorization shows in the held sum. */
    private static long amountUnits(int i) {
        return 1 + i % 9;
    }

    private static Account createAccount() {
        return edge.accounts().createAccount(CreateAccountRequest.newBuilder()
                .setAccount(Account.newBuilder().setCurrencyCode("EUR").setCreditLimit(eur(1_000_000))
                        .setDisplayName("RetryIT"))
                .build());
    }

    private static Account getAccount(Account account) {
        return edge.accounts().getAccount(GetAccountRequest.newBuilder().setName(account.getName()).build());
    }

    private static Money eur(long units) {
        return Money.newBuilder().setCurrencyCode("EUR").setUnits(units).build();
    }

    /** Waits until Envoy has flushed an access-log entry for each of {@code expected} requests. */
    private static List<JsonNode> awaitLogged(String requestIdPrefix, int expected) {
        return await("access log flushed").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> EnvoyAccessLog.of(edge).entries(), entries -> entries.stream()
                        .map(RetryIT::requestId).filter(id -> id.startsWith(requestIdPrefix))
                        .map(id -> id.replaceAll("^" + requestIdPrefix + "(\\d+).*$", "$1"))
                        .distinct().count() >= expected);
    }

    private static String requestId(JsonNode entry) {
        return entry.path("request_id").asText();
    }

    private static String id(String name) {
        return name.substring(name.lastIndexOf('/') + 1);
    }

    private static String quotedIds(Set<String> names) {
        return names.isEmpty() ? "''" : names.stream().map(n -> "'" + id(n) + "'").collect(Collectors.joining(","));
    }

    private static boolean isWrite(JsonNode entry) {
        return entry.path("grpc_method").asText()
                .matches("/paygate\\.v1\\.(AccountService/CreateAccount|AuthorizationService/(Create|Capture|Void)Authorization)");
    }

    private static <T extends Comparable<T>> Map<T, Long> counts(Collection<T> values) {
        return values.stream().collect(Collectors.groupingBy(v -> v, TreeMap::new, Collectors.counting()));
    }
}
