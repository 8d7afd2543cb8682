package dev.paygate.persistence;

import static dev.paygate.testing.StatementLog.invoke;
import static dev.paygate.testing.StatementLog.proxy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.paygate.error.ApiException;
import dev.paygate.error.ErrorReason;
import dev.paygate.fallback.Fallbacks;
import dev.paygate.grpc.ContextCallBudgets;
import dev.paygate.testing.StatementLog;
import dev.paygate.testing.TestDatabase;
import io.grpc.Context;
import io.grpc.Deadline;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.math.BigDecimal;
import java.lang.reflect.Method;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How {@link Database} bounds and reports a transaction, on a real PostgreSQL database: failures
 * by their cause, and honestly when it cannot know whether a commit happened. The only stand-in
 * is a connection whose commit fails, the one failure a real database will not produce on demand.
 */
class DatabaseTest {

    private final DataSource postgres = TestDatabase.postgres().dataSource();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

    DatabaseTest() throws SQLException {
        try (Connection connection = postgres.getConnection(); Statement statement = connection.createStatement()) {
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
                () -> database(commitFails()).inTransaction(false, this::insertOne));

        assertThat(e.code()).isEqualTo(ApiException.Code.UNKNOWN);
        assertThat(e.reason()).isEqualTo(ErrorReason.COMMIT_OUTCOME_UNKNOWN);
        assertThat(e.retryDelay()).isNull();
        assertThat(e.getMessage()).contains("may or may not have been applied").doesNotContain("not processed");
    }

