package dev.paygate.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.paygate.error.ApiException;
import dev.paygate.error.ErrorReason;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.grpc.Context;
import io.grpc.Deadline;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How {@link Database} reports failures, on a real H2 database: by their cause, and honestly
 * when it cannot know whether a commit happened. The only stand-in is a connection whose commit
 * fails, the one failure a real database will not produce on demand.
 */
class DatabaseTest {

    private final JdbcDataSource h2 = new JdbcDataSource();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

    DatabaseTest() throws SQLException {
        h2.setURL("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
        try (Connection connection = h2.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE balances (amount INT NOT NULL CHECK (amount >= 0))");
        }
    }

    @AfterEach
    void stopTimer() {
        timer.shutdownNow();
    }

    @Test
    void commitFailure_ofAnUnkeyedCall_isUnknownOutcomeWithoutRetryAdvice() {
        ApiException e = catchThrowableOfType(ApiException.class,
                () -> new Database(commitFails()).inTransaction(false, this::insertOne));

        assertThat(e.code()).isEqualTo(ApiException.Code.UNKNOWN);
        assertThat(e.reason()).isEqualTo(ErrorReason.COMMIT_OUTCOME_UNKNOWN);
        assertThat(e.retryDelay()).isNull();
        assertThat(e.getMessage()).contains("may or may not have been applied").doesNotContain("not processed");
    }

    @Test
    void commitFailure_ofAKeyedCall_isUnknownOutcomeWithRetryAdvice() {
        ApiException e = catchThrowableOfType(ApiException.class,
                () -> new Database(commitFails()).inTransaction(true, this::insertOne));

        assertThat(e.code()).isEqualTo(ApiException.Code.UNAVAILABLE);
        assertThat(e.reason()).isEqualTo(ErrorReason.COMMIT_OUTCOME_UNKNOWN);
        assertThat(e.retryDelay()).isNotNull();
        assertThat(e.getMessage()).doesNotContain("not processed");
    }

    @Test
    void constraintViolation_afterTheDeadlinePassed_isAFault_notADeadline() throws Exception {
        AtomicLong nanos = new AtomicLong();
        Deadline.Ticker ticker = new Deadline.Ticker() {
            @Override
            public long nanoTime() {
                return nanos.get();
            }
        };
        Context.CancellableContext context = Context.current()
                .withDeadline(Deadline.after(10, TimeUnit.SECONDS, ticker), timer);
        try {
            Throwable e = catchThrowable(() -> context.call(() -> new Database(h2).inTransaction(tx -> {
                nanos.addAndGet(TimeUnit.SECONDS.toNanos(11));
                return tx.with("INSERT INTO balances VALUES (-1)", statement -> statement.executeUpdate());
            })));

            assertThat(e).isInstanceOf(IllegalStateException.class).isNotInstanceOf(ApiException.class);
            assertThat(((SQLException) e.getCause()).getSQLState()).startsWith("23");
        } finally {
            context.cancel(null);
        }
    }

    @Test
    void transactionUnderADeadline_onH2_boundsWaitsWithoutInvalidatingPreparedStatements() throws Exception {
        HikariConfig config = new HikariConfig();
        config.setDataSource(h2);
        config.setMaximumPoolSize(1);
        Context.CancellableContext context = Context.current().withDeadlineAfter(3, TimeUnit.SECONDS, timer);
        try (HikariDataSource pool = new HikariDataSource(config)) {
            Database database = new Database(pool);
            // Opening a session applies the URL's settings; pooled sessions are opened once.
            context.call(() -> database.inTransaction(this::lockTimeout));
            long metadataVersion = context.call(() -> database.inTransaction(tx -> tx.with("SELECT 1",
                    statement -> h2Session(statement.getConnection()).getDatabase().getModificationMetaId())));

            int lockTimeout = context.call(() -> database.inTransaction(this::lockTimeout));
            int queryTimeout = context.call(() -> database.inTransaction(tx -> tx.with("SELECT 1",
                    statement -> h2Session(statement.getConnection()).getQueryTimeout())));
            long after = context.call(() -> database.inTransaction(tx -> tx.with("SELECT 1",
                    statement -> h2Session(statement.getConnection()).getDatabase().getModificationMetaId())));

            assertThat(lockTimeout).as("the lock wait ends with the call's budget").isBetween(1, 3_000);
            assertThat(queryTimeout).as("each statement ends with the call's budget").isBetween(1, 3_000);
            // SET LOCK_TIMEOUT and setQueryTimeout (SET QUERY_TIMEOUT) would bump it, and every
            // session would re-parse its next statements.
            assertThat(after).isEqualTo(metadataVersion);
        } finally {
            context.cancel(null);
        }
    }

    private int lockTimeout(Tx tx) throws SQLException {
        return tx.with("SELECT 1", statement -> h2Session(statement.getConnection()).getLockTimeout());
    }

    private static SessionLocal h2Session(Connection connection) throws SQLException {
        return (SessionLocal) connection.unwrap(JdbcConnection.class).getSession();
    }

    private int insertOne(Tx tx) throws SQLException {
        return tx.with("INSERT INTO balances VALUES (1)", statement -> statement.executeUpdate());
    }

    /** The real H2 database, except that every commit fails as if the connection dropped. */
    private DataSource commitFails() {
        return (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {DataSource.class},
                (proxy, method, args) -> {
                    Object result = invoke(h2, method, args);
                    if (!method.getName().equals("getConnection")) {
                        return result;
                    }
                    Connection real = (Connection) result;
                    return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                            (p, m, a) -> {
                                if (m.getName().equals("commit")) {
                                    real.rollback();
                                    throw new SQLException("An I/O error occurred while sending to the backend.", "08006");
                                }
                                return invoke(real, m, a);
                            });
                });
    }

    private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
