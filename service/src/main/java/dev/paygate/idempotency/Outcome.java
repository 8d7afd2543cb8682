package dev.paygate.idempotency;

/** A mutation's response, and whether it is the stored answer to an earlier call with the same key. */
public record Outcome<T>(T response, boolean replayed) {
}