    @Test
    void commitFailure_ofAKeyedCall_isUnknownOutcomeWithRetryAdvice() {
        ApiException e = catchThrowableOfType(ApiException.class,
                () -> database(commitFails()).inTransaction(true, this::insertOne));

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
            Throwable e = catchThrowable(() -> context.call(() -> database(postgres).inTransaction(tx -> {
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
    void transactionUnderADeadline_boundsLockWaitsAndStatementsByTheBudget() throws Exception {
        Context.CancellableContext context = Context.current().withDeadlineAfter(3, TimeUnit.SECONDS, timer);
        try {
            String[] timeouts = context.call(() -> database(postgres).inTransaction(tx -> new String[] {
                    setting(tx, "lock_timeout"), setting(tx, "statement_timeout")}));

            assertThat(millis(timeouts[0])).as("the lock wait ends with the call's budget").isBetween(1L, 3_000L);
            assertThat(millis(timeouts[1])).as("each statement ends with the call's budget").isBetween(1L, 3_000L);
        } finally {
            context.cancel(null);
        }
    }

    @Test
    void readUnderADeadline_takesThreeRoundTrips_boundsWithBegin_theRead_theCommit() throws Exception {
        List<String> sent = new CopyOnWriteArrayList<>();
        Context.CancellableContext context = Context.current().withDeadlineAfter(3, TimeUnit.SECONDS, timer);
        try {
            context.call(() -> database(noting(sent)).inTransaction(tx -> tx.with("SELECT count(*) FROM balances",
                    statement -> {
                        try (ResultSet row = statement.executeQuery()) {
                            return row.next();
                        }
                    })));

            assertThat(sent).as("both bounds in one statement, then the read and the commit")
                    .hasSize(3).endsWith("SELECT count(*) FROM balances", "COMMIT");
            assertThat(sent.get(0)).contains("statement_timeout", "lock_timeout");
        } finally {
            context.cancel(null);
        }
    }

    @Test
    void statementRunning_whenTheCallerCancels_isCancelledAtOnce_andNothingCommits() throws Exception {
        Context.CancellableContext context = Context.current().withDeadlineAfter(10, TimeUnit.SECONDS, timer);
        timer.schedule(() -> context.cancel(null), 300, TimeUnit.MILLISECONDS);
        long started = System.nanoTime();
        try {
            Throwable e = catchThrowable(() -> context.call(() -> database(postgres).inTransaction(tx -> {
                insertOne(tx);
                insertOne(tx);
                return tx.with("SELECT 1 FROM pg_sleep(5)", DatabaseTest::one);
            })));

            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("not the statement's 5 s, nor its timeout")
                    .isLessThan(Duration.ofSeconds(3));
            assertThat(e).isInstanceOf(ApiException.class);
            assertThat(((ApiException) e).code()).isEqualTo(ApiException.Code.CANCELLED);
            assertThat(sum()).isZero();
        } finally {
            context.cancel(null);
        }
    }

    @Test
    void readWithinALimit_thatAnswers_givesTheRestOfTheTransactionTheCallsBound_notTheLimit() throws Exception {
        Context.CancellableContext context = Context.current().withDeadlineAfter(5, TimeUnit.SECONDS, timer);
        try {
            long after = context.call(() -> database(postgres).inTransaction(tx -> {
                assertThat(tx.readWithin(Duration.ofMillis(200), "SELECT 1", DatabaseTest::one)).contains(1);
                return millis(setting(tx, "statement_timeout"));
            }));

            assertThat(after).isGreaterThan(1_000L);
        } finally {
            context.cancel(null);
        }
    }

    @Test
    void readWithinALimit_thatAnswers_takesThreeRoundTrips_savepointWithLimit_read_backWithWhatFollows()
            throws Exception {
        List<String> sent = new CopyOnWriteArrayList<>();
        Context.CancellableContext context = Context.current().withDeadlineAfter(5, TimeUnit.SECONDS, timer);
        try {
            context.call(() -> database(noting(sent)).inTransaction(tx -> {
                Optional<Integer> read = tx.readWithin(Duration.ofMillis(200), "SELECT 1", DatabaseTest::one);
                tx.later("INSERT INTO balances VALUES (1)", 1, params -> { });
                return read;
            }));

            assertThat(sent).as("BEGIN's bounds, savepoint and limit, the read, back to the savepoint with the"
                    + " queued insert, commit").hasSize(5).containsSubsequence("SELECT 1", "COMMIT");
            assertThat(sent.get(1)).startsWith("SAVEPOINT").contains("statement_timeout");
            assertThat(sent.get(3)).startsWith("ROLLBACK TO SAVEPOINT").contains("RELEASE SAVEPOINT")
                    .endsWith("INSERT INTO balances VALUES (1)");
            assertThat(sum()).isEqualTo(1);
        } finally {
            context.cancel(null);
        }
    }

    @Test
    void queuedWrites_goInOneRoundTrip_inOrder_beforeTheCommit() throws Exception {
        List<String> sent = new CopyOnWriteArrayList<>();
        Context.CancellableContext context = Context.current().withDeadlineAfter(5, TimeUnit.SECONDS, timer);
        try {
            context.call(() -> database(noting(sent)).inTransaction(tx -> {
                tx.later("INSERT INTO balances VALUES (?)", 1, params -> params.decimal(BigDecimal.valueOf(4)));
                tx.later("UPDATE balances SET amount = amount * ? WHERE amount = ?", 1,
                        params -> params.decimal(BigDecimal.TEN).decimal(BigDecimal.valueOf(4)));
                return null;
            }));

            assertThat(sent).as("BEGIN's bounds, both writes, commit").hasSize(3).endsWith("COMMIT");
            assertThat(sum()).as("the update ran after the insert").isEqualTo(40);
        } finally {
            context.cancel(null);
        }
    }

    @Test
    void statementAfterQueuedWrites_seesThem() {
        int seen = database(postgres).inTransaction(tx -> {
            tx.later("INSERT INTO balances VALUES (7)", 1, params -> { });
            return tx.with("SELECT COALESCE(SUM(amount), 0) FROM balances", DatabaseTest::one);
        });

        assertThat(seen).isEqualTo(7);
    }

    @Test
    void queuedWrite_thatChangesNoRow_failsTheTransaction_andNothingCommits() throws Exception {
        Throwable e = catchThrowable(() -> database(postgres).inTransaction(tx -> {
            tx.later("INSERT INTO balances VALUES (1)", 1, params -> { });
            // A careless caller's write that finds no row: it must not commit the rest as if it had.
            tx.later("UPDATE balances SET amount = amount + 1 WHERE amount = 42", 1, params -> { });
            return null;
        }));

        assertThat(e).isInstanceOf(IllegalStateException.class).hasMessageContaining("changed 0 rows, not 1");
        assertThat(sum()).isZero();
    }

    @Test
    void queuedWrite_thatViolatesAConstraint_failsTheTransaction_andNothingCommits() throws Exception {
        Throwable e = catchThrowable(() -> database(postgres).inTransaction(tx -> {
            tx.later("INSERT INTO balances VALUES (1)", 1, params -> { });
            tx.later("INSERT INTO balances VALUES (-1)", 1, params -> { });
            return null;
        }));

        assertThat(e).isInstanceOf(IllegalStateException.class).isNotInstanceOf(ApiException.class);
        assertThat(((SQLException) e.getCause()).getSQLState()).startsWith("23");
        assertThat(sum()).isZero();
    }

    @Test
    void statementWithinALimit_thatCannotAnswerInTime_isEmpty_andTheRestOfTheTransactionCommits() throws Exception {
        Context.CancellableContext context = Context.current().withDeadlineAfter(5, TimeUnit.SECONDS, timer);
        try {
            long started = System.nanoTime();
            Optional<Integer> answer = context.call(() -> database(postgres).inTransaction(tx -> {
                tx.with("INSERT INTO balances VALUES (1)", statement -> statement.executeUpdate());
                Optional<Integer> slow = tx.readWithin(Duration.ofMillis(200), "SELECT 1 FROM pg_sleep(2)", DatabaseTest::one);
                // after the fallback the call's own bound is back and the transaction goes on
                assertThat(millis(setting(tx, "statement_timeout"))).isGreaterThan(1_000L);
                tx.with("INSERT INTO balances VALUES (2)", statement -> statement.executeUpdate());
                // queued after the fallback: it goes after the rollback to the savepoint
                tx.later("INSERT INTO balances VALUES (4)", 1, params -> { });
                return slow;
            }));

            assertThat(answer).isEmpty();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
            assertThat(sum()).as("every insert committed, around the abandoned statement").isEqualTo(7);
        } finally {
            context.cancel(null);
        }
    }

    @Test
    void statementWithinALimit_thatCannotAnswerInTime_thenQueuedWrites_runUnderTheCallsBound_andCommit()
            throws Exception {
        Context.CancellableContext context = Context.current().withDeadlineAfter(5, TimeUnit.SECONDS, timer);
        try {
            Optional<Integer> answer = context.call(() -> database(postgres).inTransaction(tx -> {
                Optional<Integer> slow = tx.readWithin(Duration.ofMillis(200), "SELECT 1 FROM pg_sleep(2)",
                        DatabaseTest::one);
                // Sent in one round trip behind the rollback to the savepoint: each must run in the
                // transaction again, and under the call's bound, not the 200 ms limit.
                tx.later("SELECT 1 FROM pg_sleep(0.4)", Tx.ANY_ROWS, params -> { });
                tx.later("INSERT INTO balances VALUES (5)", 1, params -> { });
                return slow;
            }));

            assertThat(answer).isEmpty();
            assertThat(sum()).isEqualTo(5);
        } finally {
            context.cancel(null);
        }
    }

    @Test
    void statementWithinALimit_whenTheCallHasLessLeft_failsTheCallAsItsDeadline() throws Exception {
        Context.CancellableContext context = Context.current().withDeadlineAfter(300, TimeUnit.MILLISECONDS, timer);
        try {
            Throwable e = catchThrowable(() -> context.call(() -> database(postgres).inTransaction(tx ->
                    tx.readWithin(Duration.ofSeconds(1), "SELECT 1 FROM pg_sleep(2)", DatabaseTest::one))));

            assertThat(e).isInstanceOf(ApiException.class);
            assertThat(((ApiException) e).code()).isEqualTo(ApiException.Code.DEADLINE_EXCEEDED);
        } finally {
            context.cancel(null);
        }
    }

    private static int one(java.sql.PreparedStatement statement) throws SQLException {
        try (ResultSet row = statement.executeQuery()) {
            row.next();
            return row.getInt(1);
        }
    }

    private int sum() throws SQLException {
        try (Connection connection = postgres.getConnection(); Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery("SELECT COALESCE(SUM(amount), 0) FROM balances")) {
            row.next();
            return row.getInt(1);
        }
    }

    private static String setting(Tx tx, String name) throws SQLException {
        return tx.with("SELECT current_setting('" + name + "')", statement -> {
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return row.getString(1);
            }
        });
    }

    /** A duration setting as PostgreSQL shows it: "2998ms", or "3s" when whole seconds. */
    private static long millis(String shown) {
        return shown.endsWith("ms") ? Long.parseLong(shown.substring(0, shown.length() - 2))
                : TimeUnit.SECONDS.toMillis(Long.parseLong(shown.substring(0, shown.length() - 1)));
    }

    private static Database database(DataSource dataSource) {
        return new Database(new ConnectionPool(dataSource), new ContextCallBudgets(), new Fallbacks(new SimpleMeterRegistry()));
    }

    private int insertOne(Tx tx) throws SQLException {
        return tx.with("INSERT INTO balances VALUES (1)", statement -> statement.executeUpdate());
    }

    /** The real database, except that every commit fails as if the connection dropped. */
    private DataSource commitFails() {
        return seenFirstBy((real, method, args) -> {
            if (method.getName().equals("commit")) {
                real.rollback();
                throw new SQLException("An I/O error occurred while sending to the backend.", "08006");
            }
            return invoke(real, method, args);
        });
    }

    /**
     * The real database, noting each statement and commit its connections send: with PostgreSQL's
     * driver each is one round trip (it waits for the server's answer; BEGIN goes with the first).
     */
    private DataSource noting(List<String> sent) {
        return proxy(DataSource.class, (p, method, args) -> {
            Object result = invoke(postgres, method, args);
            return result instanceof Connection connection ? StatementLog.noting(connection, sent::add) : result;
        });
    }

    /** What a connection of the real database does when called, decided first by {@code onCall}. */
    @FunctionalInterface
    private interface ConnectionCall {
        Object on(Connection real, Method method, Object[] args) throws Throwable;
    }

    private DataSource seenFirstBy(ConnectionCall onCall) {
        return proxy(DataSource.class, (proxy, method, args) -> {
            Object result = invoke(postgres, method, args);
            return method.getName().equals("getConnection")
                    ? proxy(Connection.class, (p, m, a) -> onCall.on((Connection) result, m, a))
                    : result;
        });
    }
}
