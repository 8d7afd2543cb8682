package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.devstack.ScaleRequests;
import dev.paygate.devstack.ServiceProcess;
import dev.paygate.e2e.EndToEnd.RateLimits;
import io.grpc.Status;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Replicas that come and go under steady keyed authorizations through Envoy, changed as ./paygate
 * scale changes them (its requests to the launcher, {@link ScaleRequests}, then {@code Stack#scaleTo}:
 * a new replica joins every Envoy's rotation once it answers SERVING, a leaving one leaves the
 * rotation before it is stopped). First what one replica serves flat out (a closed loop of
 * {@value #CLIENTS} clients), then an open loop offering {@value #OFFERED_SHARE} of that: one
 * replica alone at that rate, then 1 -> 2 -> 3 -> 1 while the keys keep arriving. Every key (each
 * retried with the same key until it succeeded) holds exactly one authorization, no call fails
 * where the client can see it (but for a bounded few missed deadlines and calls Envoy's circuit
 * breaker refused, each retried with its key), Envoy never fails a health
 * check or a connection on a replica that comes or goes, the answers never stop for a second, and
 * each phase's goodput stays at {@value #GOODPUT_FLOOR} of one replica's alone at the same offered
 * rate or more. Prints every phase's goodput and its worst second against that, and the load
 * average, to stdout (the failsafe report).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
// All clients are one caller on one address.
@EndToEnd(replicas = 2, rateLimits = RateLimits.SHADOWED)
class ScaleIT {

    private static final int CLIENTS = 24;
    // Open loop: keys go to the accounts in turn, so several can be in flight on one account.
    private static final int ACCOUNTS = 48;
    // Steady load, not a saturating one: a third of what one replica serves flat out here. Three
    // replicas, PostgreSQL, Envoy and the clients share 2 cores: at half (429 of 859/s, a quiet CI)
    // the third replica's cold first seconds cost 0.92 of one replica's goodput and 8 failed calls.
    private static final double OFFERED_SHARE = 1.0 / 3;
    private static final Duration DEADLINE = Duration.ofSeconds(2);
    // Issue 17: goodput >= 90 % of one replica's, per phase (the worst second is printed, not judged).
    private static final double GOODPUT_FLOOR = 0.9;
    // An outage shows as a gap with no answer at all.
    private static final Duration LONGEST_GAP = Duration.ofSeconds(1);

    private Edge edge;

    @BeforeAll
    void setUp(Edge started) {
        edge = started;
    }

    @Test
    void scaleUpAndDown_underKeyedLoad_noPaymentLostOrDoubled_goodputHolds_noClientSeesAnError() throws Exception {
        try (ClosedLoopWrites saturating = new ClosedLoopWrites(edge, CLIENTS, 2, DEADLINE, true);
             OpenLoopWrites load = new OpenLoopWrites(edge, ACCOUNTS, 2, DEADLINE, true);
             ScaleRequests launcher = ScaleRequests.serve(edge.stack(), edge.stack().workDir())) {
            // One replica alone: the stack starts with two, the newest leaves first.
            edge.stack().scaleTo(1);
            double capacity = oneReplicaFlatOut(saturating);
            double offered = capacity * OFFERED_SHARE;
            long healthCheckFailuresBefore = edge.stack().envoy().stat("cluster.paygate_service.health_check.failure");
            long refusedBefore = edge.stack().envoy().stat("cluster.paygate_service.upstream_cx_connect_fail");
            load.start(offered);
            load.measure(Duration.ofSeconds(3));
            long aloneStart = System.nanoTime();
            KeyedWriteLoad.Window alone = load.measure(Duration.ofSeconds(8));
            KeyedWriteLoad.Window aloneWorst = load.worstSecond(aloneStart, System.nanoTime());

            // Printed as it goes: a run that fails half-way still shows its figures.
            System.out.printf(
                    "ScaleIT: load average %.2f; one replica flat out (%d clients): %.0f/s; offered %.0f keys/s, deadline %d ms%n"
                            + "  one replica alone: %s; worst second %d ok%n",
                    loadAverage(), CLIENTS, capacity, offered, DEADLINE.toMillis(), alone, aloneWorst.ok());
            Map<String, Double> goodputOfAlone = new TreeMap<>();
            for (int count : new int[] {2, 3, 1}) {
                int from = edge.stack().stableReplicas();
                long start = System.nanoTime();
                String replicas = ScaleRequests.request(edge.stack().workDir(), count, Duration.ofMinutes(3));
                long end = System.nanoTime();
                KeyedWriteLoad.Window after = load.measure(Duration.ofSeconds(6));
                KeyedWriteLoad.Window change = load.window(start, end);
                System.out.print(phase(String.format("%d->%d change", from, count), change, load.worstSecond(start, end), alone));
                System.out.print(phase(String.format("%d->%d after ", from, count), after,
                        load.worstSecond(end, System.nanoTime()), alone));
                goodputOfAlone.put(from + "->" + count + " change", change.goodput() / alone.goodput());
                goodputOfAlone.put(from + "->" + count + " after", after.goodput() / alone.goodput());
                assertThat(replicas.split(" ")).as("the answer lists the replicas").hasSize(count);
            }
            long loadEnd = System.nanoTime();
            load.stop();
            load.awaitIdle(Duration.ofSeconds(30));

            List<KeyedWriteLoad.Attempt> attempts = load.attempts();
            Map<String, Long> clientErrors = new TreeMap<>();
            attempts.stream().filter(a -> a.code() != Status.Code.OK).forEach(a -> clientErrors.merge(a.kind(), 1L, Long::sum));
            long replays = attempts.stream().filter(KeyedWriteLoad.Attempt::replayed).count();
            long[] answered = attempts.stream().filter(a -> a.code() == Status.Code.OK && a.endNanos() < loadEnd)
                    .mapToLong(KeyedWriteLoad.Attempt::endNanos).sorted().toArray();
            long longestGapNanos = 0;
            for (int i = 1; i < answered.length; i++) {
                longestGapNanos = Math.max(longestGapNanos, answered[i] - answered[i - 1]);
            }
            System.out.printf("  attempts %d, client-visible errors %s, replays %d, longest gap between answers %d ms%n"
                            + "  load average at the end %.2f; envoy %s; %s%n",
                    attempts.size(), clientErrors, replays, longestGapNanos / 1_000_000, loadAverage(),
                    Upstreams.nonZeroClusterStats(edge, "retry|connect_fail|overflow|timeout|503|reset|cx_destroy_remote_with_active_rq"),
                    Upstreams.describe(edge));

            ExactlyOnce.assertEveryKeyHoldsOnce(edge, load.accounts(), attempts);
            assertThat(goodputOfAlone).as("goodput of each phase, of one replica's alone at the same offered rate")
                    .allSatisfy((phase, share) -> assertThat(share).as(phase).isGreaterThanOrEqualTo(GOODPUT_FLOOR));
            // A deadline the busy machine made a client miss, or a call Envoy's circuit breaker
            // refused while a cold replica was slow (a bare UNAVAILABLE: its 503 overflow), is load,
            // not the change, and the key's retry absorbed it: bounded together. Anything else is
            // the change's doing; a refused connection is judged apart, below, by Envoy's count.
            long loadShed = clientErrors.entrySet().stream()
                    .filter(e -> e.getKey().startsWith("DEADLINE_EXCEEDED") || e.getKey().equals("UNAVAILABLE"))
                    .mapToLong(Map.Entry::getValue).sum();
            assertThat(clientErrors.keySet()).as("calls that failed where the client saw it, other than missed deadlines and overflow")
                    .allMatch(kind -> kind.startsWith("DEADLINE_EXCEEDED") || kind.equals("UNAVAILABLE"));
            assertThat(loadShed).as("missed deadlines and overflow refusals").isLessThanOrEqualTo(Math.max(2, attempts.size() / 1000));
            // The order: a replica joins once SERVING and leaves the rotation before it stops, so
            // Envoy never health-checks one that is not up and never connects to one that is gone.
            assertThat(edge.stack().envoy().stat("cluster.paygate_service.health_check.failure") - healthCheckFailuresBefore)
                    .as("health checks that failed while replicas came and went").isZero();
            assertThat(edge.stack().envoy().stat("cluster.paygate_service.upstream_cx_connect_fail") - refusedBefore)
                    .as("connections a replica refused, even those a retry absorbed").isZero();
            assertThat(Duration.ofNanos(longestGapNanos)).as("longest time without an answer").isLessThan(LONGEST_GAP);
            assertThat(edge.stack().stableReplicas()).isEqualTo(1);
            ServiceProcess last = edge.stack().replicas().get(0);
            assertThat(Upstreams.host(edge, last).healthy()).as("the one replica left is in rotation").isTrue();
        }
    }

    /** Goodput of one replica under a closed loop of {@value #CLIENTS} clients, after a warm-up; its keys checked too. */
    private double oneReplicaFlatOut(ClosedLoopWrites saturating) throws InterruptedException {
        saturating.start();
        saturating.measure(Duration.ofSeconds(5));  // a fresh JVM: JIT and pools warm up first
        double goodput = saturating.measure(Duration.ofSeconds(8)).goodput();
        saturating.stop();
        saturating.awaitIdle(Duration.ofSeconds(30));
        ExactlyOnce.assertEveryKeyHoldsOnce(edge, saturating.accounts(), saturating.attempts());
        return goodput;
    }

    private static String phase(String name, KeyedWriteLoad.Window window, KeyedWriteLoad.Window worst,
                                KeyedWriteLoad.Window alone) {
        return String.format("  %s: %s (%.2f of alone); worst second %d ok (%.2f of alone)%n", name, window,
                window.goodput() / alone.goodput(), worst.ok(), worst.ok() / alone.goodput());
    }

    private static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }
}
