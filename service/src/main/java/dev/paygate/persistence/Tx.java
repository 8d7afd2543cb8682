package dev.paygate.persistence;

import io.grpc.Context;
import io.grpc.Deadline;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * One open transaction. Statements it prepares carry the call's remaining budget as their query
 * timeout, and are cancelled if the call is cancelled or its deadline fires mid-statement.
 */
public final class Tx {

    private static final Executor CANCELLER = Executors.newCachedThreadPool(r -> {
        Thread thread = new Thread(r, "paygate-statement-cancel");
        thread.setDaemon(true);
        return thread;
    });

    private final Connection connection;
    private final Context context;

    Tx(Connection connection, Context context) {
        this.connection = connection;
        this.context = context;
    }

    /** Runs a statement under the call's budget; the callback reads or updates through it. */
    public <T> T with(String sql, StatementWork<T> work) throws SQLException {
        if (context.isCancelled()) {
            throw new SQLTimeoutException("call cancelled or deadline exceeded", "57014");
        }
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            Deadline deadline = context.getDeadline();
            if (deadline != null) {
                // JDBC timeouts are whole seconds: round up, and let the cancel listener be exact.
                long millis = deadline.timeRemaining(TimeUnit.MILLISECONDS);
                statement.setQueryTimeout((int) Math.max(1, (millis + 999) / 1000));
            }
            Context.CancellationListener cancel = cancelled -> cancelQuietly(statement);
            // Not on the thread that fires deadlines: a cancel can block (PostgreSQL opens a
            // connection to send it), and must not delay other calls' deadlines.
            context.addListener(cancel, CANCELLER);
            try {
                return work.run(statement);
            } finally {
                context.removeListener(cancel);
            }
        }
    }

    /** What to do with a prepared statement. */
    @FunctionalInterface
    public interface StatementWork<T> {
        T run(PreparedStatement statement) throws SQLException;
    }

    private static void cancelQuietly(PreparedStatement statement) {
        try {
            statement.cancel();
        } catch (SQLException ignored) {
            // The statement finished or the connection is gone: nothing left to cancel.
        }
    }
}
