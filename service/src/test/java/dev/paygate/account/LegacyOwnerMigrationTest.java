package dev.paygate.account;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.paygate.testing.RunningService;
import dev.paygate.testing.TestDatabase;
import dev.paygate.testing.TestTokens;
import dev.paygate.v1.Account;
import dev.paygate.v1.AccountServiceGrpc;
import dev.paygate.v1.GetAccountRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.flywaydb.core.Flyway;

import org.junit.jupiter.api.Test;

/**
 * A database from before accounts had owners: the V2 migration gives its accounts to the
 * configured legacy owner, whose token then reaches them, and nobody else's does.
 */
class LegacyOwnerMigrationTest {

    @Test
    void accountsCreatedBeforeOwnership_belongToTheConfiguredLegacyOwner() throws Exception {
        TestDatabase database = TestDatabase.postgres();
        String url = (String) database.properties().get("datasources.default.url");
        String user = (String) database.properties().get("datasources.default.username");
        String password = (String) database.properties().get("datasources.default.password");
        Flyway.configure().dataSource(url, user, password).target("1").load().migrate();
        String id = UUID.randomUUID().toString();
        try (Connection connection = DriverManager.getConnection(url, user, password);
             Statement statement = connection.createStatement()) {
            statement.executeUpdate("INSERT INTO accounts (id, currency_code, credit_limit, held, captured, state,"
                    + " display_name, create_time) VALUES ('" + id + "', 'EUR', 100, 0, 0, 'OPEN', 'old',"
                    + " TIMESTAMP WITH TIME ZONE '2025-01-01 00:00:00+00')");
        }

        try (RunningService service = RunningService.start(database,
                Map.of("flyway.datasources.default.placeholders.legacy-owner", "ops-legacy"))) {
            GetAccountRequest get = GetAccountRequest.newBuilder().setName("accounts/" + id).build();
            Account asLegacyOwner = AccountServiceGrpc.newBlockingStub(
                            service.channelAs(TestTokens.token("ops-legacy", TestTokens.READ)))
                    .withDeadlineAfter(5, TimeUnit.SECONDS).getAccount(get);
            StatusRuntimeException asSomeoneElse = catchThrowableOfType(StatusRuntimeException.class,
                    () -> AccountServiceGrpc.newBlockingStub(service.channel())
                            .withDeadlineAfter(5, TimeUnit.SECONDS).getAccount(get));

            assertThat(asLegacyOwner.getDisplayName()).isEqualTo("old");
            assertThat(asSomeoneElse.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        }
    }
}
