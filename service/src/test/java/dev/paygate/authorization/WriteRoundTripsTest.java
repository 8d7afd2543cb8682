package dev.paygate.authorization;

import static dev.paygate.testing.Fixtures.authorize;
import static dev.paygate.testing.Fixtures.newAccount;
import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.testing.RunningService;
import dev.paygate.testing.StatementLog;
import dev.paygate.testing.TestDatabase;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.Authorization.State;
import dev.paygate.v1.CreateAuthorizationRequest;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The database round trips of one CreateAuthorization, as the service's connection sends them,
 * with the velocity rule on as in production (shadow): what each costs the database is CPU per
 * write (README, "Round trips per keyed write"), so a new one is a decision, not an accident.
 */
class WriteRoundTripsTest {

    private static RunningService start() {
        return RunningService.start(TestDatabase.postgres(), Map.of(
                "paygate.test.statement-log", "true",
                "paygate.risk.velocity.mode", "shadow"));
    }

    @Test
    void keyedCreate_takesSevenRoundTrips_theWritesTogether_andItsReplayFour() throws Exception {
        try (RunningService service = start()) {
            String account = service.accounts().createAccount(newAccount(100)).getName();
            CreateAuthorizationRequest keyed = authorize(account, 30).toBuilder()
                    .setRequestId(UUID.randomUUID().toString()).build();
            StatementLog log = service.bean(StatementLog.class);

            Authorization created = service.authorizations().createAuthorization(keyed);
            List<String> create = log.transactionOf(sql -> sql.contains("INSERT INTO authorizations"));
            Authorization replayed = service.authorizations().createAuthorization(keyed);
            List<String> replay = log.transactionOf(sql -> sql.contains("FROM idempotency_keys"));

            assertThat(created.getState()).isEqualTo(State.APPROVED);
            assertThat(replayed).isEqualTo(created);
            assertThat(create).as("bounds with BEGIN, lock, key, savepoint with the velocity limit, count,"
                    + " back from the savepoint with every write, commit").hasSize(7);
            assertThat(create.get(0)).contains("statement_timeout");
            assertThat(create.get(1)).contains("FOR NO KEY UPDATE").contains("holds_due");
            assertThat(create.get(2)).contains("FROM idempotency_keys");
            assertThat(create.get(3)).startsWith("SAVEPOINT");
            assertThat(create.get(4)).contains("COUNT(*)");
            assertThat(create.get(5)).startsWith("ROLLBACK TO SAVEPOINT")
                    .contains("INSERT INTO authorizations", "UPDATE accounts", "INSERT INTO authorization_events",
                            "INSERT INTO idempotency_keys");
            assertThat(create.get(6)).isEqualTo("COMMIT");
            assertThat(replay).as("bounds with BEGIN, lock, key, commit: nothing written")
                    .hasSize(4).endsWith("COMMIT");
        }
    }
}
