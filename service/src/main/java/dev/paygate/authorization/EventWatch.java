package dev.paygate.authorization;

import com.google.protobuf.Timestamp;
import dev.paygate.error.ApiException;
import dev.paygate.error.ErrorReason;
import dev.paygate.grpc.StreamProperties;
import dev.paygate.v1.AuthorizationEvent;
import dev.paygate.v1.WatchAuthorizationEventsRequest;
import dev.paygate.v1.WatchAuthorizationEventsResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One open WatchAuthorizationEvents stream: its cursor, its filters and when it must end.
 * {@link AuthorizationEventWatches} reads its events and hands them over, from one thread at a time.
 */
final class EventWatch {

    /** What the watch reports as it sends and as it ends. */
    interface Events {
        void sentEvent();

        void sentHeartbeat();

        /** The watch ended (once): release its place. */
        void finished(EventWatch watch);
    }

    private final String owner;
    private final String accountId;
    private final String authorization;
    private final AuthorizationEvent.Type type;
    private final WatchSink sink;
    private final StreamProperties properties;
    private final Clock clock;
    private final Events events;
    private final long endNanos;
    private final Instant tokenExpires;
    private final long tokenEndNanos;
    private final AtomicBoolean finished = new AtomicBoolean();
    private long cursor;
    /** When the last message went out; 0 until the first, so a caught-up stream says so at once. */
    private long lastSentNanos;
    /** When the watch is next read: now for a new one and one that read a full batch. */
    private long dueNanos = System.nanoTime();

    EventWatch(String owner, String accountId, WatchAuthorizationEventsRequest request, Instant tokenExpires,
               WatchSink sink, StreamProperties properties, Clock clock, Events events) {
        this.owner = owner;
        this.accountId = accountId;
        this.authorization = request.getAuthorization();
        this.type = request.getType();
        this.sink = sink;
        this.properties = properties;
        this.clock = clock;
        this.events = events;
        this.cursor = request.getAfterSequence();
        this.endNanos = System.nanoTime() + properties.maxDuration().toNanos();
        // Real time, as the token verifier's: the business clock may be a test's.
        this.tokenExpires = tokenExpires;
        this.tokenEndNanos = System.nanoTime() + Duration.between(Instant.now(), tokenExpires).toNanos();
    }

    AuthorizationEventStore.Cursor cursor() {
        return new AuthorizationEventStore.Cursor(accountId, cursor);
    }

    String owner() {
        return owner;
    }

    String accountId() {
        return accountId;
    }

    /**
     * Whether the watch is to be read now: not ended (this ends it when its token expired, its
     * maximum duration or the call's deadline passed), due, and its client takes more (flow control).
     */
    boolean due(long now) {
        if (finished.get()) {
            return false;
        }
        if (now - tokenEndNanos >= 0) {
            end(ApiException.unauthenticated(ErrorReason.TOKEN_INVALID, "the token expired at " + tokenExpires
                    + "; reconnect with a fresh token and after_sequence " + cursor));
        } else if (now - endNanos >= 0) {
            end(ApiException.streamDurationReached("the stream reached its maximum duration of "
                    + properties.maxDuration() + "; reconnect with after_sequence " + cursor,
                    Map.of("after_sequence", String.valueOf(cursor))));
        } else if (sink.expired()) {
            end(ApiException.deadlineExceeded(ErrorReason.DEADLINE_EXCEEDED, "the call's deadline passed;"
                    + " reconnect with after_sequence " + cursor));
        } else {
            return now - dueNanos >= 0 && sink.ready();
        }
        return false;
    }

    /**
     * Sends the events read after the cursor that match the filters (the cursor moves over those
     * that do not), or a heartbeat when nothing went out for {@code heartbeat}. {@code full}: the
     * read hit its limit, so more are waiting and the watch is due again at once.
     */
    void deliver(List<AuthorizationEvent> page, boolean full, long now) {
        if (finished.get()) {
            return;
        }
        boolean sent = false;
        for (AuthorizationEvent event : page) {
            cursor = event.getSequence();
            if (matches(event)) {
                sink.send(WatchAuthorizationEventsResponse.newBuilder().setAuthorizationEvent(event).build());
                events.sentEvent();
                sent = true;
            }
        }
        if (sent) {
            lastSentNanos = now;
        } else if (lastSentNanos == 0 || now - lastSentNanos >= properties.heartbeat().toNanos()) {
            sink.send(heartbeat());
            events.sentHeartbeat();
            lastSentNanos = now;
        }
        dueNanos = full ? now : now + properties.pollInterval().toNanos();
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

    /** Ends the stream with this failure, unless it already ended. */
    void end(RuntimeException failure) {
        if (finish()) {
            sink.fail(failure);
        }
    }

    /** Releases the watch's place once (the client went away, or {@link #end}); true for the caller that did. */
    boolean finish() {
        if (!finished.compareAndSet(false, true)) {
            return false;
        }
        events.finished(this);
        return true;
    }
}
