package dev.paygate.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The service's PostgreSQL seen from the bench, on a connection of its own: transactions committed
 * or rolled back in the service's database (pg_stat_database; PostgreSQL publishes a backend's
 * counts about once a second, so read it over windows of several seconds), transaction IDs handed
 * out (the transactions that wrote), and the CPU of the server's processes (the postmaster and
 * every child, /proc, as {@link ProcessSampler}).
 */
final class DatabaseSampler implements AutoCloseable {

    private final Connection connection;
    private final long postmasterPid;

    private DatabaseSampler(Connection connection, long postmasterPid) {
        this.connection = connection;
        this.postmasterPid = postmasterPid;
    }

    static DatabaseSampler connect(String jdbcUrl) throws SQLException {
        Connection connection = DriverManager.getConnection(jdbcUrl);
        try (Statement statement = connection.createStatement();
             ResultSet backend = statement.executeQuery("SELECT pg_backend_pid()")) {
            backend.next();
            long postmaster = ProcessHandle.of(backend.getLong(1)).flatMap(ProcessHandle::parent)
                    .map(ProcessHandle::pid).orElseThrow(() -> new SQLException("no postmaster above this backend"));
            return new DatabaseSampler(connection, postmaster);
        } catch (SQLException | RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    /** Transactions ended (committed or rolled back) in this database so far, this sampler's own reads included. */
    long transactions() throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery("SELECT xact_commit + xact_rollback FROM pg_stat_database "
                     + "WHERE datname = current_database()")) {
            row.next();
            return row.getLong(1);
        }
    }

    /**
     * The server's counters now. Transaction IDs come from the current snapshot's xmax, one past the
     * latest completed ID (no ID is taken by asking): the difference of two readings counts the
     * transactions that wrote, give or take those in flight at either end.
     */
    Reading read() throws SQLException {
        double cpu = cpuSeconds();
        try (Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery("SELECT xact_commit + xact_rollback, "
                     + "pg_snapshot_xmax(pg_current_snapshot())::text::bigint FROM pg_stat_database "
                     + "WHERE datname = current_database()")) {
            row.next();
            return new Reading(cpu, row.getLong(1), row.getLong(2));
        }
    }

    /** CPU seconds, transactions ended and transaction IDs handed out: at one instant, or over a window. */
    record Reading(double cpuSeconds, long transactions, long writeTransactions) {

        /** What happened between an earlier reading and this one. */
        Reading since(Reading earlier) {
            return new Reading(cpuSeconds - earlier.cpuSeconds, transactions - earlier.transactions,
                    writeTransactions - earlier.writeTransactions);
        }
    }

    /** CPU seconds of the postmaster and its children alive now (a child that ended is missed). */
    double cpuSeconds() {
        return ProcessHandle.of(postmasterPid).stream()
                .flatMap(postmaster -> java.util.stream.Stream.concat(java.util.stream.Stream.of(postmaster),
                        postmaster.descendants()))
                .mapToDouble(process -> {
                    try {
                        return ProcessSampler.cpuSeconds(process.pid());
                    } catch (IllegalStateException ended) {
                        return 0;
                    }
                }).sum();
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (SQLException e) {
            // the server may already be gone
        }
    }
}
