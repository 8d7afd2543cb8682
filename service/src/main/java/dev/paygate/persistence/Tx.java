package dev.paygate.persistence;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One open transaction. Statements it prepares carry the call's remaining budget as their query
 * timeout, and are cancelled if the call is cancelled or its deadline fires mid-statement. Close
 * it before its connection goes back to the pool.
 */
public final class Tx implements AutoCloseable {

    private final Connection connection;
    private final CallBudget budget;
    /** The statement running now, if any: the one the call's cancellation cancels. */
    private final AtomicReference<PreparedStatement> running = new AtomicReference<>();
    /** One cancel action for the whole transaction, not one per statement: each is a listener on the call's Context. */
    private final CallBudget.Registration cancel;

    Tx(Connection connection, CallBudget budget) {
        this.connection = connection;
        this.budget = budget;
        this.cancel = DeadlineBridge.cancelsRunning(budget, running);
    }

    /** Runs a statement under the call's budget; the callback reads or updates through it. */
    public <T> T with(String sql, StatementWork<T> work) throws SQLException {
        if (budget.isCancelled()) {
            throw new SQLTimeoutException("call cancelled or deadline exceeded", "57014");
        }
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            DeadlineBridge.boundStatement(statement, budget);
            running.set(statement);
            try {
                return work.run(statement);
            } finally {
                running.set(null);
            }
        }
    }

    /**
     * Runs a read that must answer within {@code limit}, less than the call has left: if it cannot
     * (its statement or lock-wait timeout fires), the transaction goes on, empty. When the call has
     * {@code limit} or less left, this is {@link #with}: a timeout is then the call's own deadline
     * and fails the call. Reads only: whatever the statement did is rolled back, answer or not.
     */
    public <T> Optional<T> readWithin(Duration limit, String sql, StatementWork<T> work) throws SQLException {
        long left = budget.remainingMillis().orElse(Long.MAX_VALUE);
        if (left <= limit.toMillis()) {
            return Optional.of(with(sql, work));
        }
        execute("SAVEPOINT bounded_read");
        DeadlineBridge.bound(connection, limit.toMillis());
        Optional<T> answer;
        try {
            answer = Optional.of(with(sql, work));
        } catch (SQLException e) {
            if (!SqlErrors.isTimeout(e) || budget.isCancelled()) {
                throw e;
            }
            answer = Optional.empty();
        }
        // Rolling back to the savepoint also cancels the limit's SET LOCAL (PostgreSQL's SET page),
        // so the bound set with BEGIN is back without a statement of its own; RELEASE ends the
        // subtransaction the rollback starts. Both in one round trip.
        execute("ROLLBACK TO SAVEPOINT bounded_read; RELEASE SAVEPOINT bounded_read");
        return answer;
    }

    /** A fixed statement, prepared: the driver parses a plain Statement's text on every execute. */
    private void execute(String sql) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.execute();
        }
    }

    /** Withdraws the cancel action: after this, the call's cancellation touches nothing on the connection. */
    @Override
    public void close() {
        cancel.close();
    }

    /** What to do with a prepared statement. */
    @FunctionalInterface
    public interface StatementWork<T> {
        T run(PreparedStatement statement) throws SQLException;
    }
}
