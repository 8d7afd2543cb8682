package dev.paygate.risk;

import static dev.paygate.testing.Fixtures.authorize;
import static dev.paygate.testing.Fixtures.newAccount;
import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.testing.RunningService;
import dev.paygate.testing.TestDatabase;
import dev.paygate.v1.Account;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.Authorization.DeclineReason;
import dev.paygate.v1.Authorization.State;
import dev.paygate.v1.CreateAuthorizationRequest;
import dev.paygate.v1.GetAccountRequest;
import io.micrometer.core.instrument.Counter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The rollout path of a risk rule, seen through the API: OFF does nothing, SHADOW approves but
 * counts the would-be decline, ENFORCE declines (a result, not an error) and holds nothing.
 */
class RiskRulesModesTest {

    private static final Map<String, RunningService> SERVICES = new HashMap<>();

    /** A service with every rule in {@code mode}: amount max 100, MCC 7995 blocked, 2 per minute. */
    private static synchronized RunningService service(String mode) {
        return SERVICES.computeIfAbsent(mode, m -> RunningService.start(TestDatabase.postgres(), Map.of(
                "paygate.risk.amount-limit.mode", m,
                "paygate.risk.amount-limit.limits", "EUR:100",
                "paygate.risk.blocked-merchant-categories.mode", m,
                "paygate.risk.blocked-merchant-categories.codes", List.of("7995"),
                "paygate.risk.velocity.mode", m,
                "paygate.risk.velocity.max-authorizations", 2,
                "paygate.risk.velocity.window", "1m")));
    }

    @AfterAll
    static void stopServices() throws InterruptedException {
        for (RunningService service : SERVICES.values()) {
            service.close();
        }
        SERVICES.clear();
    }

    private static double shadowDeclines(RunningService service, DeclineReason rule) {
        Counter counter = service.meters().find("paygate.risk.shadow.declines").tag("rule", rule.name()).counter();
        return counter == null ? 0 : counter.count();
    }

    private static Account account(RunningService service, String name) {
        return service.accounts().getAccount(GetAccountRequest.newBuilder().setName(name).build());
    }

    private static CreateAuthorizationRequest authorizeAt(String account, long units, String merchantCategory) {
        CreateAuthorizationRequest request = authorize(account, units);
        return request.toBuilder()
                .setAuthorization(request.getAuthorization().toBuilder().setMerchantCategoryCode(merchantCategory))
                .build();
    }

    @Test
    void amountLimit_inShadowMode_approvesAndCountsWouldBeDecline() {
        RunningService service = service("shadow");
        String account = service.accounts().createAccount(newAccount(1000)).getName();

        Authorization authorization = service.authorizations().createAuthorization(authorize(account, 150));

        assertThat(authorization.getState()).isEqualTo(State.APPROVED);
        assertThat(account(service, account).getHeld().getUnits()).isEqualTo(150);
        assertThat(shadowDeclines(service, DeclineReason.AMOUNT_LIMIT)).isEqualTo(1.0);
    }

    @Test
    void amountLimit_inEnforceMode_declinesWithAmountLimitAndHoldsNothing() {
        RunningService service = service("enforce");
        String account = service.accounts().createAccount(newAccount(1000)).getName();

        Authorization authorization = service.authorizations().createAuthorization(authorize(account, 150));

        assertThat(authorization.getState()).isEqualTo(State.DECLINED);
        assertThat(authorization.getDeclineReason()).isEqualTo(DeclineReason.AMOUNT_LIMIT);
        assertThat(account(service, account).getHeld().getUnits()).isZero();
        assertThat(account(service, account).getAvailable().getUnits()).isEqualTo(1000);
        assertThat(shadowDeclines(service, DeclineReason.AMOUNT_LIMIT)).isZero();
    }

    @Test
    void amountLimit_off_approvesAndCountsNothing() {
        RunningService service = service("off");
        String account = service.accounts().createAccount(newAccount(1000)).getName();

        Authorization authorization = service.authorizations().createAuthorization(authorize(account, 150));

        assertThat(authorization.getState()).isEqualTo(State.APPROVED);
        assertThat(service.meters().find("paygate.risk.shadow.declines").counters()).isEmpty();
    }

    @Test
    void blockedMerchantCategory_inEnforceMode_declinesWithMerchantBlocked() {
        RunningService service = service("enforce");
        String account = service.accounts().createAccount(newAccount(1000)).getName();

        Authorization blocked = service.authorizations().createAuthorization(authorizeAt(account, 10, "7995"));
        Authorization allowed = service.authorizations().createAuthorization(authorizeAt(account, 10, "5411"));

        assertThat(blocked.getState()).isEqualTo(State.DECLINED);
        assertThat(blocked.getDeclineReason()).isEqualTo(DeclineReason.MERCHANT_BLOCKED);
        assertThat(allowed.getState()).isEqualTo(State.APPROVED);
        assertThat(account(service, account).getHeld().getUnits()).isEqualTo(10);
    }

    @Test
    void blockedMerchantCategory_inShadowMode_approvesAndCountsWouldBeDecline() {
        RunningService service = service("shadow");
        String account = service.accounts().createAccount(newAccount(1000)).getName();

        Authorization authorization = service.authorizations().createAuthorization(authorizeAt(account, 10, "7995"));

        assertThat(authorization.getState()).isEqualTo(State.APPROVED);
        assertThat(shadowDeclines(service, DeclineReason.MERCHANT_BLOCKED)).isEqualTo(1.0);
    }

    @Test
    void velocity_inEnforceMode_declinesThirdAuthorizationWithinWindow() {
        RunningService service = service("enforce");
        String account = service.accounts().createAccount(newAccount(1000)).getName();

        Authorization first = service.authorizations().createAuthorization(authorize(account, 10));
        Authorization second = service.authorizations().createAuthorization(authorize(account, 10));
        Authorization third = service.authorizations().createAuthorization(authorize(account, 10));

        assertThat(first.getState()).isEqualTo(State.APPROVED);
        assertThat(second.getState()).isEqualTo(State.APPROVED);
        assertThat(third.getState()).isEqualTo(State.DECLINED);
        assertThat(third.getDeclineReason()).isEqualTo(DeclineReason.VELOCITY_LIMIT);
        assertThat(account(service, account).getHeld().getUnits()).isEqualTo(20);
    }

    @Test
    void velocity_countsPerAccount_otherAccountsAreNotLimited() {
        RunningService service = service("enforce");
        String busy = service.accounts().createAccount(newAccount(1000)).getName();
        String quiet = service.accounts().createAccount(newAccount(1000)).getName();
        service.authorizations().createAuthorization(authorize(busy, 10));
        service.authorizations().createAuthorization(authorize(busy, 10));

        Authorization authorization = service.authorizations().createAuthorization(authorize(quiet, 10));

        assertThat(authorization.getState()).isEqualTo(State.APPROVED);
    }
}
