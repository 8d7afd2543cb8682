package dev.paygate.idempotency;

/**
 * A mutation's response, and whether it is an earlier call's answer and nothing was done now: the
 * stored answer to the same key, or what a repeat of the same capture or void finds.
 */
public record Outcome<T>(T response, boolean replayed) {

    /** The response of a mutation done now. */
    public static <T> Outcome<T> applied(T response) {
        return new Outcome<>(response, false);
    }
}
