package dev.paygate.persistence;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;

/**
 * One open transaction. Statements it prepares carry the call's remaining budget as their query
 * timeout, and are cancelled if the call is cancelled or its deadline fires mid-statement.
 */
public final class Tx {

    private final Connection connection;
    private final CallBudget budget;

    Tx(Connection connection, CallBudget budget) {
        this.connection = connection;
        this.budget = budget;
    }

    /** Runs a statement under the call's budget; the callback reads or updates through it. */
    public <T> T with(String sql, StatementWork<T> work) throws SQLException {
        if (budget.isCancelled()) {
            throw new SQLTimeoutException("call cancelled or deadline exceeded", "57014");
        }
        try (PreparedStatement statement = connection.prepareStatement(sql);
             CallBudget.Registration cancel = DeadlineBridge.boundStatement(statement, budget)) {
            return work.run(statement);
        }
    }

    /**
     * Runs a statement that must answer within {@code limit}, less than the call has left: if it
     * cannot (its statement or lock-wait timeout fires), what it did is rolled back to a savepoint
     * and the transaction goes on, empty. When the call has {@code limit} or less left, this is
     * {@link #with}: a timeout is then the call's own deadline and fails the call.
     */
    public <T> Optional<T> within(Duration limit, String sql, StatementWork<T> work) throws SQLException {
        long left = budget.remainingMillis().orElse(Long.MAX_VALUE);
        if (left <= limit.toMillis()) {
            return Optional.of(with(sql, work));
        }
        try (Statement statement = connection.createStatement()) {
            statement.execute("SAVEPOINT bounded_statement");
        }
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
        try (Statement statement = connection.createStatement()) {
            statement.execute(answer.isPresent() ? "RELEASE SAVEPOINT bounded_statement"
                    : "ROLLBACK TO SAVEPOINT bounded_statement");
        }
        // Back to the call's own bound for the rest of the transaction.
        DeadlineBridge.boundTransaction(connection, budget);
        return answer;
    }

    /** What to do with a prepared statement. */
    @FunctionalInterface
    public interface StatementWork<T> {
        T run(PreparedStatement statement) throws SQLException;
    }
}
