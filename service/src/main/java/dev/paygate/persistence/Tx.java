package dev.paygate.persistence;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;

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

    /** What to do with a prepared statement. */
    @FunctionalInterface
    public interface StatementWork<T> {
        T run(PreparedStatement statement) throws SQLException;
    }
}
