package dev.paygate.authorization;

import dev.paygate.v1.WatchAuthorizationEventsResponse;

/**
 * Where one WatchAuthorizationEvents stream goes, without its transport: the endpoint adapts a gRPC
 * stream to it. {@link AuthorizationEventWatches} calls it from one thread at a time.
 */
interface WatchSink {

    /** Whether the client takes more now; while not, the watch reads nothing (flow control). */
    boolean ready();

    void send(WatchAuthorizationEventsResponse message);

    /** Ends the stream with this failure (an ApiException, or anything else as INTERNAL). */
    void fail(RuntimeException failure);

    /** Whether the call's deadline has passed (the service's cap, DeadlineInterceptor): the watch must end. */
    boolean expired();

    /** Runs {@code action} once the client goes away (cancel, reset, disconnect). */
    void onCancel(Runnable action);
}
