package dev.paygate.persistence;

import static dev.paygate.testing.Fixtures.accountId;
import static dev.paygate.testing.Fixtures.authorize;
import static dev.paygate.testing.Fixtures.newAccount;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.paygate.testing.Fixtures;
import dev.paygate.testing.RunningService;
import dev.paygate.testing.TestDatabase;
import dev.paygate.testing.TestTokens;
import dev.paygate.v1.Account;
import dev.paygate.v1.AccountServiceGrpc;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.AuthorizationServiceGrpc;
import dev.paygate.v1.CreateAccountRequest;
import dev.paygate.v1.CreateAuthorizationRequest;
import dev.paygate.v1.GetAccountRequest;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the service acknowledged is in the database: a restart keeps idempotency keys (a retry
 * after a restart is still answered from the first response), and a SIGKILL of the service right
 * after the last acknowledgement loses no acknowledged write.
 */
class RestartDurabilityTest {

    private static final int CALLS = 200;

    @Test
    void keyedRequests_retriedAfterRestart_returnFirstResponsesAndWriteNothingNew() throws Exception {
        TestDatabase database = TestDatabase.postgres();
        CreateAccountRequest createAccount = newAccount(100).toBuilder()
                .setRequestId(UUID.randomUUID().toString()).build();
        Account account;
        CreateAuthorizationRequest createAuthorization;
        Authorization first;
        try (RunningService service = RunningService.start(database)) {
            account = service.accounts().createAccount(createAccount);
            createAuthorization = authorize(account.getName(), 30).toBuilder()
                    .setRequestId(UUID.randomUUID().toString()).build();
            first = service.authorizations().createAuthorization(createAuthorization);
        }

        try (RunningService restarted = RunningService.start(database)) {
            Account accountAgain = restarted.accounts().createAccount(createAccount);
            Authorization retried = restarted.authorizations().createAuthorization(createAuthorization);

            assertThat(accountAgain).isEqualTo(account);
            assertThat(retried.getName()).isEqualTo(first.getName());
            assertThat(retried.getCreateTime()).isEqualTo(first.getCreateTime());
            assertThat(retried).isEqualTo(first);
            assertThat(Fixtures.count(restarted.dataSource(), "SELECT COUNT(*) FROM accounts")).isEqualTo(1);
            assertThat(Fixtures.count(restarted.dataSource(), "SELECT COUNT(*) FROM authorizations")).isEqualTo(1);
            Account balances = restarted.accounts().getAccount(
                    GetAccountRequest.newBuilder().setName(account.getName()).build());
            assertThat(balances.getHeld().getUnits()).isEqualTo(30);
            assertThat(balances.getAvailable().getUnits()).isEqualTo(70);
        }
    }

    @Test
    void acknowledgedAuthorizations_surviveSigkillOfTheServiceProcess(@TempDir Path directory) throws Exception {
        TestDatabase database = TestDatabase.postgres();
        Path log = directory.resolve("service.log");
        int grpcPort = freePort();
        ProcessBuilder builder = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), "dev.paygate.Application")
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> environment = builder.environment();
        // The production defaults, not the test environment's overrides (application-test.yml would
        // also move the gRPC port away from PAYGATE_GRPC_PORT, so reaching the port proves it).
        environment.remove("MICRONAUT_ENVIRONMENTS");
        environment.put("PAYGATE_DB_URL", database.url());
        environment.put("PAYGATE_DB_USER", TestDatabase.USER);
        environment.put("PAYGATE_DB_PASSWORD", TestDatabase.PASSWORD);
        environment.put("PAYGATE_GRPC_PORT", Integer.toString(grpcPort));
        environment.put("PAYGATE_MANAGEMENT_PORT", Integer.toString(freePort()));
        environment.put("PAYGATE_JWKS", TestTokens.jwksFile());

        Process process = builder.start();
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
        int acknowledged = 0;
        BigDecimal acknowledgedAmount = BigDecimal.ZERO;
        String account;
        try {
            awaitServing(channel, process, log);
            Channel caller = ClientInterceptors.intercept(channel,
                    TestTokens.bearer(TestTokens.token("durability-test", TestTokens.READ, TestTokens.WRITE)));
            account = AccountServiceGrpc.newBlockingStub(caller).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .createAccount(newAccount(1_000_000)).getName();
            AuthorizationServiceGrpc.AuthorizationServiceBlockingStub authorizations =
                    AuthorizationServiceGrpc.newBlockingStub(caller);
            for (int i = 0; i < CALLS; i++) {
                long units = 1 + i % 7;
                Authorization authorization = authorizations.withDeadlineAfter(5, TimeUnit.SECONDS)
                        .createAuthorization(authorize(account, units));
                assertThat(authorization.getState()).isEqualTo(Authorization.State.APPROVED);
                acknowledged++;
                acknowledgedAmount = acknowledgedAmount.add(BigDecimal.valueOf(units));
            }
            // SIGKILL on Linux: no shutdown hook, no pool close, no chance to flush anything.
            process.destroyForcibly();
            assertThat(process.waitFor(10, TimeUnit.SECONDS)).as("killed process exits").isTrue();
        } finally {
            channel.shutdownNow();
            if (process.isAlive()) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }

        assertThat(acknowledged).isEqualTo(CALLS);
        try (Connection connection = database.dataSource().getConnection();
             Statement statement = connection.createStatement()) {
            assertThat(single(statement, "SELECT COUNT(*) FROM authorizations WHERE account_id = '"
                    + accountId(account) + "'")).isEqualByComparingTo(BigDecimal.valueOf(acknowledged));
            assertThat(single(statement, "SELECT SUM(amount) FROM authorizations WHERE account_id = '"
                    + accountId(account) + "'")).isEqualByComparingTo(acknowledgedAmount);
            assertThat(single(statement, "SELECT held FROM accounts WHERE id = '" + accountId(account) + "'"))
                    .isEqualByComparingTo(acknowledgedAmount);
        }
    }

    private static void awaitServing(ManagedChannel channel, Process process, Path log) {
        HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .ignoreException(StatusRuntimeException.class)
                .until(() -> {
                    assertThat(process.isAlive()).as("service process exited early; log:%n%s", tail(log)).isTrue();
                    return health.withDeadlineAfter(1, TimeUnit.SECONDS)
                            .check(HealthCheckRequest.newBuilder().setService("").build())
                            .getStatus() == ServingStatus.SERVING;
                });
    }

    private static BigDecimal single(Statement statement, String sql) throws Exception {
        try (ResultSet row = statement.executeQuery(sql)) {
            assertThat(row.next()).isTrue();
            return row.getBigDecimal(1);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
