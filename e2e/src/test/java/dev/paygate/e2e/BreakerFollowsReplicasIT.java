package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;


import com.google.common.util.concurrent.ListenableFuture;
import dev.paygate.devstack.EdgePorts;
import dev.paygate.devstack.credentials.EdgeTls;
import dev.paygate.e2e.EndToEnd.RateLimits;
import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.EnvoyProcess;
import dev.paygate.edge.Repository;
import dev.paygate.edge.capacity.ServiceAdmission;
import dev.paygate.v1.AccountServiceGrpc;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.AuthorizationServiceGrpc;
import dev.paygate.v1.GetAccountRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Envoy's circuit breaker on the service cluster bounds what the replicas in rotation admit, as
 * their number changes ({@code Stack#scaleTo}, which ./paygate scale drives): with three replicas
 * it lets through more calls at once than envoy.yaml's bound for two, and refuses none the
 * replicas would take; scaled to one, it lets through what one replica admits and refuses the
 * rest itself, at once, so the replica never has to. The calls are held in flight by PostgreSQL:
 * a session of the test holds the accounts' row locks until every call is inside a replica or
 * refused. Unkeyed writes: their route never retries an attempt a replica received, so every call
 * is one attempt and Envoy's counters count calls. On a busy machine some calls outlast the route's
 * per-try timeout (2.3 s) between the send and the answer: those are counted apart, by Envoy, and
 * printed with each hold, but never pass for a refusal.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
// 8 workers fit the replica's 10 database connections, so no worker fails waiting for one while
// the locks are held; 80 queued keep one replica's admission (88) close to the shipped one's.
@EndToEnd(replicas = 3, rateLimits = RateLimits.SHADOWED,
        serviceEnvironment = {"PAYGATE_WORKERS=" + BreakerFollowsReplicasIT.WORKERS,
                "PAYGATE_QUEUE_CAPACITY=" + BreakerFollowsReplicasIT.QUEUE})
class BreakerFollowsReplicasIT {

    static final String WORKERS = "8";
    static final String QUEUE = "80";
    private static final int PER_REPLICA = ServiceAdmission.read(Repository.locate().serviceConfig())
            .perReplica(Map.of("PAYGATE_WORKERS", WORKERS, "PAYGATE_QUEUE_CAPACITY", QUEUE));
    private static final int ACCOUNTS = 24;
    // Envoy's two worker threads check the bound without a lock: one may pass it by a call or two
    // (resource_manager_impl.h: "possible for resources to temporarily go above the supplied maximums").
    private static final int RACE = 2;
    private static final String SERVICE = "cluster." + EnvoyConfig.SERVICE_CLUSTER + ".";
    // envoy.yaml's max_requests, the bound for its default two replicas.
    private static final long SHIPPED_BOUND = ((Number) EnvoyConfig.cast(EnvoyConfig.list(EnvoyConfig.map(
            EnvoyConfig.load(Repository.locate().envoyYaml()).cluster(EnvoyConfig.SERVICE_CLUSTER), "circuit_breakers"),
            "thresholds").get(0)).get("max_requests")).longValue();

    private Edge edge;
    private final List<String> accounts = new ArrayList<>();
    // The public listener allows 100 streams per connection: one channel for every 100 calls or fewer.
    private final List<ManagedChannel> channels = new ArrayList<>();

    @BeforeAll
    void setUp(Edge started) {
        edge = started;
        for (int i = 0; i < ACCOUNTS; i++) {
            accounts.add(edge.accounts(Map.of("idempotency-key", UUID.randomUUID().toString()))
                    .createAccount(Payments.account(1_000_000)).getName());
        }
        for (int i = 0; i < 3; i++) {
            channels.add(EdgeTls.channel(edge.stack().envoyPort(), edge.stack().credentials().caCertificate()));
        }
    }

    @AfterAll
    void closeChannels() {
        channels.forEach(ManagedChannel::shutdownNow);
    }

    @Test
    @Order(1)
    void threeReplicas_moreCallsAtOnceThanEnvoyYamlsBoundForTwo_envoyRefusesNone() throws Exception {
        int calls = 228;  // over envoy.yaml's 192, under 3 x 88: 76 a replica
        assertThat((long) calls).isGreaterThan(SHIPPED_BOUND + RACE).isLessThanOrEqualTo(3 * PER_REPLICA - 3 * RACE * 2);

        Outcome outcome = holdInFlight(calls);

        assertThat(outcome.refused()).as("calls Envoy's circuit breaker refused; " + outcome).isZero();
        assertThat(outcome.inFlight()).as("calls inside the replicas at once").isGreaterThan(SHIPPED_BOUND + RACE);
        outcome.assertFailuresAreOnly(0);
    }

    @Test
    @Order(2)
    void scaledToOne_envoyLetsThroughWhatOneReplicaAdmits_andRefusesTheRestItself() throws Exception {
        edge.stack().scaleTo(1);
        int calls = 130;  // over one replica's 88, under envoy.yaml's 192

        Outcome outcome = holdInFlight(calls);

        assertThat(outcome.refused()).as("calls Envoy's circuit breaker refused; " + outcome)
                .isBetween((long) calls - PER_REPLICA - RACE, (long) calls - PER_REPLICA);
        assertThat(outcome.inFlight()).as("calls inside the one replica").isLessThanOrEqualTo(PER_REPLICA + RACE);
        // The replica refuses (SERVER_OVERLOADED) only what Envoy's race let past the bound.
        outcome.assertFailuresAreOnly(RACE);
    }

    @Test
    @Order(3)
    void scaling_setsTheBoundOnEveryEnvoy() {
        edge.stack().addEdge(EdgePorts.free());
        edge.stack().scaleTo(2);

        for (EnvoyProcess envoy : edge.stack().envoys()) {
            assertThat(maxRequests(envoy)).as("max_requests on " + envoy.adminUrl("")).isEqualTo(2L * PER_REPLICA);
        }
    }

    /**
     * Holds the accounts' row locks, sends {@code calls} authorizations round the accounts at once,
     * waits until each is inside a replica (Envoy's upstream_rq_active) or answered, notes that,
     * then lets them go and collects every answer.
     */
    private Outcome holdInFlight(int calls) throws Exception {
        warmConnections();
        long refusedBefore = refusedByEnvoy();
        long timedOutBefore = timedOutAtEnvoy();
        List<ListenableFuture<Authorization>> answers = new ArrayList<>();
        long inFlight;
        long sent;
        try (Connection lock = edge.connect()) {
            lock.setAutoCommit(false);
            try (PreparedStatement select = lock.prepareStatement("SELECT id FROM accounts WHERE id = ? FOR UPDATE")) {
                for (String account : accounts) {
                    select.setString(1, account.substring(account.lastIndexOf('/') + 1));
                    select.executeQuery().close();
                }
            }
            sent = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                answers.add(AuthorizationServiceGrpc.newFutureStub(channels.get(i % channels.size()))
                        .withInterceptors(edge.headers(Map.of())).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .createAuthorization(Payments.authorize(accounts.get(i % ACCOUNTS), 1)));
            }
            await("every call inside a replica or answered").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                    .until(() -> edge.stack().envoy().stat(SERVICE + "upstream_rq_active")
                            + answers.stream().filter(ListenableFuture::isDone).count() >= calls);
            inFlight = edge.stack().envoy().stat(SERVICE + "upstream_rq_active");
            lock.rollback();
        }
        long released = System.nanoTime();
        Map<String, Integer> statuses = new TreeMap<>();
        for (ListenableFuture<Authorization> answer : answers) {
            String status;
            try {
                answer.get(30, TimeUnit.SECONDS);
                status = "OK";
            } catch (ExecutionException e) {
                StatusRuntimeException failure = (StatusRuntimeException) e.getCause();
                String reason = KeyedWriteLoad.reason(failure);
                status = failure.getStatus().getCode() + (reason.isEmpty() ? "" : "/" + reason);
            }
            statuses.merge(status, 1, Integer::sum);
        }
        Outcome outcome = new Outcome(inFlight, statuses, refusedByEnvoy() - refusedBefore, timedOutAtEnvoy() - timedOutBefore);
        System.out.printf("BreakerFollowsReplicasIT: %d calls, %d replica(s) of %d: %s; held %d ms, answered %d ms after"
                        + " the release; load average %.2f%n", calls, edge.stack().stableReplicas(), PER_REPLICA, outcome,
                (released - sent) / 1_000_000, (System.nanoTime() - released) / 1_000_000,
                java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        return outcome;
    }

    /**
     * A few reads in turn on every channel, so that each Envoy worker its connection landed on has a
     * connection to every replica (round robin): the burst then never waits for a connect, where
     * max_pending_requests (100) would refuse calls for a reason other than the one tested here.
     */
    private void warmConnections() {
        for (ManagedChannel channel : channels) {
            for (int i = 0; i < 3 * edge.stack().stableReplicas(); i++) {
                AccountServiceGrpc.newBlockingStub(channel).withInterceptors(edge.headers(Map.of()))
                        .withDeadlineAfter(10, TimeUnit.SECONDS)
                        .getAccount(GetAccountRequest.newBuilder().setName(accounts.get(0)).build());
            }
        }
    }

    /** Envoy's refusals at the breaker: over max_requests (active), or waiting for a connection (pending). */
    private long refusedByEnvoy() {
        EnvoyProcess envoy = edge.stack().envoy();
        return envoy.stat(SERVICE + "upstream_rq_active_overflow") + envoy.stat(SERVICE + "upstream_rq_pending_overflow");
    }

    /** Attempts Envoy gave up on after the route's per-try timeout (a bare UNAVAILABLE, its 504). */
    private long timedOutAtEnvoy() {
        return edge.stack().envoy().stat(SERVICE + "upstream_rq_per_try_timeout");
    }

    private static long maxRequests(EnvoyProcess envoy) {
        try {
            return Edge.JSON.readTree(envoy.admin("/runtime")).path("entries")
                    .path("circuit_breakers.paygate_service.default.max_requests").path("final_value").asLong();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * What the clients saw ({@code statuses}: code/ErrorInfo reason, and how many) and Envoy counted
     * while one hold lasted: calls its breaker refused, attempts past the per-try timeout.
     */
    private record Outcome(long inFlight, Map<String, Integer> statuses, long refused, long timedOut) {

        /**
         * Every call answered, and every failure Envoy's refusal, a timeout the busy machine caused
         * (Envoy's per-try timeout, or the replica's own deadline), or at most {@code overloaded}
         * refusals by the replica itself.
         */
        void assertFailuresAreOnly(int overloaded) {
            assertThat(statuses.keySet()).as(toString()).allMatch(status -> status.equals("OK") || status.equals("UNAVAILABLE")
                    || status.equals("UNAVAILABLE/SERVER_OVERLOADED") || status.startsWith("DEADLINE_EXCEEDED"));
            assertThat((long) statuses.getOrDefault("UNAVAILABLE", 0)).as("bare UNAVAILABLE: Envoy's refusals and timeouts; " + this)
                    .isEqualTo(refused + timedOut);
            assertThat(statuses.getOrDefault("UNAVAILABLE/SERVER_OVERLOADED", 0)).as("refused by the replica; " + this)
                    .isLessThanOrEqualTo(overloaded);
        }
    }
}
