package dev.paygate.authorization;

import static dev.paygate.testing.Fixtures.authorize;
import static dev.paygate.testing.Fixtures.newAccount;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.paygate.testing.Fixtures;
import dev.paygate.testing.ManualClock;
import dev.paygate.testing.RowLock;
import dev.paygate.testing.RunningService;
import dev.paygate.testing.StatusDetails;
import dev.paygate.testing.TestDatabase;
import dev.paygate.v1.Account;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.Authorization.State;
import dev.paygate.v1.CaptureAuthorizationRequest;
import dev.paygate.v1.GetAccountRequest;
import dev.paygate.v1.GetAuthorizationRequest;
import dev.paygate.v1.ListAuthorizationsRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** An uncaptured hold lapses after its TTL: the sweep releases exactly its amount, once. */
class HoldExpiryTest {

    @Test
    void approvedHold_pastItsTtl_expiresReleasesCreditAndCannotBeCaptured() throws Exception {
        try (RunningService service = RunningService.start(TestDatabase.postgres(), Map.of(
                "paygate.holds.ttl", "1s",
                "paygate.holds.sweep-interval", "200ms"))) {
            String account = service.accounts().createAccount(newAccount(100)).getName();
            GetAccountRequest getAccount = GetAccountRequest.newBuilder().setName(account).build();

            Authorization approved = service.authorizations().createAuthorization(authorize(account, 30));
            assertThat(approved.getState()).isEqualTo(State.APPROVED);
            assertThat(approved.getExpireTime().getSeconds() - approved.getCreateTime().getSeconds()).isBetween(0L, 1L);
            assertThat(service.accounts().getAccount(getAccount).getHeld().getUnits()).isEqualTo(30);

            GetAuthorizationRequest getAuthorization = GetAuthorizationRequest.newBuilder()
                    .setName(approved.getName()).build();
            // The sweep (every 200 ms) makes the stored state agree with what readers already see.
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(
                    () -> Fixtures.count(service.dataSource(), "SELECT COUNT(*) FROM authorizations WHERE state = ?",
                            State.EXPIRED.name()) == 1);
            assertThat(service.authorizations().getAuthorization(getAuthorization).getState()).isEqualTo(State.EXPIRED);

            Account released = service.accounts().getAccount(getAccount);
            assertThat(released.getHeld().getUnits()).isZero();
            assertThat(released.getHeld().getNanos()).isZero();
            assertThat(released.getCaptured().getUnits()).isZero();
            assertThat(released.getAvailable().getUnits()).isEqualTo(100);

            StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class,
                    () -> service.authorizations().captureAuthorization(
                            CaptureAuthorizationRequest.newBuilder().setName(approved.getName()).build()));
            assertThat(error).isNotNull();
            assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
            assertThat(StatusDetails.reason(error)).isEqualTo("AUTHORIZATION_EXPIRED");
            assertThat(service.accounts().getAccount(getAccount).getAvailable().getUnits()).isEqualTo(100);

            Counter expired = service.meters().find("paygate.holds.expired").counter();
            assertThat(expired).isNotNull();
            assertThat(expired.count()).isEqualTo(1.0);
        }
    }

    @Test
    void capture_inTheLastSecondBeforeExpireTime_succeeds() throws Exception {
        try (RunningService service = RunningService.start(TestDatabase.postgres(), Map.of(
                "paygate.test.clock", "manual",
                "paygate.holds.ttl", "1s"))) {
            ManualClock clock = service.bean(ManualClock.class);
            String account = service.accounts().createAccount(newAccount(100)).getName();
            Authorization approved = service.authorizations().createAuthorization(authorize(account, 30));
            assertThat(approved.getExpireTime().getSeconds()).isEqualTo(ManualClock.START.getEpochSecond() + 1);
            assertThat(approved.getExpireTime().getNanos()).isEqualTo(500_000_000);

            // 0.3 s before expire_time, in the same whole second: the hold is still valid.
            clock.advance(Duration.ofMillis(700));
            Authorization captured = service.authorizations().captureAuthorization(
                    CaptureAuthorizationRequest.newBuilder().setName(approved.getName()).build());

            assertThat(captured.getState()).isEqualTo(State.CAPTURED);
            Account balances = service.accounts().getAccount(GetAccountRequest.newBuilder().setName(account).build());
            assertThat(balances.getHeld().getUnits()).isZero();
            assertThat(balances.getCaptured().getUnits()).isEqualTo(30);
        }
    }

    @Test
    void capture_atExpireTime_failsWithAuthorizationExpired() throws Exception {
        try (RunningService service = RunningService.start(TestDatabase.postgres(), Map.of(
                "paygate.test.clock", "manual",
                "paygate.holds.ttl", "1s"))) {
            ManualClock clock = service.bean(ManualClock.class);
            String account = service.accounts().createAccount(newAccount(100)).getName();
            Authorization approved = service.authorizations().createAuthorization(authorize(account, 30));

            clock.advance(Duration.ofSeconds(1));
            StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class,
                    () -> service.authorizations().captureAuthorization(
                            CaptureAuthorizationRequest.newBuilder().setName(approved.getName()).build()));

            assertThat(error).isNotNull();
            assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
            assertThat(StatusDetails.reason(error)).isEqualTo("AUTHORIZATION_EXPIRED");
            assertThat(service.accounts().getAccount(GetAccountRequest.newBuilder().setName(account).build())
                    .getAvailable().getUnits()).isEqualTo(100);
        }
    }

    @Test
    void expiredHold_stopsHoldingCreditAtItsExpireTime_andReadsExpired_beforeAnySweep()
            throws Exception {
        TestDatabase database = TestDatabase.postgres();
        try (RunningService service = RunningService.start(database, Map.of(
                "paygate.test.clock", "manual",
                "paygate.holds.ttl", "1s"))) {
            ManualClock clock = service.bean(ManualClock.class);
            String account = service.accounts().createAccount(newAccount(100)).getName();
            Authorization approved = service.authorizations().createAuthorization(authorize(account, 60));

            clock.advance(Duration.ofSeconds(1));

            Account balances = service.accounts().getAccount(GetAccountRequest.newBuilder().setName(account).build());
            assertThat(balances.getHeld().getUnits()).isZero();
            assertThat(balances.getAvailable().getUnits()).isEqualTo(100);
            Authorization read = service.authorizations().getAuthorization(
                    GetAuthorizationRequest.newBuilder().setName(approved.getName()).build());
            assertThat(read.getState()).isEqualTo(State.EXPIRED);
            assertThat(read.getUpdateTime()).isEqualTo(approved.getExpireTime());
            assertThat(list(service, account, State.EXPIRED)).containsExactly(approved.getName());
            assertThat(list(service, account, State.APPROVED)).isEmpty();
            // The full limit is available again: the expired hold is released under the lock first.
            Authorization next = service.authorizations().createAuthorization(authorize(account, 100));
            assertThat(next.getState()).isEqualTo(State.APPROVED);
            assertThat(service.authorizations().getAuthorization(GetAuthorizationRequest.newBuilder()
                    .setName(approved.getName()).build())).isEqualTo(read);
        }
    }

    @Test
    void sweep_drainsEveryAccountInBatches_andOneBadAccountDoesNotStopIt() throws Exception {
        try (RunningService service = RunningService.start(TestDatabase.postgres(), Map.of(
                "paygate.test.clock", "manual",
                "paygate.holds.ttl", "1s",
                "paygate.holds.sweep-batch-size", 2))) {
            ManualClock clock = service.bean(ManualClock.class);
            List<String> accounts = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                String account = service.accounts().createAccount(newAccount(100)).getName();
                service.authorizations().createAuthorization(authorize(account, 30));
                accounts.add(account);
            }
            // The first account the sweep meets cannot be released: its balance no longer covers its hold.
            String bad = accounts.stream().min(Comparator.comparing(Fixtures::accountId)).orElseThrow();
            execute(service, "UPDATE accounts SET held = 0 WHERE id = ?", Fixtures.accountId(bad));
            clock.advance(Duration.ofSeconds(1));

            int released = service.bean(HoldExpiryJob.class).releaseExpiredHolds();

            assertThat(released).isEqualTo(4);
            assertThat(Fixtures.count(service.dataSource(), "SELECT COUNT(*) FROM authorizations WHERE state = 'EXPIRED'"))
                    .isEqualTo(4);
            assertThat(Fixtures.count(service.dataSource(),
                    "SELECT COUNT(*) FROM authorizations WHERE state = 'APPROVED' AND account_id = ?",
                    Fixtures.accountId(bad))).isEqualTo(1);
            assertThat(Fixtures.count(service.dataSource(), "SELECT COUNT(*) FROM accounts WHERE held <> 0")).isZero();
            assertThat(service.meters().get("paygate.fallback").tag("dependency", "hold_expiry_sweep")
                    .tag("decision", "defer").counter().count()).as("the skipped account, counted").isEqualTo(1.0);
        }
    }

    @Test
    void sweep_skipsAnAccountLockedElsewhere_atOnce() throws Exception {
        TestDatabase database = TestDatabase.postgres();
        try (RunningService service = RunningService.start(database, Map.of(
                "paygate.test.clock", "manual",
                "paygate.holds.ttl", "1s"))) {
            ManualClock clock = service.bean(ManualClock.class);
            String locked = service.accounts().createAccount(newAccount(100)).getName();
            String free = service.accounts().createAccount(newAccount(100)).getName();
            service.authorizations().createAuthorization(authorize(locked, 30));
            service.authorizations().createAuthorization(authorize(free, 30));
            clock.advance(Duration.ofSeconds(1));

            try (RowLock lock = RowLock.lockAccount(service.dataSource().getConnection(), Fixtures.accountId(locked))) {
                long started = System.nanoTime();
                int released = service.bean(HoldExpiryJob.class).releaseExpiredHolds();

                assertThat(released).isEqualTo(1);
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
            }
            assertThat(service.bean(HoldExpiryJob.class).releaseExpiredHolds()).isEqualTo(1);
        }
    }

    @Test
    void capturesRacingTheSweepAtExpireTime_releaseEachHoldExactlyOnce() throws Exception {
        try (RunningService service = RunningService.start(TestDatabase.postgres(), Map.of(
                "paygate.test.clock", "manual",
                "paygate.holds.ttl", "1s"))) {
            ManualClock clock = service.bean(ManualClock.class);
            String account = service.accounts().createAccount(newAccount(1000)).getName();
            List<Authorization> holds = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                holds.add(service.authorizations().createAuthorization(authorize(account, 10)));
            }
            clock.advance(Duration.ofSeconds(1));

            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<?>> work = new ArrayList<>();
                for (Authorization hold : holds) {
                    work.add(pool.submit(() -> catchThrowableOfType(StatusRuntimeException.class,
                            () -> service.authorizations().captureAuthorization(
                                    CaptureAuthorizationRequest.newBuilder().setName(hold.getName()).build()))));
                    work.add(pool.submit(() -> service.bean(HoldExpiryJob.class).releaseExpiredHolds()));
                }
                for (Future<?> future : work) {
                    future.get(30, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }

            Account balances = service.accounts().getAccount(GetAccountRequest.newBuilder().setName(account).build());
            assertThat(balances.getHeld().getUnits()).isZero();
            assertThat(balances.getCaptured().getUnits()).isZero();
            assertThat(Fixtures.count(service.dataSource(), "SELECT held FROM accounts WHERE id = ?",
                    Fixtures.accountId(account))).isZero();
            assertThat(Fixtures.count(service.dataSource(), "SELECT COUNT(*) FROM authorizations WHERE state = 'EXPIRED'"))
                    .isEqualTo(10);
            assertThat(service.meters().find("paygate.holds.expired").counter().count()).isEqualTo(10.0);
        }
    }

    private static List<String> list(RunningService service, String account, State state) {
        return service.authorizations().listAuthorizations(ListAuthorizationsRequest.newBuilder()
                .setParent(account).setState(state).build()).getAuthorizationsList().stream()
                .map(Authorization::getName).toList();
    }

    private static void execute(RunningService service, String sql, String parameter) throws Exception {
        try (Connection connection = service.dataSource().getConnection();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, parameter);
            statement.executeUpdate();
        }
    }

    @Test
    void approvedHold_withinItsTtl_staysApprovedAndHeld() throws Exception {
        try (RunningService service = RunningService.start(TestDatabase.postgres(), Map.of(
                "paygate.holds.ttl", "1h",
                "paygate.holds.sweep-interval", "100ms"))) {
            String account = service.accounts().createAccount(newAccount(100)).getName();
            Authorization approved = service.authorizations().createAuthorization(authorize(account, 30));

            // Several sweeps run meanwhile; none may touch a hold that has not expired.
            await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(3)).until(
                    () -> service.authorizations().getAuthorization(GetAuthorizationRequest.newBuilder()
                            .setName(approved.getName()).build()).getState() == State.APPROVED);
            assertThat(service.accounts().getAccount(GetAccountRequest.newBuilder().setName(account).build())
                    .getHeld().getUnits()).isEqualTo(30);
            assertThat(service.meters().find("paygate.holds.expired").counter()).isNull();
        }
    }
}
