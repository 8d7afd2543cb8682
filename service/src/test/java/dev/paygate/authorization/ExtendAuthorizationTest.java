package dev.paygate.authorization;

import static dev.paygate.authorization.AuthorizationChecks.get;
import static dev.paygate.authorization.AuthorizationChecks.events;
import static dev.paygate.authorization.AuthorizationChecks.counted;
import static dev.paygate.authorization.AuthorizationChecks.refused;
import static dev.paygate.testing.Fixtures.authorize;
import static dev.paygate.testing.Fixtures.capture;
import static dev.paygate.testing.Fixtures.newAccount;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Timestamp;
import com.google.rpc.BadRequest;
import dev.paygate.testing.ManualClock;
import dev.paygate.testing.RunningService;
import dev.paygate.testing.StatusDetails;
import dev.paygate.testing.TestDatabase;
import dev.paygate.testing.TestTokens;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.Authorization.State;
import dev.paygate.v1.AuthorizationServiceGrpc;
import dev.paygate.v1.ExtendAuthorizationRequest;
import dev.paygate.v1.GetAccountRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * ExtendAuthorization moves a hold's expire_time later, within {@code paygate.holds.max-lifetime}
 * of its creation (60 s here, holds lasting 10 s), and the hold then lasts exactly until the new
 * time: reads, calls and the expiry sweep agree, to the microsecond.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExtendAuthorizationTest {

    private RunningService service;
    private ManualClock clock;

    @BeforeAll
    void start() {
        service = RunningService.start(TestDatabase.postgres(), Map.of(
                "paygate.test.clock", "manual",
                "paygate.holds.ttl", "10s",
                "paygate.holds.max-lifetime", "60s"));
        clock = service.bean(ManualClock.class);
    }

    @AfterAll
    void stop() throws InterruptedException {
        service.close();
    }

    @Test
    void extendedHold_lastsExactlyUntilTheNewExpireTime_forReadsCallsAndTheSweep() {
        String account = account();
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));
        Instant extendedTo = instant(approved.getCreateTime()).plusSeconds(30);

        Authorization extended = service.authorizations().extendAuthorization(extend(approved, extendedTo));

        assertThat(extended.getState()).isEqualTo(State.APPROVED);
        assertThat(instant(extended.getExpireTime())).isEqualTo(extendedTo);
        assertThat(get(service, approved)).isEqualTo(extended);
        assertThat(events(service, account, "EXTENDED")).isEqualTo(1);

        clock.advance(Duration.between(clock.instant(), extendedTo).minusNanos(1000));
        assertThat(get(service, approved).getState()).as("a microsecond before").isEqualTo(State.APPROVED);
        service.bean(HoldExpiryJob.class).releaseExpiredHolds();
        assertThat(held(account)).as("the sweep a microsecond before releases nothing of it").isEqualTo(40);

        clock.advance(Duration.ofNanos(1000));
        assertThat(get(service, approved).getState()).as("at the new expire_time").isEqualTo(State.EXPIRED);
        StatusRuntimeException late = refused(() -> service.authorizations().captureAuthorization(
                capture(approved.getName())));
        assertThat(StatusDetails.errorInfo(late).orElseThrow().getReason()).isEqualTo("AUTHORIZATION_EXPIRED");
        service.bean(HoldExpiryJob.class).releaseExpiredHolds();
        assertThat(held(account)).isZero();
    }

    @Test
    void extension_pastTheMaximumLifetime_isInvalidArgument_andChangesNothing() {
        String account = account();
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));

        StatusRuntimeException e = refused(() -> service.authorizations().extendAuthorization(
                extend(approved, instant(approved.getCreateTime()).plusSeconds(61))));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(StatusDetails.detail(e, BadRequest.class).orElseThrow().getFieldViolations(0).getField())
                .isEqualTo("expire_time");
        assertThat(get(service, approved)).isEqualTo(approved);
        assertThat(events(service, account, "EXTENDED")).isZero();
    }

    @Test
    void extension_toAnEarlierTime_isInvalidArgument() {
        String account = account();
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));

        StatusRuntimeException e = refused(() -> service.authorizations().extendAuthorization(
                extend(approved, instant(approved.getExpireTime()).minusSeconds(1))));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(get(service, approved)).isEqualTo(approved);
    }

    @Test
    void extension_ofAnExpiredHold_isFailedPrecondition() {
        String account = account();
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));
        clock.advance(Duration.ofSeconds(10));

        StatusRuntimeException e = refused(() -> service.authorizations().extendAuthorization(
                extend(approved, instant(approved.getCreateTime()).plusSeconds(30))));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(StatusDetails.errorInfo(e).orElseThrow().getReason()).isEqualTo("AUTHORIZATION_EXPIRED");
    }

    @Test
    void extension_repeatedWithoutAKey_isAnsweredAsItIs() {
        String account = account();
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));
        ExtendAuthorizationRequest unkeyed = extend(approved, instant(approved.getCreateTime()).plusSeconds(20))
                .toBuilder().clearRequestId().build();
        double extensions = counted(service, "paygate.authorizations.extended");
        Authorization first = service.authorizations().extendAuthorization(unkeyed);

        assertThat(service.authorizations().extendAuthorization(unkeyed)).isEqualTo(first);
        assertThat(events(service, account, "EXTENDED")).isEqualTo(1);
        assertThat(counted(service, "paygate.authorizations.extended")).as("counted once").isEqualTo(extensions + 1);
    }

    @Test
    void extension_ofAnotherOwnersAuthorization_isPermissionDenied() {
        String account = account();
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));
        AuthorizationServiceGrpc.AuthorizationServiceBlockingStub stranger = AuthorizationServiceGrpc.newBlockingStub(
                service.channelAs(TestTokens.token("someone-else", TestTokens.READ, TestTokens.WRITE)))
                .withDeadlineAfter(10, TimeUnit.SECONDS);

        StatusRuntimeException e = refused(() -> stranger.extendAuthorization(
                extend(approved, instant(approved.getCreateTime()).plusSeconds(20))));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(get(service, approved)).isEqualTo(approved);
    }

    private static ExtendAuthorizationRequest extend(Authorization authorization, Instant expireTime) {
        return ExtendAuthorizationRequest.newBuilder().setName(authorization.getName())
                .setExpireTime(Timestamp.newBuilder().setSeconds(expireTime.getEpochSecond())
                        .setNanos(expireTime.getNano()))
                .setRequestId(UUID.randomUUID().toString()).build();
    }

    private static Instant instant(Timestamp timestamp) {
        return Instant.ofEpochSecond(timestamp.getSeconds(), timestamp.getNanos());
    }

    private String account() {
        return service.accounts().createAccount(newAccount(100)).getName();
    }

    private long held(String account) {
        return service.accounts().getAccount(GetAccountRequest.newBuilder().setName(account).build()).getHeld().getUnits();
    }

}
