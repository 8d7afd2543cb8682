package dev.paygate.persistence;

import dev.paygate.error.ApiException;
import dev.paygate.error.ErrorReason;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import io.grpc.Context;
import io.grpc.Deadline;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs units of work in one JDBC transaction each, bounded by the calling gRPC context:
 * nothing starts once the deadline has passed or the call was cancelled, every statement gets the
 * remaining budget as its timeout, and a cancelled call cancels its running statement. Any
 * failure rolls the whole transaction back, so a failed call changes nothing.
 */
@Singleton
public class Database {

    /** What a unit of work does inside its transaction. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Tx tx) throws SQLException;
    }

    private static final Logger LOG = LoggerFactory.getLogger(Database.class);
    private static final Duration RETRY_AFTER = Duration.ofSeconds(1);
    /** How early a timeout may fire and still be the deadline's: boundLockWaits' rounding, and then some. */
    private static final long DEADLINE_SLACK_MILLIS = 5;
    private static final java.util.concurrent.ScheduledExecutorService BACKGROUND_TIMER =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread thread = new Thread(r, "paygate-job-deadline-timer");
                thread.setDaemon(true);
                return thread;
            });

    private final DataSource dataSource;
    /** The longest a call waits for a pooled connection (the pool's connection-timeout). */
    private final long connectionTimeoutMillis;

    public Database(DataSource dataSource) {
        this.dataSource = dataSource;
        HikariDataSource hikari = hikari();
        this.connectionTimeoutMillis = hikari == null ? 1000 : hikari.getConnectionTimeout();
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
        Context context = Context.current();
        checkAlive(context);
        try (Connection connection = acquire(context)) {
            return runAndCommit(connection, context, keyed, work);
        } catch (SQLException e) {
            throw translate(e, context);
        }
    }

    private <T> T runAndCommit(Connection connection, Context context, boolean keyed, Work<T> work)
            throws SQLException {
        connection.setAutoCommit(false);
        T result;
        try {
            Tx tx = new Tx(connection, context);
            boundLockWaits(connection, context);
            result = work.run(tx);
            checkAlive(context);
        } catch (SQLException | RuntimeException e) {
            rollbackQuietly(connection);
            throw e;
        }
        try {
            connection.commit();
        } catch (SQLException e) {
            LOG.error("commit failed; its outcome is unknown: {}", e.toString());
            throw ApiException.commitOutcomeUnknown(keyed, RETRY_AFTER, e);
        }
        return result;
    }

    /**
     * A pooled connection, waiting no longer than the call's remaining budget nor the pool's
     * configured connection timeout. Waiting out the budget is DEADLINE_EXCEEDED; waiting out the
     * timeout with every connection busy is saturation (retry advice); a failure to connect is an
     * outage. In every case nothing was done.
     */
    private Connection acquire(Context context) {
        HikariPool pool = pool();
        Deadline deadline = context.getDeadline();
        if (pool == null || deadline == null) {
            try {
                return dataSource.getConnection();
            } catch (SQLException e) {
                throw connectionFailure(e);
            }
        }
        long remaining = deadline.timeRemaining(TimeUnit.MILLISECONDS);
        boolean budgetBound = remaining < connectionTimeoutMillis;
        try {
            return pool.getConnection(Math.max(1, Math.min(remaining, connectionTimeoutMillis)));
        } catch (SQLException e) {
            if (budgetBound && e instanceof SQLTransientConnectionException && e.getCause() == null) {
                throw ApiException.deadlineExceeded(ErrorReason.DEADLINE_EXCEEDED,
                        "deadline exceeded while waiting for a database connection; nothing was done");
            }
            throw connectionFailure(e);
        }
    }

    private ApiException connectionFailure(SQLException e) {
        if (e instanceof SQLTransientConnectionException && e.getCause() == null && activeConnections() > 0) {
            LOG.warn("database connection pool saturated: {}", e.getMessage());
            return ApiException.saturated("every database connection stayed busy for " + connectionTimeoutMillis
                    + " ms; the request was not processed; retry after a short delay", RETRY_AFTER, e);
        }
        LOG.warn("database unavailable: {}", e.toString());
        return ApiException.unavailable("database unavailable; the request was not processed", RETRY_AFTER, e);
    }

    /**
     * Runs background work (a job, with no calling RPC to inherit a deadline from) under a
     * deadline of its own, so that it too is bounded in time like every call.
     */
    public <T> T withDeadline(Duration budget, java.util.function.Supplier<T> work) {
        Context.CancellableContext context = Context.current()
                .withDeadlineAfter(budget.toMillis(), TimeUnit.MILLISECONDS, BACKGROUND_TIMER);
        try {
            return context.wrap(work::get).call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            context.cancel(null);
        }
    }

    /** Whether the database answers a trivial query within the timeout. */
    public boolean isReachable(Duration timeout) {
        try (Connection connection = dataSource.getConnection()) {
            return connection.isValid((int) Math.max(1, timeout.toSeconds()));
        } catch (SQLTransientConnectionException e) {
            // An exhausted pool is saturation, not an outage: reporting NOT_SERVING would make
            // the edge eject every busy replica at once. Hikari gives a cause only when making
            // a connection failed, which is what "unreachable" means.
            return e.getCause() == null && activeConnections() > 0;
        } catch (SQLException e) {
            return false;
        }
    }

    private int activeConnections() {
        HikariPool pool = pool();
        return pool == null ? 0 : pool.getActiveConnections();
    }

    /** Hikari's pool, which can wait for a connection for a given time; null if not Hikari. */
    private HikariPool pool() {
        HikariDataSource hikari = hikari();
        return hikari != null && hikari.getHikariPoolMXBean() instanceof HikariPool pool ? pool : null;
    }

    private HikariDataSource hikari() {
        try {
            return dataSource.isWrapperFor(HikariDataSource.class) ? dataSource.unwrap(HikariDataSource.class) : null;
        } catch (SQLException e) {
            return null;
        }
    }

    private void checkAlive(Context context) {
        Deadline deadline = context.getDeadline();
        if (deadline != null && deadline.isExpired()) {
            throw ApiException.deadlineExceeded(ErrorReason.DEADLINE_EXCEEDED,
                    "deadline exceeded before the transaction committed; nothing was changed");
        }
        if (context.isCancelled()) {
            throw ApiException.cancelled("call cancelled by the client; nothing was changed");
        }
    }

    /**
     * Bounds row-lock waits and the whole statement by the call's remaining budget. SET LOCAL
     * settings end with the transaction.
     */
    private void boundLockWaits(Connection connection, Context context) throws SQLException {
        Deadline deadline = context.getDeadline();
        if (deadline == null) {
            return;
        }
        long millis = Math.max(1, deadline.timeRemaining(TimeUnit.MILLISECONDS));
        try (Statement statement = connection.createStatement()) {
            statement.execute("SET LOCAL statement_timeout = " + millis);
            statement.execute("SET LOCAL lock_timeout = " + millis);
        }
    }

    /**
     * Maps a failure before the commit (the transaction rolled back: nothing was changed) by its
     * cause. Only a timeout, a cancelled statement or a lock wait that ran out is put down to the
     * deadline or the client's cancel; any other error, such as a CHECK violation, stays a fault
     * (INTERNAL) even when the deadline has also passed meanwhile.
     */
    private ApiException translate(SQLException e, Context context) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        boolean lockWaitEnded = state.equals("55P03");
        boolean timedOut = e instanceof SQLTimeoutException || state.equals("57014") || lockWaitEnded;
        Deadline deadline = context.getDeadline();
        // statement_timeout and lock_timeout are set to the budget left, in whole milliseconds
        // (boundLockWaits), so PostgreSQL may end a statement a fraction of a millisecond before
        // the call's deadline itself expires: that is still the deadline, not a fault.
        if (timedOut && deadline != null && deadline.timeRemaining(TimeUnit.MILLISECONDS) < DEADLINE_SLACK_MILLIS) {
            return ApiException.deadlineExceeded(ErrorReason.DEADLINE_EXCEEDED,
                    "deadline exceeded during the transaction; it was rolled back");
        }
        if (timedOut && context.isCancelled()) {
            return ApiException.cancelled("call cancelled by the client; the transaction was rolled back");
        }
        if (e instanceof SQLTransientConnectionException || state.startsWith("08")) {
            LOG.warn("database unavailable: {}", e.toString());
            return ApiException.unavailable("database unavailable; the request was not processed", RETRY_AFTER, e);
        }
        // 40001 serialization failure, 40P01 deadlock, a lock wait that ended before the deadline,
        // 23505 a concurrent insert of the same key: rolled back, safe to retry.
        if (state.equals("40001") || state.equals("40P01") || lockWaitEnded || state.equals("23505")) {
            return ApiException.aborted(ErrorReason.CONCURRENT_MODIFICATION,
                    "transaction conflicted with a concurrent one and was rolled back; retry", e);
        }
        throw new IllegalStateException("database error " + state, e);
    }

    private static void rollbackQuietly(Connection connection) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            LOG.warn("rollback failed: {}", e.toString());
        }
    }
}
