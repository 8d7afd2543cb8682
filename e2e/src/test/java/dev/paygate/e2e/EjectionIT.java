package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.paygate.devstack.ServiceProcess;
import dev.paygate.e2e.EndToEnd.RateLimits;
import dev.paygate.edge.EnvoyProcess;
import dev.paygate.v1.GetAccountRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Who leaves rotation, against two replicas on one PostgreSQL: calls that miss their deadlines on
 * a busy replica (a careless or hostile client, or plain overload) must eject no replica, while a
 * replica that really dies (SIGKILL) leaves rotation by its health check and the survivor serves
 * every read.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@EndToEnd(replicas = 2, rateLimits = RateLimits.SHADOWED)
class EjectionIT {

    private static final String EJECTIONS = "cluster.paygate_service.outlier_detection.ejections_enforced_total";
    private static final String UPSTREAM_REQUESTS = "cluster.paygate_service.upstream_rq_total";

    private Edge edge;
    private String account;
    private ExecutorService callers;

    @BeforeAll
    void setUp(Edge started) {
        edge = started;
        account = new RestPayments(edge).createAccount(500).get("name").asText();
        callers = Executors.newFixedThreadPool(16);
    }

    @AfterAll
    void stopEdge() {
        if (callers != null) {
            callers.shutdownNow();
        }
    }

    @BeforeEach
    void everyReplicaUp() {
        Upstreams.restartDeadReplicasAndAwaitAllHealthy(edge);
    }

    @Test
    void floodOfWritesThatMissTheirDeadlines_ejectsNoReplica_andChargesNothing() throws Exception {
        // The account row stays locked, so every write reaches a replica and waits there until its
        // deadline passes. The client asks Envoy for a 300 ms budget (grpc-timeout) but waits far
        // longer itself, so Envoy's own timer ends each call: the upstream timeouts that made
        // Envoy eject busy, healthy replicas.
        RestPayments.Balances before = new RestPayments(edge).balances(account);
        long ejectionsBefore = envoy().stat(EJECTIONS);
        long upstreamBefore = envoy().stat(UPSTREAM_REQUESTS);
        Map<Integer, Integer> statuses = new java.util.TreeMap<>();
        try (Connection lock = edge.connect()) {
            lock.setAutoCommit(false);
            try (PreparedStatement select = lock.prepareStatement("SELECT id FROM accounts WHERE id = ? FOR UPDATE")) {
                select.setString(1, account.substring("accounts/".length()));
                select.executeQuery().close();
            }
            RestPayments rest = new RestPayments(edge);
            List<Future<Edge.Rest>> calls = new ArrayList<>();
            for (int i = 0; i < 160; i++) {
                calls.add(callers.submit(() -> rest.authorize(account, 1, Map.of("grpc-timeout", "300m"))));
            }
            for (Future<Edge.Rest> call : calls) {
                statuses.merge(call.get(60, TimeUnit.SECONDS).status(), 1, Integer::sum);
            }
            lock.rollback();
        }
        long reachedReplicas = envoy().stat(UPSTREAM_REQUESTS) - upstreamBefore;

        System.out.printf("160 REST writes blocked past their 300 ms budget: HTTP %s, %d reached a replica; %s%n",
                statuses, reachedReplicas, Upstreams.describe(edge));
        // 504 from Envoy's timer, or, when the replica's own deadline reset the stream first
        // (grpc-java cancels a call whose deadline passes), 500 COMMIT_OUTCOME_UNKNOWN: a reset
        // tells Envoy nothing about a commit. Either way the client's call failed.
        assertThat(statuses.keySet()).as("all failed in time").isSubsetOf(500, 504);
        assertThat(reachedReplicas).as("every write reached a replica").isEqualTo(160);
        assertThat(envoy().stat(EJECTIONS)).as("no replica ejected").isEqualTo(ejectionsBefore);
        assertThat(Upstreams.allHealthy(edge)).as("both replicas in rotation: %s", Upstreams.describe(edge)).isTrue();
        assertThat(new RestPayments(edge).balances(account)).as("nothing charged").isEqualTo(before);
        Upstreams.awaitEveryReplicaServing(edge, Duration.ofSeconds(5), () -> assertThat(read()).isEqualTo(Status.Code.OK));
    }

    @Test
    void sharedPostgres_runsDurably() throws Exception {
        try (Connection connection = edge.connect(); var statement = connection.createStatement()) {
            for (String setting : new String[] {"fsync", "synchronous_commit"}) {
                try (var row = statement.executeQuery("SHOW " + setting)) {
                    row.next();
                    assertThat(row.getString(1)).as(setting).isEqualTo("on");
                }
            }
        }
    }

    @Test
    void sigkilledReplica_leavesRotation_whileTheSurvivorServesEveryRead() {
        ServiceProcess victim = edge.stack().replicas().get(1);
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong served = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        Future<?> load = callers.submit(() -> {
            while (running.get()) {
                if (read() == Status.Code.OK) {
                    served.incrementAndGet();
                } else {
                    failed.incrementAndGet();
                }
            }
        });
        try {
            await("some reads served before the kill").atMost(Duration.ofSeconds(5)).until(() -> served.get() > 20);
            long killedAt = System.nanoTime();
            victim.kill();

            await("the health check takes the killed replica out").atMost(Duration.ofSeconds(5))
                    .pollInterval(Duration.ofMillis(20)).until(() -> Upstreams.host(edge, victim).failedHealthCheck());
            long outAfterMillis = (System.nanoTime() - killedAt) / 1_000_000;
            long servedAfterKill = served.get();
            await("the survivor keeps serving").atMost(Duration.ofSeconds(5)).until(() -> served.get() > servedAfterKill + 50);

            System.out.printf("SIGKILL: out of rotation after %d ms (%s); reads served %d, failed %d; %s%n", outAfterMillis,
                    Upstreams.host(edge, victim).healthFlags(), served.get(), failed.get(), Upstreams.describe(edge));
            assertThat(Upstreams.host(edge, edge.stack().replicas().get(0)).healthy()).as("the survivor is never ejected").isTrue();
            assertThat(failed.get()).as("reads are retried on the survivor").isZero();
        } finally {
            running.set(false);
            try {
                load.get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private Status.Code read() {
        try {
            edge.accounts().withDeadlineAfter(2, TimeUnit.SECONDS)
                    .getAccount(GetAccountRequest.newBuilder().setName(account).build());
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }

    private EnvoyProcess envoy() {
        return edge.stack().envoy();
    }
}
