package dev.paygate.bench;

import java.util.Optional;

/**
 * What one stream from an account's start must see: the account's events as sequences 1, 2, 3, ...
 * (AuthorizationEvent: no number skipped or used twice). Anything else is a lost, repeated or
 * reordered event. Not thread-safe: grpc-java calls one stream's observer from one thread at a time.
 */
final class StreamSequence {

    private long last;

    /** Takes the next event's sequence; says what is wrong with it, if anything. */
    Optional<String> next(long sequence) {
        long expected = last + 1;
        long previous = last;
        last = Math.max(last, sequence);
        if (sequence == expected) {
            return Optional.empty();
        }
        return Optional.of(sequence > expected ? "sequence " + sequence + " after " + previous + ": "
                + (sequence - expected) + " event(s) skipped"
                : "sequence " + sequence + " after " + previous + ": repeated or out of order");
    }
}
