package dev.paygate.e2e;

import static dev.paygate.e2e.Payments.account;
import static dev.paygate.e2e.Payments.authorize;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.paygate.e2e.EndToEnd.RateLimits;
import dev.paygate.v1.WatchAuthorizationEventsResponse;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A client following an account's events through Envoy while the replica serving its stream is
 * SIGKILLed: its stream ends, it reconnects with the sequence of the last event it got, Envoy
 * sends it to the survivor, and it sees every event of the account exactly once, in order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@EndToEnd(replicas = 2, rateLimits = RateLimits.SHADOWED,
        serviceEnvironment = {"PAYGATE_STREAM_HEARTBEAT=1s", "PAYGATE_STREAM_POLL_INTERVAL=100ms"})
class WatchReconnectIT {

    private Edge edge;

    @BeforeAll
    void setUp(Edge started) {
        edge = started;
    }

    @Test
    void theStreamsReplicaKilled_theClientReconnectsWithItsCursor_andSeesEveryEventExactlyOnce() throws Exception {
        String account = edge.accounts().createAccount(account(1_000_000)).getName();
        AtomicBoolean writing = new AtomicBoolean(true);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            while (writing.get()) {
                try {
                    edge.authorizations().createAuthorization(authorize(account, 1));
                } catch (RuntimeException e) {
                    // Unkeyed and refused or cut by the kill: it committed or not; the events table says which.
                }
                sleep(50);
            }
        });
        Follower follower = new Follower(account);
        CompletableFuture<Void> following = CompletableFuture.runAsync(follower::run);
        try {
            await("some events followed").atMost(Duration.ofSeconds(20)).until(() -> follower.cursor.get() >= 10);
            int serving = servingReplica();
            edge.stack().replicas().get(serving).kill();
            long killedAtCursor = follower.cursor.get();
            await("events followed after the kill").atMost(Duration.ofSeconds(30))
                    .until(() -> follower.cursor.get() >= killedAtCursor + 20);
        } finally {
            writing.set(false);
            writer.get(30, TimeUnit.SECONDS);
        }
        String accountId = account.substring(account.lastIndexOf('/') + 1);
        long stored = edge.count("SELECT count(*) FROM authorization_events WHERE account_id = '" + accountId + "'");
        await("the follower caught up with every stored event").atMost(Duration.ofSeconds(20))
                .until(() -> follower.cursor.get() == stored);
        follower.stop.set(true);
        following.get(10, TimeUnit.SECONDS);

        assertThat(follower.sequences).as("every event once, in order").containsExactlyElementsOf(
                LongStream.rangeClosed(1, stored).boxed().toList());
        // The client sees the dying replica's stream end as UNAVAILABLE (earlier CIs) or INTERNAL (a
        // quiet CI, 2026-12-07); either way it goes on from its cursor.
        assertThat(follower.ends).as("the killed replica's stream ended, and the client reconnected")
                .containsAnyOf(Status.Code.UNAVAILABLE, Status.Code.INTERNAL);
        assertThat(follower.connections.get()).isGreaterThanOrEqualTo(2);
    }

    /** The replica whose paygate_streams_open counts the follower's one stream. */
    private int servingReplica() {
        int[] serving = {-1};
        await("the stream's replica").atMost(Duration.ofSeconds(10)).until(() -> {
            for (int i = 0; i < edge.stack().replicas().size(); i++) {
                if (ServiceMetrics.of(edge, i).openStreams() == 1) {
                    serving[0] = i;
                    return true;
                }
            }
            return false;
        });
        return serving[0];
    }

    /** Follows the account, reconnecting after its last event's sequence whenever a stream ends. */
    private final class Follower {

        final List<Long> sequences = new CopyOnWriteArrayList<>();
        final List<Status.Code> ends = new CopyOnWriteArrayList<>();
        final AtomicLong cursor = new AtomicLong();
        final AtomicLong connections = new AtomicLong();
        final AtomicBoolean stop = new AtomicBoolean();
        private final String account;

        Follower(String account) {
            this.account = account;
        }

        void run() {
            while (!stop.get()) {
                try (EventWatch watch = EventWatch.open(edge.channel(), edge.headers(Map.of()),
                        EventWatch.after(account, cursor.get()))) {
                    connections.incrementAndGet();
                    while (!stop.get()) {
                        WatchAuthorizationEventsResponse next = watch.poll(200);
                        if (next == null) {
                            if (watch.end().isDone()) {
                                Throwable end = watch.end().join();
                                ends.add(end == null ? Status.Code.OK : Status.fromThrowable(end).getCode());
                                break;
                            }
                        } else if (next.hasAuthorizationEvent()) {
                            sequences.add(next.getAuthorizationEvent().getSequence());
                            cursor.set(next.getAuthorizationEvent().getSequence());
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                sleep(200);  // a reconnect's back-off
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
