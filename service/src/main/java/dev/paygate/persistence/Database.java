package dev.paygate.persistence;

import dev.paygate.error.ApiException;
import dev.paygate.error.ErrorReason;
import dev.paygate.fallback.Dependency;
import dev.paygate.fallback.Fallbacks;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs units of work in one JDBC transaction each, bounded by the budget of the call it works for
 * ({@link DeadlineBridge}): nothing starts once the deadline has passed or the call was
 * cancelled, and nothing commits after. Any failure rolls the whole transaction back, so a failed
 * call changes nothing; failures come out as the service's own errors ({@link SqlErrors}).
 */
@Singleton
public class Database {

    /** What a unit of work does inside its transaction. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Tx tx) throws SQLException;
    }

    private static final Logger LOG = LoggerFactory.getLogger(Database.class);

    private final ConnectionPool pool;
    private final CallBudgets budgets;
    private final Fallbacks fallbacks;

    public Database(ConnectionPool pool, CallBudgets budgets, Fallbacks fallbacks) {
        this.pool = pool;
        this.budgets = budgets;
        this.fallbacks = fallbacks;
    }

    public <T> T inTransaction(Work<T> work) {
        return inTransaction(false, work);
    }

    /**
     * Runs the work in one transaction and commits it.
     *
     * @param keyed whether a repeat of this call replays its first outcome (it has an idempotency
     *              key): only then may a commit whose outcome is unknown come with retry advice
     */
    public <T> T inTransaction(boolean keyed, Work<T> work) {
        CallBudget budget = budgets.current();
        DeadlineBridge.checkAlive(budget);
        try (Connection connection = pool.acquire(budget)) {
            return runAndCommit(connection, budget, keyed, work);
        } catch (SQLException e) {
            throw counted(SqlErrors.beforeCommit(e, budget));
        } catch (ApiException e) {
            throw counted(e);
        }
    }

    /** Counts a refusal for want of a database as a fallback of {@link Dependency#POSTGRESQL}. */
    private RuntimeException counted(RuntimeException e) {
        if (e instanceof ApiException failure && failure.reason() == ErrorReason.DATABASE_UNAVAILABLE) {
            fallbacks.record(Dependency.POSTGRESQL, Dependency.Decision.REFUSE);
        }
        return e;
    }

    private <T> T runAndCommit(Connection connection, CallBudget budget, boolean keyed, Work<T> work)
            throws SQLException {
        connection.setAutoCommit(false);
        T result;
        try (Tx tx = new Tx(connection, budget)) {
            DeadlineBridge.boundTransaction(connection, budget);
            result = work.run(tx);
            tx.flush();
            DeadlineBridge.checkAlive(budget);
        } catch (SQLException | RuntimeException e) {
            rollbackQuietly(connection);
            throw e;
        }
        try {
            connection.commit();
        } catch (SQLException e) {
            throw SqlErrors.commitFailed(e, keyed);
        }
        return result;
    }

    /**
     * Runs background work (a job, with no calling RPC to inherit a deadline from) under a
     * deadline of its own, so that it too is bounded in time like every call.
     */
    public <T> T withDeadline(Duration budget, Supplier<T> work) {
        return budgets.within(budget, work);
    }

    /** Whether the database answers a trivial query within the timeout. */
    public boolean isReachable(Duration timeout) {
        return pool.isReachable(timeout);
    }

    private static void rollbackQuietly(Connection connection) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            LOG.warn("rollback failed: {}", e.toString());
        }
    }
}
