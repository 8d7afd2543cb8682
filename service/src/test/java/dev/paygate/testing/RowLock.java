package dev.paygate.testing;

import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;

/**
 * Holds a lock on an account's row from outside the service, the way a concurrent transaction of
 * another replica would, so a test can park a call inside its transaction and then cancel it,
 * let its deadline pass, or shut the service down around it.
 */
public final class RowLock implements AutoCloseable {

    private final Connection connection;
    private boolean held;

    private RowLock(Connection connection) {
        this.connection = connection;
    }

    /** Takes the lock on {@code accounts/{accountId}} in a transaction left open until {@link #release}. */
    public static RowLock lockAccount(Connection connection, String accountId) {
        try {
            RowLock lock = new RowLock(connection);
            connection.setAutoCommit(false);
            try (PreparedStatement statement = connection.prepareStatement(
                    "SELECT id FROM accounts WHERE id = ? FOR UPDATE")) {
                statement.setString(1, accountId);
                try (ResultSet row = statement.executeQuery()) {
                    if (!row.next()) {
                        throw new IllegalArgumentException("no account " + accountId);
                    }
                }
            }
            lock.held = true;
            return lock;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot lock account " + accountId, e);
        }
    }

    /**
     * Inserts an authorization of {@code accounts/{accountId}} in a transaction left open until
     * {@link #release}: its foreign key check holds a FOR KEY SHARE lock on the account row.
     */
    public static RowLock referenceAccount(Connection connection, String accountId) {
        try {
            RowLock lock = new RowLock(connection);
            connection.setAutoCommit(false);
            try (PreparedStatement statement = connection.prepareStatement("INSERT INTO authorizations (id, account_id,"
                    + " amount, currency_code, merchant_id, merchant_category_code, state, decline_reason, create_time,"
                    + " update_time) VALUES (?, ?, 1, 'EUR', 'row-lock', '5411', 'DECLINED', 'INSUFFICIENT_FUNDS',"
                    + " now(), now())")) {
                statement.setString(1, UUID.randomUUID().toString());
                statement.setString(2, accountId);
                statement.executeUpdate();
            }
            lock.held = true;
            return lock;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot reference account " + accountId, e);
        }
    }

    /** How many other sessions are waiting for a lock right now. */
    public int waiters() {
        try (Statement statement = connection.createStatement()) {
            // Inside a transaction PostgreSQL would keep answering from its first snapshot.
            statement.execute("SELECT pg_stat_clear_snapshot()");
            ResultSet row = statement.executeQuery("SELECT COUNT(*) FROM pg_stat_activity"
                    + " WHERE datname = current_database() AND wait_event_type = 'Lock'");
            row.next();
            return row.getInt(1);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read lock waits", e);
        }
    }

    /** Waits until a call's transaction is blocked on this lock, i.e. it is in the middle of its work. */
    public void awaitWaiter() {
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20)).until(() -> waiters() > 0);
    }

    /** Ends the holding transaction (rollback: it changed nothing), letting waiters proceed. */
    public void release() {
        if (held) {
            end(false);
        }
    }

    /** Ends the holding transaction keeping what it wrote meanwhile on its connection, letting waiters proceed. */
    public void commit() {
        end(true);
    }

    private void end(boolean commit) {
        try {
            if (commit) {
                connection.commit();
            } else {
                connection.rollback();
            }
            connection.setAutoCommit(true);
            held = false;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot end the row lock's transaction", e);
        }
    }

    /** Releases the lock if still held and closes the connection. */
    @Override
    public void close() throws SQLException {
        try {
            release();
        } finally {
            connection.close();
        }
    }
}
