package dev.paygate.persistence;

import dev.paygate.error.ApiException;
import dev.paygate.error.ErrorReason;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.OptionalLong;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Carries a call's budget into JDBC: nothing starts once the caller gave up, a transaction's lock
 * waits and statements end with the budget, and a running statement is cancelled when the caller
 * gives up.
 */
final class DeadlineBridge {

    private static final Executor CANCELLER = Executors.newCachedThreadPool(r -> {
        Thread thread = new Thread(r, "paygate-statement-cancel");
        thread.setDaemon(true);
        return thread;
    });

    /** Bounds the rest of the transaction's statements and lock waits; is_local = true ends them with it. */
    static final String BOUND =
            "SELECT set_config('statement_timeout', ?, true), set_config('lock_timeout', ?, true)";

    private DeadlineBridge() {
    }

    /** Refuses to start or commit work its caller no longer waits for: nothing was changed. */
    static void checkAlive(CallBudget budget) {
        if (budget.isExpired()) {
            throw ApiException.deadlineExceeded(ErrorReason.DEADLINE_EXCEEDED,
                    "deadline exceeded before the transaction committed; nothing was changed");
        }
        if (budget.isCancelled()) {
            throw ApiException.cancelled("call cancelled by the client; nothing was changed");
        }
    }

    /**
     * Bounds the transaction's row-lock waits and statements by the budget, both in one statement
     * (one round trip, sent with the driver's BEGIN); is_local = true ends them with the transaction.
     * One fixed text, so the driver prepares it once per connection.
     */
    static void boundTransaction(Connection connection, CallBudget budget) throws SQLException {
        OptionalLong remaining = budget.remainingMillis();
        if (remaining.isEmpty()) {
            return;
        }
        try (PreparedStatement statement = connection.prepareStatement(BOUND)) {
            bounds(remaining.getAsLong()).bind(new Params(statement));
            statement.execute();
        }
    }

    /** {@link #BOUND}'s parameters for a limit of {@code limitMillis}. */
    static Tx.Binding bounds(long limitMillis) {
        String millis = Long.toString(Math.max(1, limitMillis));
        return params -> params.string(millis).string(millis);
    }

    /** Gives the statement the remaining budget as its timeout (whole seconds, rounded up; the cancel is exact). */
    static void boundStatement(PreparedStatement statement, CallBudget budget) throws SQLException {
        OptionalLong remaining = budget.remainingMillis();
        if (remaining.isPresent()) {
            statement.setQueryTimeout((int) Math.max(1, (remaining.getAsLong() + 999) / 1000));
        }
    }

    /**
     * Cancels the statement {@code running} holds, if any, once the caller gives up; close the
     * returned handle before the connection is reused.
     */
    static CallBudget.Registration cancelsRunning(CallBudget budget, AtomicReference<? extends Statement> running) {
        // Not on the thread that fires deadlines: a cancel can block (PostgreSQL opens a
        // connection to send it), and must not delay other calls' deadlines.
        return budget.onCancel(() -> {
            Statement statement = running.get();
            if (statement != null) {
                cancelQuietly(statement);
            }
        }, CANCELLER);
    }

    private static void cancelQuietly(Statement statement) {
        try {
            statement.cancel();
        } catch (SQLException ignored) {
            // The statement finished or the connection is gone: nothing left to cancel.
        }
    }
}
