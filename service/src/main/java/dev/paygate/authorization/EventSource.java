package dev.paygate.authorization;

import dev.paygate.grpc.CallMetadata;

/**
 * Who made a change that an event records: the verified caller's subject and the call's
 * x-request-id. A hold released at its expire_time was made by no caller: its actor is empty.
 */
record EventSource(String actor, String requestId) {

    /**
     * A request id longer than this is cut (the column's bound): a client's own x-request-id
     * reaches a direct gRPC caller's call unbounded, and must not fail the payment it names.
     */
    static final int MAX_REQUEST_ID = 255;

    EventSource {
        requestId = requestId.length() > MAX_REQUEST_ID ? requestId.substring(0, MAX_REQUEST_ID) : requestId;
    }

    /** The current call, acting for {@code subject}. */
    static EventSource call(String subject) {
        return new EventSource(subject, CallMetadata.REQUEST_ID.get());
    }

    /** A hold's expiry, released inside the current call (if any) on no caller's behalf. */
    static EventSource expiry() {
        return new EventSource("", CallMetadata.REQUEST_ID.get());
    }
}
