package dev.paygate.persistence;

import dev.paygate.error.ApiException;
import dev.paygate.error.ErrorReason;
import com.zaxxer.hikari.HikariDataSource;
import io.grpc.Context;
import io.grpc.Deadline;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.SQLException;
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
    private static final java.util.concurrent.ScheduledExecutorService BACKGROUND_TIMER =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread thread = new Thread(r, "paygate-job-deadline-timer");
                thread.setDaemon(true);
                return thread;
            });

    private final DataSource dataSource;
    private volatile Boolean postgres;

    public Database(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public <T> T inTransaction(Work<T> work) {
        Context context = Context.current();
        checkAlive(context);
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                Tx tx = new Tx(connection, context);
                boundLockWaits(connection, context);
                T result = work.run(tx);
                checkAlive(context);
                connection.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(connection);
                throw e;
            }
        } catch (SQLException e) {
            throw translate(e, context);
        }
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
        try {
            return dataSource.unwrap(HikariDataSource.class).getHikariPoolMXBean().getActiveConnections();
        } catch (SQLException | RuntimeException e) {
            return 0;
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
     * PostgreSQL would otherwise wait for a row lock forever; the per-statement JDBC timeout covers
     * the rest. H2 bounds lock waits with LOCK_TIMEOUT in its URL.
     */
    private void boundLockWaits(Connection connection, Context context) throws SQLException {
        Deadline deadline = context.getDeadline();
        if (deadline == null || !isPostgres(connection)) {
            return;
        }
        long millis = Math.max(1, deadline.timeRemaining(TimeUnit.MILLISECONDS));
        try (Statement statement = connection.createStatement()) {
            statement.execute("SET LOCAL statement_timeout = " + millis);
            statement.execute("SET LOCAL lock_timeout = " + millis);
        }
    }

    private boolean isPostgres(Connection connection) throws SQLException {
        Boolean known = postgres;
        if (known == null) {
            known = connection.getMetaData().getDatabaseProductName().toLowerCase().contains("postgres");
            postgres = known;
        }
        return known;
    }

    private ApiException translate(SQLException e, Context context) {
        Deadline deadline = context.getDeadline();
        if (deadline != null && deadline.isExpired()) {
            return ApiException.deadlineExceeded(ErrorReason.DEADLINE_EXCEEDED,
                    "deadline exceeded during the transaction; it was rolled back");
        }
        if (context.isCancelled()) {
            return ApiException.cancelled("call cancelled by the client; the transaction was rolled back");
        }
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (e instanceof SQLTransientConnectionException || state.startsWith("08")) {
            LOG.warn("database unavailable: {}", e.toString());
            return ApiException.unavailable("database unavailable; the request was not processed", RETRY_AFTER, e);
        }
        // 40001 serialization failure, 40P01 deadlock, 55P03 lock timeout (PostgreSQL), HYT00 lock
        // timeout (H2), 23505 a concurrent insert of the same key: rolled back, safe to retry.
        if (state.equals("40001") || state.equals("40P01") || state.equals("55P03") || state.equals("HYT00")
                || state.equals("23505")) {
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
