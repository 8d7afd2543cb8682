package dev.paygate.persistence;

import java.util.OptionalLong;
import java.util.concurrent.Executor;

/**
 * The time a unit of database work may take and whether its caller still waits for it: the
 * calling RPC's deadline and cancellation, or a background job's own budget. The layer that
 * knows the call supplies it ({@link CallBudgets}); persistence only reads it.
 */
public interface CallBudget {

    /** Milliseconds left before the deadline, negative once it passed; empty without a deadline. */
    OptionalLong remainingMillis();

    /** Whether the deadline has passed. */
    boolean isExpired();

    /** Whether the caller gave up: it cancelled, or its deadline passed. */
    boolean isCancelled();

    /** Runs {@code action} on {@code executor} once the caller gives up, unless the returned handle is closed first. */
    Registration onCancel(Runnable action, Executor executor);

    /** A pending {@link #onCancel} action; closing it withdraws the action. */
    interface Registration extends AutoCloseable {
        @Override
        void close();
    }
}
