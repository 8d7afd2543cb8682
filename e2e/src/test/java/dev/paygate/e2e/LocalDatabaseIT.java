package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.paygate.devstack.Stack;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.AuthorizationServiceGrpc;
import dev.paygate.v1.GetAccountRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The database of {@code ./paygate run}, {@code ./paygate bench} and these suites: durable (what
 * the service acknowledged survives a crash of PostgreSQL itself) and, for {@code run}, kept in
 * its work directory from one run to the next.
 */
@Tag("e2e")
class LocalDatabaseIT {

    private static final int WRITES = 200;

    @Test
    void acknowledgedAuthorizations_surviveSigkillOfEveryPostgresProcess() throws SQLException {
        try (Edge edge = Edge.start("database-crash", 1, Map.of())) {
            String account = edge.accounts().createAccount(Payments.account(1_000_000)).getName();
            ManagedChannel direct = edge.directChannel(0);
            long acknowledgedUnits = 0;
            try {
                // Straight to the replica: as many writes as fast as one caller can, no edge budget in the way.
                AuthorizationServiceGrpc.AuthorizationServiceBlockingStub authorizations =
                        AuthorizationServiceGrpc.newBlockingStub(direct).withInterceptors(edge.headers(Map.of()));
                for (int i = 0; i < WRITES; i++) {
                    long units = 1 + i % 7;
                    Authorization approved = authorizations.withDeadlineAfter(5, TimeUnit.SECONDS)
                            .createAuthorization(Payments.authorize(account, units));
                    assertThat(approved.getState()).isEqualTo(Authorization.State.APPROVED);
                    acknowledgedUnits += units;
                }
                assertThat(setting(edge, "fsync")).isEqualTo("on");
                assertThat(setting(edge, "synchronous_commit")).isEqualTo("on");
                StackPostgres database = StackPostgres.of(edge.stack());

                database.crash();
                database.start();

                String id = account.substring("accounts/".length());
                assertThat(edge.count("SELECT COUNT(*) FROM authorizations WHERE account_id = '" + id + "'"))
                        .as("acknowledged authorizations after the crash").isEqualTo(WRITES);
                long held = acknowledgedUnits;
                await("the replica answers from the recovered database").atMost(Duration.ofSeconds(30))
                        .ignoreExceptionsInstanceOf(StatusRuntimeException.class)
                        .untilAsserted(() -> assertThat(edge.accounts().getAccount(GetAccountRequest.newBuilder()
                                .setName(account).build()).getHeld().getUnits()).isEqualTo(held));
            } finally {
                direct.shutdownNow();
            }
        }
    }

    private static String setting(Edge edge, String name) throws SQLException {
        try (Connection connection = edge.connect(); Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery("SHOW " + name)) {
            row.next();
            return row.getString(1);
        }
    }

    @Test
    void keptDatabase_outlivesTheStack_andTheNextStackServesItsAccounts() throws Exception {
        Path workDir = Files.createTempDirectory("paygate-e2e-kept-");
        try {
            String account;
            try (Edge first = Edge.startIn(workDir, "kept", Stack.Options::withKeptDatabase)) {
                account = first.accounts().createAccount(Payments.account(100)).getName();
                first.authorizations().createAuthorization(Payments.authorize(account, 30));
            }

            try (Edge second = Edge.startIn(workDir, "kept", Stack.Options::withKeptDatabase)) {
                assertThat(second.accounts().getAccount(GetAccountRequest.newBuilder().setName(account).build())
                        .getHeld().getUnits()).as("the hold made in the first run").isEqualTo(30);
            }
        } finally {
            // A kept database outlives its stack by design: this test's is 40 MB of /tmp.
            try (Stream<Path> files = Files.walk(workDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }
}
