package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.type.Money;
import dev.paygate.devstack.ServiceProcess;
import dev.paygate.e2e.EndToEnd.RateLimits;
import dev.paygate.v1.Account;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.AuthorizationServiceGrpc;
import dev.paygate.v1.CreateAccountRequest;
import dev.paygate.v1.CreateAuthorizationRequest;
import dev.paygate.v1.GetAccountRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Health checking end to end, two replicas on one PostgreSQL. A replica reports
 * {@code grpc.health.v1} NOT_SERVING while it shuts down (SIGTERM, then a drain delay) and while
 * its database is unreachable; Envoy's gRPC health check takes it out of rotation, answers 503 /
 * UNAVAILABLE at once when no replica is left, and puts replicas back when they report SERVING.
 * A call that reaches a replica without its database is refused retryably and counted
 * (paygate_fallback_total); a keyed write refused then is stored once when retried after.
 * Prints its timings to stdout (the failsafe report's output file).
 */
// Micronaut maps PAYGATE_HEALTH_SHUTDOWN_DRAIN_DELAY to paygate.health.shutdown-drain-delay.
@EndToEnd(replicas = 2, serviceEnvironment = "PAYGATE_HEALTH_SHUTDOWN_DRAIN_DELAY=" + HealthIT.DRAIN_SECONDS + "s",
        rateLimits = RateLimits.SHADOWED)
class HealthIT {

    /** Longer than Envoy needs to notice (health check every 1s, 2 failures), so the drain is seen. */
    static final int DRAIN_SECONDS = 5;
    private static final Duration DRAIN = Duration.ofSeconds(DRAIN_SECONDS);
    private static final Duration CALL_DEADLINE = Duration.ofSeconds(4);

    private static Edge edge;

    private Account account;

    @BeforeAll
    static void setUp(Edge started) {
        edge = started;
    }

    @BeforeEach
    void bothReplicasTakingCalls() {
        Upstreams.restartDeadReplicasAndAwaitAllHealthy(edge);
        account = edge.accounts().createAccount(CreateAccountRequest.newBuilder()
                .setAccount(Account.newBuilder().setCurrencyCode("EUR").setCreditLimit(eur(1_000_000_000))
                        .setDisplayName("HealthIT"))
                .build());
        Upstreams.awaitEveryReplicaServing(edge, Duration.ofSeconds(10), this::getAccount);
    }

    @Test
    void replicaShuttingDown_reportsNotServing_envoyRoutesAroundItWithoutClientErrors() throws Exception {
        ServiceProcess leaving = edge.stack().replicas().get(0);
        ServiceProcess staying = edge.stack().replicas().get(1);
        try (Load load = new Load()) {
            await("load running").atMost(Duration.ofSeconds(5)).until(() -> load.ok.get() >= 20);

            // SIGTERM without waiting: the replica reports NOT_SERVING and keeps serving for DRAIN.
            long sigterm = System.nanoTime();
            ProcessHandle.of(leaving.pid()).orElseThrow().destroy();
            await("envoy marks the draining replica unhealthy").atMost(DRAIN)
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> Upstreams.host(edge, leaving).failedHealthCheck());
            Duration unhealthyAfter = since(sigterm);
            assertThat(leaving.isAlive()).as("still draining when taken out of rotation").isTrue();

            // Once Envoy's workers have the news, every new call goes to the other replica.
            long stayingBefore = Upstreams.host(edge, staying).requests();
            await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(20))
                    .until(() -> Upstreams.host(edge, staying).requests() >= stayingBefore + 20);
            long leavingCalls = Upstreams.host(edge, leaving).requests();
            long stayingCalls = Upstreams.host(edge, staying).requests();
            await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(20))
                    .until(() -> Upstreams.host(edge, staying).requests() >= stayingCalls + 50);
            assertThat(Upstreams.host(edge, leaving).requests()).as("calls sent to the NOT_SERVING replica")
                    .isEqualTo(leavingCalls);
            assertThat(leaving.isAlive()).as("still draining: NOT_SERVING, not dead, kept the calls away").isTrue();

            await("replica exits after its drain").atMost(DRAIN.plusSeconds(15)).pollInterval(Duration.ofMillis(50))
                    .until(() -> !leaving.isAlive());
            Duration exitedAfter = since(sigterm);
            long okAtExit = load.ok.get();
            await().atMost(Duration.ofSeconds(5)).until(() -> load.ok.get() >= okAtExit + 50);

            // Back: a restarted replica is health-checked SERVING and gets calls again.
            long restart = System.nanoTime();
            edge.stack().restart(0);
            Duration startedAfter = since(restart);
            await("restarted replica healthy in envoy").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(20)).until(() -> Upstreams.host(edge, leaving0()).healthy());
            Duration healthyAfter = since(restart);
            long beforeResume = Upstreams.host(edge, leaving0()).requests();
            await("restarted replica gets calls again").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> Upstreams.host(edge, leaving0()).requests() > beforeResume);
            Duration servingAfter = since(restart);

            load.close();
            System.out.printf("HealthIT drain: drain delay %d ms; SIGTERM -> envoy health_flags failed_active_hc"
                            + " %d ms -> process exit %d ms; restart -> process healthy %d ms -> envoy healthy %d ms"
                            + " -> first call %d ms; unkeyed writes during all this: ok=%d failed=%s; %s%n",
                    DRAIN.toMillis(), unhealthyAfter.toMillis(), exitedAfter.toMillis(), startedAfter.toMillis(),
                    healthyAfter.toMillis(), servingAfter.toMillis(), load.ok.get(), load.failures,
                    Upstreams.describe(edge));
            // Writes without a key are not retried, so any call that met the leaving replica at a
            // bad moment would show here.
            assertThat(load.failures).as("client-visible failures across drain, exit and restart").isEmpty();
        }
    }

    @Test
    void databaseDown_noReplicaServing_clientsGetFast503OrUnavailable_untilItIsBack() {
        StackPostgres database = StackPostgres.of(edge.stack());
        String accountPath = "/v1/" + account.getName();
        long stop = System.nanoTime();
        database.stop();
        Duration unhealthyAfter;
        try {
            await("envoy marks both replicas unhealthy").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> edge.stack().replicas().stream()
                            .allMatch(replica -> Upstreams.host(edge, replica).failedHealthCheck()));
            unhealthyAfter = since(stop);

            // REST: Envoy's own 503, in the JSON google.rpc.Status shape a transcoded error has.
            Edge.Rest read = edge.send("GET", accountPath, null, Map.of("x-request-id", "health-down-rest-get"));
            assertServiceUnavailable(read);
            Edge.Rest write = edge.send("POST", accountPath + "/authorizations",
                    "{\"amount\":{\"currencyCode\":\"EUR\",\"units\":\"1\"},\"merchantId\":\"health-it\","
                            + "\"merchantCategoryCode\":\"5411\"}",
                    Map.of("x-request-id", "health-down-rest-post", "idempotency-key", "health-it-down"));
            assertServiceUnavailable(write);

            // gRPC: UNAVAILABLE, the status a client retries with backoff.
            assertThatThrownBy(this::getAccount).isInstanceOfSatisfying(StatusRuntimeException.class,
                    e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
            assertThatThrownBy(() -> edge.authorizations(Map.of("x-request-id", "health-down-grpc"))
                    .withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                    .createAuthorization(authorization()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
            assertReplicaRefusesAndCounts(0);
        } finally {
            database.start();
        }
        long start = System.nanoTime();
        await("envoy marks both replicas healthy again").atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(20)).until(() -> Upstreams.allHealthy(edge));
        Duration healthyAfter = since(start);
        Upstreams.awaitEveryReplicaServing(edge, Duration.ofSeconds(10), this::getAccount);
        Duration servingAfter = since(start);
        assertThat(edge.get(accountPath).status()).isEqualTo(200);
        // The keyed write refused while the database was down, retried with its key: stored once.
        Authorization first = keyedWrite(edge.authorizations(Map.of("idempotency-key", "health-it-down")));
        Authorization again = keyedWrite(edge.authorizations(Map.of("idempotency-key", "health-it-down")));
        assertThat(again.getName()).isEqualTo(first.getName());
        assertThat(edge.count("SELECT COUNT(*) FROM authorizations WHERE merchant_id = 'health-it' AND account_id = '"
                + account.getName().substring("accounts/".length()) + "'")).isEqualTo(1);

        // Envoy answered those calls itself, without trying a replica: no healthy upstream (UH).
        List<JsonNode> refused = await("access log flushed").atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> EnvoyAccessLog.of(edge).entries().stream()
                        .filter(e -> e.path("request_id").asText().startsWith("health-down-")).toList(),
                        entries -> entries.size() == 3);
        System.out.printf("HealthIT database: pg_ctl stop -> both replicas failed_active_hc %d ms;"
                        + " pg_ctl start -> both healthy %d ms -> both serving %d ms; refused calls: %s; %s%n",
                unhealthyAfter.toMillis(), healthyAfter.toMillis(), servingAfter.toMillis(),
                refused.stream().map(e -> e.path("request_id").asText() + " " + e.path("status").asText() + " "
                        + e.path("response_flags").asText() + " " + e.path("duration_ms").asText() + "ms").toList(),
                Upstreams.describe(edge));
        assertThat(refused).allSatisfy(e -> {
            assertThat(e.path("response_flags").asText()).isEqualTo("UH");
            assertThat(e.path("status").asInt()).isIn(200, 503);  // gRPC errors travel in HTTP 200
            assertThat(EnvoyAccessLog.attempts(e)).isLessThanOrEqualTo(1);
        });
    }

    private static void assertServiceUnavailable(Edge.Rest response) {
        assertThat(response.status()).isEqualTo(503);
        assertThat(response.header("content-type")).startsWith("application/json");
        assertThat(response.json()).as(response.text()).isNotNull();
        assertThat(response.json().path("code").asInt()).isEqualTo(14);
        assertThat(response.json().path("message").asText()).isNotEmpty();
        JsonNode details = response.json().path("details");
        assertThat(details.get(0).path("@type").asText()).isEqualTo("type.googleapis.com/google.rpc.ErrorInfo");
        assertThat(details.get(0).path("reason").asText()).isEqualTo("SERVICE_UNAVAILABLE");
        assertThat(details.get(0).path("domain").asText()).isEqualTo("paygate.dev");
        assertThat(details.get(1).path("@type").asText()).isEqualTo("type.googleapis.com/google.rpc.RetryInfo");
    }

    /**
     * A call that reaches a replica while its database is down (straight to its port: Envoy sends
     * none) gets the service's own UNAVAILABLE DATABASE_UNAVAILABLE with retry advice, counted as
     * a PostgreSQL fallback.
     */
    private void assertReplicaRefusesAndCounts(int replica) {
        ServiceMetrics metrics = ServiceMetrics.of(edge, replica);
        long before = metrics.fallbacks("postgresql", "refuse");
        ManagedChannel direct = edge.directChannel(replica);
        try {
            assertThatThrownBy(() -> keyedWrite(AuthorizationServiceGrpc.newBlockingStub(direct)
                    .withInterceptors(edge.headers(Map.of("idempotency-key", "health-it-down")))))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                        assertThat(KeyedWriteLoad.reason(e)).isEqualTo("DATABASE_UNAVAILABLE");
                        assertThat(KeyedWriteLoad.hasRetryInfo(e)).isTrue();
                    });
        } finally {
            direct.shutdownNow();
        }
        assertThat(metrics.fallbacks("postgresql", "refuse")).isEqualTo(before + 1);
    }

    private Authorization keyedWrite(AuthorizationServiceGrpc.AuthorizationServiceBlockingStub stub) {
        return stub.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS).createAuthorization(authorization());
    }

    private Account getAccount() {
        return edge.accounts().withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .getAccount(GetAccountRequest.newBuilder().setName(account.getName()).build());
    }

    private CreateAuthorizationRequest authorization() {
        return CreateAuthorizationRequest.newBuilder()
                .setParent(account.getName())
                .setAuthorization(Authorization.newBuilder().setAmount(eur(1)).setMerchantId("health-it")
                        .setMerchantCategoryCode("5411"))
                .build();
    }

    /** Replica 0 as it is now (restart replaces the process object). */
    private static ServiceProcess leaving0() {
        return edge.stack().replicas().get(0);
    }

    private static Money eur(long units) {
        return Money.newBuilder().setCurrencyCode("EUR").setUnits(units).build();
    }

    private static Duration since(long nanos) {
        return Duration.ofNanos(System.nanoTime() - nanos);
    }

    /**
     * Two client threads sending unkeyed authorizations back to back. Unkeyed writes are the
     * strictest probe: Envoy never retries them, so a call that meets a replica at a bad moment
     * reaches the client as an error.
     */
    private final class Load implements AutoCloseable {

        final AtomicLong ok = new AtomicLong();
        final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<Thread> threads = new ArrayList<>();

        Load() {
            for (int t = 0; t < 2; t++) {
                Thread thread = new Thread(() -> {
                    while (running.get()) {
                        try {
                            edge.authorizations()
                                    .withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                                    .createAuthorization(authorization());
                            ok.incrementAndGet();
                        } catch (StatusRuntimeException e) {
                            failures.add(e.getStatus().getCode() + " " + e.getStatus().getDescription());
                        }
                    }
                }, "health-it-load-" + t);
                thread.start();
                threads.add(thread);
            }
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            for (Thread thread : threads) {
                thread.join(TimeUnit.SECONDS.toMillis(10));
            }
        }
    }
}
