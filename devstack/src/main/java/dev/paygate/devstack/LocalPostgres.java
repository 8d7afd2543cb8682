package dev.paygate.devstack;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The PostgreSQL a {@link Stack}'s replicas share: zonky's embedded binaries from Maven Central,
 * run as a server of its own on a free port, with its data in one directory.
 */
final class LocalPostgres implements AutoCloseable {

    private final EmbeddedPostgres server;

    private LocalPostgres(EmbeddedPostgres server) {
        this.server = server;
    }

    /**
     * Starts the server on {@code data}: an existing directory as it is (no initdb) when
     * {@code keep}, else a fresh one that goes when the server closes.
     */
    static LocalPostgres start(Path data, Database durability, boolean keep) {
        refuseRunningServer(data);
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setDataDirectory(data)
                .setCleanDataDirectory(!keep);
        if (durability == Database.POSTGRES_DURABLE) {
            // zonky starts the server with -F (fsync off) and synchronous_commit off unless told
            // otherwise; a crash then loses acknowledged commits (LocalDatabaseIT).
            builder.setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on");
            // Group commit: with at least 5 other transactions open, the commit that leads a WAL flush
            // first waits 100 µs (about half a flush here), so that the flush serves more commits.
            // Measured in docs/operations.md.
            builder.setServerConfig("commit_delay", "100").setServerConfig("commit_siblings", "5");
        }
        try {
            return new LocalPostgres(builder.start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start embedded PostgreSQL in " + data, e);
        }
    }

    /** A server left running on a kept directory (its launcher was killed) makes the start fail obscurely. */
    private static void refuseRunningServer(Path data) {
        OptionalLong pid = postmasterPid(data);
        boolean running = pid.isPresent() && ProcessHandle.of(pid.getAsLong())
                .flatMap(process -> process.info().command()).map(command -> command.endsWith("postgres")).orElse(false);
        if (running) {
            throw new IllegalStateException("PostgreSQL (PID " + pid.getAsLong() + ") from an earlier run still uses "
                    + data + ": stop it (kill " + pid.getAsLong() + ") and start again");
        }
    }

    /** The PID in the server's lock file; empty without one (PostgreSQL judges a stale file itself). */
    private static OptionalLong postmasterPid(Path data) {
        Path lockFile = data.resolve("postmaster.pid");
        try {
            return Files.exists(lockFile)
                    ? OptionalLong.of(Long.parseLong(Files.readAllLines(lockFile).get(0).trim()))
                    : OptionalLong.empty();
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    String jdbcUrl() {
        return server.getJdbcUrl("postgres", "postgres");
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            System.err.println("stopping PostgreSQL failed: " + e);
        }
    }
}
