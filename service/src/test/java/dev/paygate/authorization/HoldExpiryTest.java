package dev.paygate.authorization;

import static dev.paygate.testing.Fixtures.authorize;
import static dev.paygate.testing.Fixtures.newAccount;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.paygate.testing.ManualClock;
import dev.paygate.testing.RunningService;
import dev.paygate.testing.StatusDetails;
import dev.paygate.testing.TestDatabase;
import dev.paygate.v1.Account;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.Authorization.State;
import dev.paygate.v1.CaptureAuthorizationRequest;
import dev.paygate.v1.GetAccountRequest;
import dev.paygate.v1.GetAuthorizationRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** An uncaptured hold lapses after its TTL: the sweep releases exactly its amount, once. */
class HoldExpiryTest {

    @Test
    void approvedHold_pastItsTtl_expiresReleasesCreditAndCannotBeCaptured() throws Exception {
        try (RunningService service = RunningService.start(TestDatabase.h2Memory(), Map.of(
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
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(
                    () -> service.authorizations().getAuthorization(getAuthorization).getState() == State.EXPIRED);

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
            assertThat(StatusDetails.reason(error)).isEqualTo("AUTHORIZATION_NOT_APPROVED");
            assertThat(service.accounts().getAccount(getAccount).getAvailable().getUnits()).isEqualTo(100);

            Counter expired = service.meters().find("paygate.holds.expired").counter();
            assertThat(expired).isNotNull();
            assertThat(expired.count()).isEqualTo(1.0);
        }
    }

    @Test
    void capture_inTheLastSecondBeforeExpireTime_succeeds() throws Exception {
        try (RunningService service = RunningService.start(TestDatabase.h2Memory(), Map.of(
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
        try (RunningService service = RunningService.start(TestDatabase.h2Memory(), Map.of(
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
                    .getHeld().getUnits()).isEqualTo(30);
        }
    }

    @Test
    void approvedHold_withinItsTtl_staysApprovedAndHeld() throws Exception {
        try (RunningService service = RunningService.start(TestDatabase.h2Memory(), Map.of(
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
