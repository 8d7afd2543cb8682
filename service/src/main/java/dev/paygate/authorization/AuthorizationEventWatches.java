package dev.paygate.authorization;

import dev.paygate.account.Accounts;
import dev.paygate.account.ResourceNames;
import dev.paygate.error.ApiException;
import dev.paygate.grpc.StreamProperties;
import dev.paygate.persistence.Database;
import dev.paygate.v1.AuthorizationEvent;
import dev.paygate.v1.WatchAuthorizationEventsRequest;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows accounts' authorization events for their owners (WatchAuthorizationEvents): each open
 * watch replays the events after its cursor, then follows new ones, sending a heartbeat when
 * nothing was sent for {@code heartbeat}, and ends itself after {@code max-duration} with
 * STREAM_DURATION_REACHED, or earlier when the caller's token expires (UNAUTHENTICATED: the edge
 * and the service check a token only when a call starts, so a stream would otherwise outlive its
 * credentials).
 *
 * <p>Invariants: a watch sends an account's events in {@code sequence} order, each once, none
 * skipped. It reads every event after its cursor (filters are applied in {@link EventWatch}, so
 * the cursor moves over events that do not match) and an account's events commit in sequence
 * order under its account lock (AuthorizationEventStore), so no event can appear later below a
 * cursor already passed. The database is the only state, so this holds on any replica and across
 * reconnects.
 *
 * <p>One poller thread reads for every watch of the replica: every {@code poll-interval} (and at
 * once when a watch opens or read a full batch) one query, in its own short transaction, returns
 * the events after each due watch's cursor, {@value #WATCHES_PER_QUERY} watches a query. So the
 * database sees about one query per interval per replica, however many streams are open, and a
 * watch holds no thread and no connection. At most {@code max-per-identity} watches per identity
 * are open on a replica (TOO_MANY_STREAMS).
 */
@Singleton
public class AuthorizationEventWatches {

    private static final Logger LOG = LoggerFactory.getLogger(AuthorizationEventWatches.class);
    /** Events read per watch and poll; a full batch makes the watch due again at once. */
    private static final int BATCH = 100;
    /** Bounds one query's result (and the time the others wait for it) to BATCH x this many events. */
    private static final int WATCHES_PER_QUERY = 500;
    /** A poll is one query: past this the database is in trouble, and the polled streams end. */
    private static final Duration POLL_BUDGET = Duration.ofSeconds(2);

    private final Database database;
    private final Accounts accounts;
    private final AuthorizationEventStore store;
    private final StreamProperties properties;
    private final Clock clock;
    /** One thread: polls run one after another, so a watch is read by one thread at a time. */
    private final ScheduledExecutorService poller;
    private final Set<EventWatch> watches = ConcurrentHashMap.newKeySet();
    /** Open watches per identity; changed only by merge/computeIfPresent, atomic per key. */
    private final Map<String, Integer> openByIdentity = new ConcurrentHashMap<>();
    private final Counter eventsSent;
    private final Counter heartbeatsSent;
    private final Counter polls;
    private final Counter refusedOverLimit;
    private final EventWatch.Events report;

