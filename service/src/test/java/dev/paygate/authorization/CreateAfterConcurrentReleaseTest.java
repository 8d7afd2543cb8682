package dev.paygate.authorization;

import static dev.paygate.testing.Fixtures.authorize;
import static dev.paygate.testing.Fixtures.newAccount;
import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.account.ResourceNames;
import dev.paygate.testing.Fixtures;
import dev.paygate.testing.ManualClock;
import dev.paygate.testing.RowLock;
import dev.paygate.testing.RunningService;
import dev.paygate.testing.TestDatabase;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.Authorization.DeclineReason;
import dev.paygate.v1.Authorization.State;
import dev.paygate.v1.CaptureAuthorizationRequest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A create that waits for the account lock while another transaction releases the account's due
 * holds: under READ COMMITTED its locking statement sees the row as that transaction left it but
 * the holds as they were before, so it must not subtract the released holds a second time.
 */
class CreateAfterConcurrentReleaseTest {

    @Test
    void createWaitingForTheLock_whileASweepReleasesTheDueHold_declinesWhatOnlyADoubleReleaseWouldFit()
            throws Exception {
        try (RunningService service = RunningService.start(TestDatabase.postgres(), Map.of(
                "paygate.test.clock", "manual",
                "paygate.holds.ttl", "1s"))) {
            ManualClock clock = service.bean(ManualClock.class);
            String account = service.accounts().createAccount(newAccount(100)).getName();
            String accountId = Fixtures.accountId(account);
            Authorization spent = service.authorizations().createAuthorization(authorize(account, 50));
            service.authorizations().captureAuthorization(
                    CaptureAuthorizationRequest.newBuilder().setName(spent.getName()).build());
            Authorization due = service.authorizations().createAuthorization(authorize(account, 40));
            clock.advance(Duration.ofSeconds(1));

            // Truly available: 100 - 50 captured = 50. Subtracting the released 40 twice says 90.
            CompletableFuture<Authorization> create;
            try (Connection connection = service.dataSource().getConnection();
                 RowLock sweep = RowLock.lockAccount(connection, accountId)) {
                create = CompletableFuture.supplyAsync(
                        () -> service.authorizations().createAuthorization(authorize(account, 80)));
                sweep.awaitWaiter();
                releaseAsTheSweepDoes(connection, accountId, ResourceNames.authorizationId(due.getName()));
                sweep.commit();
            }
            Authorization created = create.get(30, TimeUnit.SECONDS);

            assertThat(created.getState()).isEqualTo(State.DECLINED);
            assertThat(created.getDeclineReason()).isEqualTo(DeclineReason.INSUFFICIENT_FUNDS);
            assertThat(Fixtures.count(service.dataSource(), "SELECT held FROM accounts WHERE id = ?", accountId))
                    .isZero();
            assertThat(Fixtures.count(service.dataSource(), "SELECT captured FROM accounts WHERE id = ?", accountId))
                    .isEqualTo(50);
            assertThat(Fixtures.count(service.dataSource(),
                    "SELECT COUNT(*) FROM authorizations WHERE account_id = ? AND state = 'APPROVED'", accountId))
                    .isZero();
            assertThat(Fixtures.count(service.dataSource(),
                    "SELECT COUNT(*) FROM authorizations WHERE account_id = ? AND state = 'EXPIRED'", accountId))
                    .isEqualTo(1);
        }
    }

    /** What the sweep writes for one due hold, on the lock's own transaction: it expires, its amount leaves held. */
    private static void releaseAsTheSweepDoes(Connection connection, String accountId, String holdId)
            throws Exception {
        try (PreparedStatement expire = connection.prepareStatement(
                "UPDATE authorizations SET state = 'EXPIRED', update_time = expire_time WHERE id = ?");
             PreparedStatement release = connection.prepareStatement(
                     "UPDATE accounts SET held = held - 40 WHERE id = ?")) {
            expire.setString(1, holdId);
            assertThat(expire.executeUpdate()).isEqualTo(1);
            release.setString(1, accountId);
            assertThat(release.executeUpdate()).isEqualTo(1);
        }
    }
}
