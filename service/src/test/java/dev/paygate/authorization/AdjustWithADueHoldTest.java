package dev.paygate.authorization;

import static dev.paygate.authorization.AuthorizationChecks.balances;
import static dev.paygate.authorization.AuthorizationChecks.counted;
import static dev.paygate.authorization.AuthorizationChecks.events;
import static dev.paygate.authorization.AuthorizationChecks.get;
import static dev.paygate.testing.Fixtures.authorize;
import static dev.paygate.testing.Fixtures.eur;
import static dev.paygate.testing.Fixtures.newAccount;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Timestamp;
import dev.paygate.account.ResourceNames;
import dev.paygate.testing.Fixtures;
import dev.paygate.testing.ManualClock;
import dev.paygate.testing.RunningService;
import dev.paygate.testing.TestDatabase;
import dev.paygate.v1.Account;
import dev.paygate.v1.AdjustAuthorizationRequest;
import dev.paygate.v1.AdjustAuthorizationResponse;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.Authorization.DeclineReason;
import dev.paygate.v1.Authorization.State;
import dev.paygate.v1.ExtendAuthorizationRequest;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * An adjustment up on an account with a hold past its expire_time that no sweep released yet:
 * available credit already leaves the due hold out, so the adjustment must release it before
 * holding more, or an increase that fits only without it breaks accounts_within_limit (INTERNAL).
 */
class AdjustWithADueHoldTest {

    /** Limit 100: A holds 60 and falls due, B holds 30 and was extended past A's expiry. */
    private record Holds(String account, Authorization due, Authorization extended) {
    }

    @Test
    void adjustUp_thatFitsOnlyOnceTheDueHoldIsReleased_releasesItAndHoldsTheIncrease() throws Exception {
        try (RunningService service = start()) {
            Holds holds = oneHoldDue(service);
            AdjustAuthorizationRequest to90 = adjust(holds.extended(), 90);

            AdjustAuthorizationResponse adjusted = service.authorizations().adjustAuthorization(to90);
            AdjustAuthorizationResponse replayed = service.authorizations().adjustAuthorization(to90);

            assertThat(adjusted.getDeclineReason()).isEqualTo(DeclineReason.DECLINE_REASON_UNSPECIFIED);
            assertThat(adjusted.getAuthorization().getAmount()).isEqualTo(eur(90));
            assertThat(replayed).as("a replay answers what the first call did").isEqualTo(adjusted);
            Authorization stored = get(service, holds.extended());
            assertThat(stored.getState()).isEqualTo(State.APPROVED);
            assertThat(stored.getAmount()).isEqualTo(eur(90));
            assertThat(stored.getExpireTime()).isEqualTo(holds.extended().getExpireTime());
            assertThat(expiredInTable(service, holds.due())).isTrue();
            assertThat(storedHeld(service, holds.account())).isEqualTo(90);
            Account account = balances(service, holds.account());
            assertThat(account.getHeld()).isEqualTo(eur(90));
            assertThat(account.getCaptured()).isEqualTo(eur(0));
            assertThat(account.getAvailable()).isEqualTo(eur(10));
            assertThat(events(service, holds.account(), "EXPIRED")).isEqualTo(1);
            assertThat(events(service, holds.account(), "ADJUSTED")).isEqualTo(1);
            assertThat(events(service, holds.account(), "ADJUSTMENT_DECLINED")).isZero();
            assertThat(counted(service, "paygate.holds.expired")).isEqualTo(1.0);
        }
    }

    @Test
    void adjustUp_pastWhatIsLeftAfterReleasingTheDueHold_isDeclinedAndTheHoldIsUntouched() throws Exception {
        try (RunningService service = start()) {
            Holds holds = oneHoldDue(service);

            // 100 - 30 = 70 available once A is out; 80 more does not fit.
            AdjustAuthorizationResponse declined = service.authorizations()
                    .adjustAuthorization(adjust(holds.extended(), 110));

            assertThat(declined.getDeclineReason()).isEqualTo(DeclineReason.INSUFFICIENT_FUNDS);
            assertThat(declined.getAuthorization()).isEqualTo(holds.extended());
            assertThat(get(service, holds.extended())).isEqualTo(holds.extended());
            assertThat(storedHeld(service, holds.account())).as("A released as a create releases it").isEqualTo(30);
            assertThat(balances(service, holds.account()).getAvailable()).isEqualTo(eur(70));
            assertThat(events(service, holds.account(), "EXPIRED")).isEqualTo(1);
            assertThat(events(service, holds.account(), "ADJUSTED")).isZero();
            assertThat(events(service, holds.account(), "ADJUSTMENT_DECLINED")).isEqualTo(1);
        }
    }

    private static RunningService start() {
        return RunningService.start(TestDatabase.postgres(), Map.of(
                "paygate.test.clock", "manual",
                "paygate.holds.ttl", "10s",
                "paygate.holds.max-lifetime", "2h"));
    }

    /** A and B approved, B extended by an hour, the clock past A's expire_time only; no sweep has run. */
    private static Holds oneHoldDue(RunningService service) {
        String account = service.accounts().createAccount(newAccount(100)).getName();
        Authorization due = service.authorizations().createAuthorization(authorize(account, 60));
        Authorization held = service.authorizations().createAuthorization(authorize(account, 30));
        Timestamp later = held.getExpireTime().toBuilder()
                .setSeconds(held.getExpireTime().getSeconds() + Duration.ofHours(1).toSeconds()).build();
        Authorization extended = service.authorizations().extendAuthorization(ExtendAuthorizationRequest.newBuilder()
                .setName(held.getName()).setExpireTime(later).setRequestId(UUID.randomUUID().toString()).build());
        service.bean(ManualClock.class).advance(Duration.ofSeconds(10));
        assertThat(expiredInTable(service, due)).as("no sweep released A").isFalse();
        return new Holds(account, due, extended);
    }

    private static AdjustAuthorizationRequest adjust(Authorization authorization, long units) {
        return AdjustAuthorizationRequest.newBuilder().setName(authorization.getName()).setAmount(eur(units))
                .setRequestId(UUID.randomUUID().toString()).build();
    }

    private static long storedHeld(RunningService service, String account) {
        return Fixtures.count(service.dataSource(), "SELECT held FROM accounts WHERE id = ?",
                Fixtures.accountId(account));
    }

    /** Whether the table says EXPIRED: a read reports a hold past expire_time EXPIRED before any release. */
    private static boolean expiredInTable(RunningService service, Authorization authorization) {
        return Fixtures.count(service.dataSource(),
                "SELECT COUNT(*) FROM authorizations WHERE id = ? AND state = 'EXPIRED'",
                ResourceNames.authorizationId(authorization.getName())) == 1;
    }
}
