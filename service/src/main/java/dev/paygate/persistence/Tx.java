package dev.paygate.persistence;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One open transaction. Statements it prepares carry the call's remaining budget as their query
 * timeout, and are cancelled if the call is cancelled or its deadline fires mid-statement. Writes
 * whose answer nothing waits for can be queued ({@link #later}) and go to the server together, in
 * one round trip. Close it before its connection goes back to the pool.
 */
public final class Tx implements AutoCloseable {

    /** For {@link #later}: a write whose row count is not checked. */
    public static final int ANY_ROWS = -1;
    private static final String SAVEPOINT = "SAVEPOINT bounded_read";
    private static final String ROLLBACK_TO_SAVEPOINT = "ROLLBACK TO SAVEPOINT bounded_read";
    private static final String RELEASE_SAVEPOINT = "RELEASE SAVEPOINT bounded_read";
    private static final Binding NO_PARAMETERS = params -> { };

    private final Connection connection;
    private final CallBudget budget;
    /** The statement running now, if any: the one the call's cancellation cancels. */
    private final AtomicReference<PreparedStatement> running = new AtomicReference<>();
    /** One cancel action for the whole transaction, not one per statement: each is a listener on the call's Context. */
    private final CallBudget.Registration cancel;
    /** Queued writes, in the order they were queued, not yet sent. */
    private final List<Pending> pending = new ArrayList<>();

    Tx(Connection connection, CallBudget budget) {
        this.connection = connection;
        this.budget = budget;
        this.cancel = DeadlineBridge.cancelsRunning(budget, running);
    }

    /**
     * Runs a statement under the call's budget, after the queued writes (in a round trip of their
     * own, so the statement sees them); the callback reads or updates through it.
     */
    public <T> T with(String sql, StatementWork<T> work) throws SQLException {
        flush();
        return run(sql, work);
    }

    /**
     * Queues a write whose answer nothing in the transaction waits for. The queued writes go, in
     * order and in one round trip (one text of several statements, which PostgreSQL's driver sends
     * as one Parse/Bind/Execute per statement and one Sync), before the next statement or the
     * commit. Its failure, or a row count other than {@code rows} (unless {@link #ANY_ROWS}), then
     * fails the transaction, as if it had been sent at once.
     */
    public void later(String sql, int rows, Binding binding) {
        pending.add(new Pending(sql, rows, binding));
    }

    /** Sends the queued writes, if any, in one round trip. */
    void flush() throws SQLException {
        if (pending.isEmpty()) {
            return;
        }
        List<Pending> writes = List.copyOf(pending);
        pending.clear();
        String sql = writes.size() == 1 ? writes.get(0).sql()
                : String.join("; ", writes.stream().map(Pending::sql).toList());
        run(sql, statement -> {
            Params params = new Params(statement);
            for (Pending write : writes) {
                write.binding().bind(params);
            }
            boolean rowsReturned = statement.execute();
            for (Pending write : writes) {
                int changed = rowsReturned ? ANY_ROWS : statement.getUpdateCount();
                if (write.rows() != ANY_ROWS && changed != write.rows()) {
                    throw new IllegalStateException("a write changed " + changed + " rows, not " + write.rows()
                            + ": " + write.sql());
                }
                rowsReturned = statement.getMoreResults();
            }
            return null;
        });
    }

    private <T> T run(String sql, StatementWork<T> work) throws SQLException {
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
        // The savepoint and the limit go with whatever writes are queued, in one round trip.
        later(SAVEPOINT, ANY_ROWS, NO_PARAMETERS);
        later(DeadlineBridge.BOUND, ANY_ROWS, DeadlineBridge.bounds(limit.toMillis()));
        flush();
        Optional<T> answer;
        try {
            answer = Optional.of(run(sql, work));
        } catch (SQLException e) {
            if (!SqlErrors.isTimeout(e) || budget.isCancelled()) {
                throw e;
            }
            answer = Optional.empty();
        }
        // Rolling back to the savepoint also cancels the limit's SET LOCAL (PostgreSQL's SET page),
        // so the bound set with BEGIN is back without a statement of its own; RELEASE ends the
        // subtransaction the rollback starts. Both go first with the next statement or the commit:
        // PostgreSQL starts each Execute's statement_timeout afresh from the setting then in force
        // (postgres.c, exec_execute_message), so what follows them runs under the call's bound again.
        later(ROLLBACK_TO_SAVEPOINT, ANY_ROWS, NO_PARAMETERS);
        later(RELEASE_SAVEPOINT, ANY_ROWS, NO_PARAMETERS);
        return answer;
    }

    /** Withdraws the cancel action: after this, the call's cancellation touches nothing on the connection. */
    @Override
    public void close() {
        cancel.close();
    }

    /** Binds a queued write's parameters. */
    @FunctionalInterface
    public interface Binding {
        void bind(Params params) throws SQLException;
    }

    private record Pending(String sql, int rows, Binding binding) {
    }

    /** What to do with a prepared statement. */
    @FunctionalInterface
    public interface StatementWork<T> {
        T run(PreparedStatement statement) throws SQLException;
    }
}
