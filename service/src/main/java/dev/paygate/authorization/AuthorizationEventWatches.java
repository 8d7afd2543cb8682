package dev.paygate.authorization;

import com.google.protobuf.Timestamp;
import dev.paygate.account.Accounts;
import dev.paygate.account.ResourceNames;
import dev.paygate.error.ApiException;
import dev.paygate.error.ErrorReason;
import dev.paygate.grpc.StreamProperties;
import dev.paygate.persistence.Database;
import dev.paygate.v1.AuthorizationEvent;
import dev.paygate.v1.WatchAuthorizationEventsRequest;
import dev.paygate.v1.WatchAuthorizationEventsResponse;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows accounts' authorization events for their owners (WatchAuthorizationEvents): each open
 * watch replays the events after its cursor, then polls for new ones every
 * {@code paygate.streams.poll-interval}, sending a heartbeat when nothing was sent for
 * {@code heartbeat}, and ends itself after {@code max-duration} with STREAM_DURATION_REACHED, or
 * earlier when the caller's token expires (UNAUTHENTICATED: the edge and the service check a token
 * only when a call starts, so a stream would otherwise outlive its credentials).
 *
 * <p>Invariants: a watch sends an account's events in {@code sequence} order, each once, none
 * skipped. It reads every event after its cursor (filters are applied here, so the cursor moves
 * over events that do not match) and an account's events commit in sequence order under its
 * account lock (AuthorizationEventStore), so no event can appear later below a cursor already
 * passed. The database is the only state, so this holds on any replica and across reconnects.
 *
 * <p>A watch holds no thread and no connection between polls: every watch of the replica is
 * polled by {@value #POLL_THREADS} threads, each poll is one indexed query in its own short
 * transaction, so the cost of an open watch is one query per poll interval and a few small objects.
 * At most {@code max-per-identity} watches per identity are open on a replica (TOO_MANY_STREAMS).
 */
@Singleton
public class AuthorizationEventWatches {

    private static final Logger LOG = LoggerFactory.getLogger(AuthorizationEventWatches.class);
    /** Two threads keep polls going while one waits on a slow query; more would only queue on the database. */
    private static final int POLL_THREADS = 2;
    /** Events read per poll; a full batch is followed by the next poll at once. */
    private static final int BATCH = 100;
    /** One poll is one indexed query: past this the database is in trouble, and the stream ends. */
    private static final Duration POLL_BUDGET = Duration.ofSeconds(2);

    private final Database database;
    private final Accounts accounts;
    private final AuthorizationEventStore store;
    private final StreamProperties properties;
    private final Clock clock;
    private final ScheduledExecutorService pollers;
    private final Map<String, AtomicInteger> openByIdentity = new ConcurrentHashMap<>();
    private final AtomicInteger open = new AtomicInteger();
    private final Counter eventsSent;
    private final Counter heartbeatsSent;
    private final Counter refusedOverLimit;

    AuthorizationEventWatches(Database database, Accounts accounts, AuthorizationEventStore store,
                              StreamProperties properties, Clock clock, MeterRegistry meters) {
        this.database = database;
        this.accounts = accounts;
        this.store = store;
        this.properties = properties;
        this.clock = clock;
        AtomicInteger threadNumber = new AtomicInteger();
        this.pollers = Executors.newScheduledThreadPool(POLL_THREADS, task -> {
            Thread thread = new Thread(task, "paygate-watch-" + threadNumber.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        Gauge.builder("paygate.streams.open", open, AtomicInteger::get)
                .description("WatchAuthorizationEvents streams open on this replica")
                .register(meters);
        this.eventsSent = Counter.builder("paygate.stream.events.sent")
                .description("Authorization events sent on WatchAuthorizationEvents streams")
                .register(meters);
        this.heartbeatsSent = Counter.builder("paygate.stream.heartbeats.sent")
                .description("Heartbeats sent on idle WatchAuthorizationEvents streams")
                .register(meters);
        // Registered up front: the dashboard's rate() has a series (0) before the first refusal.
        this.refusedOverLimit = Counter.builder("paygate.streams.refused")
                .description("WatchAuthorizationEvents streams refused before they opened, by why")
                .tag("reason", "too_many_streams")
                .register(meters);
    }

    /**
     * Opens a watch for the account's owner, or throws before anything is sent: INVALID_ARGUMENT
     * for a filter naming another account's authorization, TOO_MANY_STREAMS, ACCOUNT_ACCESS_DENIED.
     */
    public void open(WatchAuthorizationEventsRequest request, String owner, Instant tokenExpires, WatchSink sink) {
        String accountId = ResourceNames.accountId(request.getParent());
        String authorization = request.getAuthorization();
        if (!authorization.isEmpty() && !ResourceNames.accountId(authorization).equals(accountId)) {
            throw ApiException.invalidField("authorization", "must be an authorization of " + request.getParent());
        }
        AtomicInteger mine = openByIdentity.computeIfAbsent(owner, o -> new AtomicInteger());
        if (mine.incrementAndGet() > properties.maxPerIdentity()) {
            release(owner, mine);
            refusedOverLimit.increment();
            throw ApiException.tooManyStreams("this identity already has " + properties.maxPerIdentity()
                    + " streams open on this replica, the most it may; close one and retry",
                    Map.of("limit", String.valueOf(properties.maxPerIdentity())));
        }
        try {
            database.withDeadline(POLL_BUDGET, () -> database.inTransaction(tx -> accounts.findOwned(tx, accountId, owner)));
        } catch (RuntimeException e) {
            release(owner, mine);
            throw e;
        }
        open.incrementAndGet();
        Watch watch = new Watch(owner, mine, accountId, request, tokenExpires, sink);
        sink.onCancel(watch::finish);
        pollers.execute(watch::poll);
    }

    private void release(String owner, AtomicInteger mine) {
        if (mine.decrementAndGet() == 0) {
            openByIdentity.remove(owner, mine);
        }
    }

    @PreDestroy
    void stop() {
        pollers.shutdownNow();
    }

    /** One open stream: its cursor and filters; polled by one poller thread at a time. */
    private final class Watch {

        private final String owner;
        private final AtomicInteger ownerStreams;
        private final String accountId;
        private final String authorization;
        private final AuthorizationEvent.Type type;
        private final WatchSink sink;
        private final long endNanos;
        private final Instant tokenExpires;
        private final long tokenEndNanos;
        private final AtomicBoolean finished = new AtomicBoolean();
        private long cursor;
        /** When the last message went out; 0 until the first, so a caught-up stream says so at once. */
        private long lastSentNanos;

        Watch(String owner, AtomicInteger ownerStreams, String accountId, WatchAuthorizationEventsRequest request,
              Instant tokenExpires, WatchSink sink) {
            this.owner = owner;
            this.ownerStreams = ownerStreams;
            this.accountId = accountId;
            this.authorization = request.getAuthorization();
            this.type = request.getType();
            this.sink = sink;
            this.cursor = request.getAfterSequence();
            this.endNanos = System.nanoTime() + properties.maxDuration().toNanos();
            // Real time, as the token verifier's: the business clock may be a test's.
            this.tokenExpires = tokenExpires;
            this.tokenEndNanos = System.nanoTime() + Duration.between(Instant.now(), tokenExpires).toNanos();
        }

        void poll() {
            if (finished.get()) {
                return;
            }
            try {
                if (System.nanoTime() - tokenEndNanos >= 0) {
                    end(ApiException.unauthenticated(ErrorReason.TOKEN_INVALID, "the token expired at " + tokenExpires
                            + "; reconnect with a fresh token and after_sequence " + cursor));
                    return;
                }
                if (System.nanoTime() - endNanos >= 0) {
                    end(ApiException.streamDurationReached("the stream reached its maximum duration of "
                            + properties.maxDuration() + "; reconnect with after_sequence " + cursor,
                            Map.of("after_sequence", String.valueOf(cursor))));
                    return;
                }
                if (sink.expired()) {
                    end(ApiException.deadlineExceeded(ErrorReason.DEADLINE_EXCEEDED, "the call's deadline passed;"
                            + " reconnect with after_sequence " + cursor));
                    return;
                }
                if (!sink.ready()) {
                    schedule(properties.pollInterval());
                    return;
                }
                List<AuthorizationEvent> events = database.withDeadline(POLL_BUDGET, () ->
                        database.inTransaction(tx -> store.page(tx, accountId, cursor, null, null, BATCH)));
                boolean sent = false;
                for (AuthorizationEvent event : events) {
                    cursor = event.getSequence();
                    if (matches(event)) {
                        sink.send(WatchAuthorizationEventsResponse.newBuilder().setAuthorizationEvent(event).build());
                        eventsSent.increment();
                        sent = true;
                    }
                }
                long now = System.nanoTime();
                if (sent) {
                    lastSentNanos = now;
                } else if (lastSentNanos == 0 || now - lastSentNanos >= properties.heartbeat().toNanos()) {
                    sink.send(heartbeat());
                    heartbeatsSent.increment();
                    lastSentNanos = now;
                }
                schedule(events.size() == BATCH ? Duration.ZERO : properties.pollInterval());
            } catch (RuntimeException e) {
                if (!(e instanceof ApiException)) {
                    LOG.error("watch of account {} failed after sequence {}", accountId, cursor, e);
                }
                end(e);
            }
        }

        private boolean matches(AuthorizationEvent event) {
            return (authorization.isEmpty() || authorization.equals(event.getAuthorization()))
                    && (type == AuthorizationEvent.Type.TYPE_UNSPECIFIED || type == event.getType());
        }

        private WatchAuthorizationEventsResponse heartbeat() {
            Instant now = clock.instant();
            return WatchAuthorizationEventsResponse.newBuilder()
                    .setHeartbeat(WatchAuthorizationEventsResponse.Heartbeat.newBuilder()
                            .setAfterSequence(cursor)
                            .setSendTime(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano())))
                    .build();
        }

        private void schedule(Duration delay) {
            if (!finished.get()) {
                pollers.schedule(this::poll, delay.toNanos(), TimeUnit.NANOSECONDS);
            }
        }

        private void end(RuntimeException failure) {
            if (finish()) {
                sink.fail(failure);
            }
        }

        /** Releases the watch's place once; true for the caller that did. */
        boolean finish() {
            if (!finished.compareAndSet(false, true)) {
                return false;
            }
            open.decrementAndGet();
            release(owner, ownerStreams);
            return true;
        }
    }
}
