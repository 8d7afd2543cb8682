package dev.paygate.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.h2.jdbcx.JdbcDataSource;
import org.h2.mvstore.DataUtils;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An acknowledged commit is in H2's file even when H2 itself would write it only much later: a
 * copy of the file taken right after the calls return (what a killed process leaves behind) holds
 * every row. Without the group commit, H2 with this WRITE_DELAY leaves them only in memory. A
 * reader is not shown a commit the file does not hold yet, and a failed write is never taken for
 * a successful one.
 */
class H2GroupCommitTest {

    private static final int WRITERS = 8;
    private static final int WRITES_EACH = 40;

    @Test
    void everyAcknowledgedConcurrentCommit_isInTheFile_whenTheCallReturns(@TempDir Path directory) throws Exception {
        JdbcDataSource h2 = new JdbcDataSource();
        // H2's own writer would wait a minute: only the group commit can put the rows in the file.
        h2.setURL("jdbc:h2:file:" + directory.resolve("live/paygate") + ";WRITE_DELAY=60000");
        try (Connection connection = h2.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE writes (writer INT NOT NULL, n INT NOT NULL)");
        }
        Database database = new Database(h2);

        ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
        try (Connection held = h2.getConnection()) {
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                writers.add(pool.submit(() -> {
                    for (int n = 0; n < WRITES_EACH; n++) {
                        int value = n;
                        database.inTransaction(tx -> tx.with("INSERT INTO writes VALUES (?, ?)", statement -> {
                            statement.setInt(1, writer);
                            statement.setInt(2, value);
                            return statement.executeUpdate();
                        }));
                    }
                    return null;
                }));
            }
            for (Future<?> writer : writers) {
                writer.get();
            }
            // The database stays open (a connection is held): the copy is the file as a SIGKILL
            // right now would leave it.
            Path crashed = Files.createDirectories(directory.resolve("crashed"));
            Files.copy(directory.resolve("live/paygate.mv.db"), crashed.resolve("paygate.mv.db"));

            assertThat(rows("jdbc:h2:file:" + crashed.resolve("paygate"))).isEqualTo(WRITERS * WRITES_EACH);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aReader_thatCouldHaveSeenACommitNotYetInTheFile_waitsUntilTheFileHoldsIt(@TempDir Path directory)
            throws Exception {
        MVStore store = liveStore(directory);
        MVMap<Integer, String> rows = store.openMap("rows");
        store.commit();
        H2GroupCommit group = new H2GroupCommit();
        try (Connection writer = DriverManager.getConnection("jdbc:h2:mem:");
             Connection reader = DriverManager.getConnection("jdbc:h2:mem:")) {
            // A write, committed in memory; its caller has not come to wait for the file yet.
            commitInMemory(group, rows, writer);
            // A read that ends now could have shown that row to its caller.
            group.opened();
            group.commit(reader, false);
            group.awaitWritten(store, false);

            Path crashed = Files.copy(directory.resolve("live.mv.db"), directory.resolve("crashed.mv.db"));
            MVStore survivor = new MVStore.Builder().fileName(crashed.toString()).readOnly().open();
            try {
                assertThat(survivor.<Integer, String>openMap("rows").get(1)).isEqualTo("authorized");
            } finally {
                survivor.close();
            }
            group.awaitWritten(store, true);
        } finally {
            store.close();
        }
    }

    @Test
    void aWriteOfTheFileThatFails_isReportedToTheCommitsItWasFor_notAcknowledged(@TempDir Path directory)
            throws Exception {
        MVStore store = liveStore(directory);
        MVMap<Integer, String> rows = store.openMap("rows");
        H2GroupCommit group = new H2GroupCommit();
        try (Connection writer = DriverManager.getConnection("jdbc:h2:mem:")) {
            commitInMemory(group, rows, writer);
            // What H2 does on an I/O error while writing: it panics, and its next store throws.
            assertThatThrownBy(() -> store.panic(DataUtils.newMVStoreException(DataUtils.ERROR_WRITING_FAILED,
                    "disk gone")));

            assertThatThrownBy(() -> group.awaitWritten(store, true))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("writing the H2 file failed");
        } finally {
            store.closeImmediately();
        }
    }

    /** A bare MVStore file that writes only when told to, as H2's is with a long WRITE_DELAY. */
    private static MVStore liveStore(Path directory) {
        return new MVStore.Builder().fileName(directory.resolve("live.mv.db").toString()).autoCommitDisabled().open();
    }

    /** A transaction that wrote a row, through the group commit up to its commit in memory. */
    private static void commitInMemory(H2GroupCommit group, MVMap<Integer, String> rows, Connection connection)
            throws SQLException {
        group.opened();
        rows.put(1, "authorized");
        group.commit(connection, true);
    }

    private static long rows(String url) throws SQLException {
        try (Connection connection = DriverManager.getConnection(url, "", "");
             Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery("SELECT COUNT(*) FROM writes")) {
            result.next();
            return result.getLong(1);
        }
    }
}
