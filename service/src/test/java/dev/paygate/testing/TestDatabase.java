package dev.paygate.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A fresh, empty database for one test on a real PostgreSQL server (zonky's embedded binaries
 * from Maven Central), durable as production runs it: fsync and synchronous_commit on.
 */
public record TestDatabase(String name, Map<String, Object> properties) {

    /** zonky's superuser; the server trusts local connections, so the password is not checked. */
    public static final String USER = "postgres";
    public static final String PASSWORD = "postgres";

    private static EmbeddedPostgres shared;

    /** A new database on the server every test of this JVM shares, started on first use and stopped at exit. */
    public static synchronized TestDatabase postgres() {
        try {
            if (shared == null) {
                shared = durableServer().start();
                EmbeddedPostgres started = shared;
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        started.close();
                    } catch (IOException ignored) {
                        // The JVM is exiting; the server dies with its data directory.
                    }
                }));
            }
            return on(shared);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start embedded PostgreSQL", e);
        }
    }

    /**
     * A new, empty schema on {@code server}, which every connection to the returned URL works in
     * (Flyway migrates it like a database of its own). A schema costs a few files where a
     * database copies its template's thousand.
     */
    public static TestDatabase on(EmbeddedPostgres server) {
        String schema = "paygate_" + UUID.randomUUID().toString().replace("-", "");
        try (Connection connection = server.getPostgresDatabase().getConnection();
             Statement statement = connection.createStatement()) {
            statement.execute("CREATE SCHEMA " + schema);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create a PostgreSQL test schema", e);
        }
        return new TestDatabase("postgres", Map.of(
                "datasources.default.url", server.getJdbcUrl(USER, "postgres") + "&currentSchema=" + schema,
                "datasources.default.username", USER,
                "datasources.default.password", PASSWORD));
    }

    /**
     * A server of one's own, for a test that kills it. zonky starts PostgreSQL with fsync and
     * synchronous_commit off unless told otherwise; a test that wants them off says so itself.
     */
    public static EmbeddedPostgres.Builder durableServer() {
        return EmbeddedPostgres.builder()
                .setServerConfig("fsync", "on")
                .setServerConfig("synchronous_commit", "on");
    }

    /** The JDBC URL of this database. */
    public String url() {
        return (String) properties.get("datasources.default.url");
    }

    /** Unpooled connections to this database, for tests that look at it from outside the service. */
    public DataSource dataSource() {
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setURL(url());
        dataSource.setUser(USER);
        dataSource.setPassword(PASSWORD);
        return dataSource;
    }

    @Override
    public String toString() {
        return name;
    }
}
