package dev.paygate.persistence;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import dev.paygate.error.ApiException;
import dev.paygate.error.ErrorReason;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.OptionalLong;
import javax.sql.DataSource;

/**
 * Pooled connections within a call's budget. Waiting out the budget is DEADLINE_EXCEEDED; waiting
 * out the pool's connection timeout with every connection busy is saturation (retry advice); a
 * failure to connect is an outage. In every case nothing was done.
 */
@Singleton
public class ConnectionPool {

    private final DataSource dataSource;
    /** The longest a call waits for a pooled connection (the pool's connection-timeout). */
    private final long connectionTimeoutMillis;

    public ConnectionPool(DataSource dataSource) {
        this.dataSource = dataSource;
        HikariDataSource hikari = hikari();
        this.connectionTimeoutMillis = hikari == null ? 1000 : hikari.getConnectionTimeout();
    }

    /** A connection, waited for no longer than the budget's remainder nor the pool's connection timeout. */
    Connection acquire(CallBudget budget) {
        HikariPool pool = pool();
        OptionalLong remaining = budget.remainingMillis();
        if (pool == null || remaining.isEmpty()) {
            try {
                return dataSource.getConnection();
            } catch (SQLException e) {
                throw failure(e);
            }
        }
        boolean budgetBound = remaining.getAsLong() < connectionTimeoutMillis;
        try {
            return pool.getConnection(Math.max(1, Math.min(remaining.getAsLong(), connectionTimeoutMillis)));
        } catch (SQLException e) {
            if (budgetBound && SqlErrors.isPoolTimeout(e)) {
                throw ApiException.deadlineExceeded(ErrorReason.DEADLINE_EXCEEDED,
                        "deadline exceeded while waiting for a database connection; nothing was done");
            }
            throw failure(e);
        }
    }

    private ApiException failure(SQLException e) {
        return SqlErrors.connectionFailure(e, activeConnections() > 0, connectionTimeoutMillis);
    }

    /** Whether the database answers a trivial query within the timeout. */
    public boolean isReachable(Duration timeout) {
        try (Connection connection = dataSource.getConnection()) {
            return connection.isValid((int) Math.max(1, timeout.toSeconds()));
        } catch (SQLTransientConnectionException e) {
            // An exhausted pool is saturation, not an outage: reporting NOT_SERVING would make
            // the edge eject every busy replica at once. Hikari gives a cause only when making
            // a connection failed, which is what "unreachable" means.
            return SqlErrors.isPoolTimeout(e) && activeConnections() > 0;
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
}
