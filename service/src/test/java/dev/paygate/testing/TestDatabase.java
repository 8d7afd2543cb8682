package dev.paygate.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.UUID;

/** A fresh, empty database for one test: in-memory H2, an H2 file, or a real PostgreSQL. */
public record TestDatabase(String name, Map<String, Object> properties) {

    private static EmbeddedPostgres postgres;

    public static TestDatabase h2Memory() {
        return new TestDatabase("h2", Map.of(
                "datasources.default.url", "jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=5000",
                "datasources.default.username", "sa",
                "datasources.default.password", ""));
    }

    /** The embedded default's settings on a file under {@code directory}; it outlives restarts. */
    public static TestDatabase h2File(Path directory) {
        return new TestDatabase("h2-file", Map.of(
                "datasources.default.url", h2FileUrl(directory),
                "datasources.default.username", "sa",
                "datasources.default.password", ""));
    }

    public static String h2FileUrl(Path directory) {
        return "jdbc:h2:file:" + directory.resolve("paygate").toAbsolutePath() + ";WRITE_DELAY=500;LOCK_TIMEOUT=5000";
    }

    /**
     * A new database on a real PostgreSQL server (zonky's embedded binaries from Maven Central),
     * started once per test JVM and stopped when it exits.
     */
    public static synchronized TestDatabase postgres() {
        try {
            if (postgres == null) {
                postgres = EmbeddedPostgres.builder().start();
                EmbeddedPostgres started = postgres;
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        started.close();
                    } catch (IOException ignored) {
                        // The JVM is exiting; the server dies with its data directory.
                    }
                }));
            }
            String database = "paygate_" + UUID.randomUUID().toString().replace("-", "");
            try (Connection connection = postgres.getPostgresDatabase().getConnection();
                 Statement statement = connection.createStatement()) {
                statement.execute("CREATE DATABASE " + database);
            }
            return new TestDatabase("postgres", Map.of(
                    "datasources.default.url", postgres.getJdbcUrl("postgres", database),
                    "datasources.default.username", "postgres",
                    "datasources.default.password", "postgres"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start embedded PostgreSQL", e);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create a PostgreSQL test database", e);
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