    AuthorizationEventWatches(Database database, Accounts accounts, AuthorizationEventStore store,
                              StreamProperties properties, Clock clock, MeterRegistry meters) {
        this.database = database;
        this.accounts = accounts;
        this.store = store;
        this.properties = properties;
        this.clock = clock;
        this.poller = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "paygate-watch-poller");
            thread.setDaemon(true);
            return thread;
        });
        Gauge.builder("paygate.streams.open", watches, Set::size)
                .description("WatchAuthorizationEvents streams open on this replica")
                .register(meters);
        this.eventsSent = Counter.builder("paygate.stream.events.sent")
                .description("Authorization events sent on WatchAuthorizationEvents streams")
                .register(meters);
        this.heartbeatsSent = Counter.builder("paygate.stream.heartbeats.sent")
                .description("Heartbeats sent on idle WatchAuthorizationEvents streams")
                .register(meters);
        this.polls = Counter.builder("paygate.stream.polls")
                .description("Queries the stream poller ran for all of this replica's WatchAuthorizationEvents streams")
                .register(meters);
        // Registered up front: the dashboard's rate() has a series (0) before the first refusal.
        this.refusedOverLimit = Counter.builder("paygate.streams.refused")
                .description("WatchAuthorizationEvents streams refused before they opened, by why")
                .tag("reason", "too_many_streams")
                .register(meters);
        this.report = new EventWatch.Events() {
            @Override
            public void sentEvent() {
                eventsSent.increment();
            }

            @Override
            public void sentHeartbeat() {
                heartbeatsSent.increment();
            }

            @Override
            public void finished(EventWatch watch) {
                watches.remove(watch);
                release(watch.owner());
            }
        };
        long interval = properties.pollInterval().toNanos();
        poller.scheduleWithFixedDelay(this::poll, interval, interval, TimeUnit.NANOSECONDS);
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
        if (openByIdentity.merge(owner, 1, Integer::sum) > properties.maxPerIdentity()) {
            release(owner);
            refusedOverLimit.increment();
            throw ApiException.tooManyStreams("this identity already has " + properties.maxPerIdentity()
                    + " streams open on this replica, the most it may; close one and retry",
                    Map.of("limit", String.valueOf(properties.maxPerIdentity())));
        }
        try {
            database.withDeadline(POLL_BUDGET, () -> database.inTransaction(tx -> accounts.findOwned(tx, accountId, owner)));
        } catch (RuntimeException e) {
            release(owner);
            throw e;
        }
        EventWatch watch = new EventWatch(owner, accountId, request, tokenExpires, sink, properties, clock, report);
        watches.add(watch);
        sink.onCancel(watch::finish);
        poller.execute(this::poll);
    }

    private void release(String owner) {
        openByIdentity.computeIfPresent(owner, (o, count) -> count == 1 ? null : count - 1);
    }

    @PreDestroy
    void stop() {
        poller.shutdownNow();
    }

    /** Reads for every due watch, WATCHES_PER_QUERY a query; runs on the poller thread only. */
    private void poll() {
        try {
            List<EventWatch> due = new ArrayList<>();
            for (EventWatch watch : watches) {
                if (watch.due(System.nanoTime())) {
                    due.add(watch);
                }
            }
            boolean behind = false;
            for (int from = 0; from < due.size(); from += WATCHES_PER_QUERY) {
                behind |= poll(due.subList(from, Math.min(due.size(), from + WATCHES_PER_QUERY)));
            }
            if (behind) {
                poller.execute(this::poll);
            }
        } catch (RuntimeException e) {
            // Never thrown out: the scheduled executor would stop polling for good.
            LOG.error("watch poll failed", e);
        }
    }

    /** One query for these watches; true when one read a full batch. */
    private boolean poll(List<EventWatch> due) {
        List<AuthorizationEventStore.Cursor> cursors = due.stream().map(EventWatch::cursor).toList();
        Map<AuthorizationEventStore.Cursor, List<AuthorizationEvent>> pages;
        try {
            pages = database.withDeadline(POLL_BUDGET, () ->
                    database.inTransaction(tx -> store.pages(tx, cursors, BATCH)));
            polls.increment();
        } catch (RuntimeException e) {
            if (!(e instanceof ApiException)) {
                LOG.error("polling {} watches failed", due.size(), e);
            }
            due.forEach(watch -> watch.end(e));
            return false;
        }
        long now = System.nanoTime();
        boolean behind = false;
        for (int i = 0; i < due.size(); i++) {
            EventWatch watch = due.get(i);
            List<AuthorizationEvent> page = pages.get(cursors.get(i));
            try {
                watch.deliver(page, page.size() == BATCH, now);
                behind |= page.size() == BATCH;
            } catch (RuntimeException e) {
                LOG.error("watch of account {} failed", watch.accountId(), e);
                watch.end(e);
            }
        }
        return behind;
    }
}
