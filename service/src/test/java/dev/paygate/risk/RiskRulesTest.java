package dev.paygate.risk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paygate.fallback.Fallbacks;
import dev.paygate.money.Moneys;
import dev.paygate.v1.Authorization.DeclineReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.math.BigDecimal;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The rules on their own: what each mode returns and counts. */
class RiskRulesTest {

    private static final String ACCOUNT = "accounts/00000000-0000-0000-0000-000000000001";
    private static final Duration BUDGET = Duration.ofMillis(200);

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final AtomicInteger velocityLookups = new AtomicInteger();
    // Each test sets the modes it needs, then its first evaluation builds the rules.
    private RuleMode amountLimit = RuleMode.OFF;
    private RuleMode velocity = RuleMode.OFF;
    private RuleMode blockedCategories = RuleMode.OFF;
    private List<String> velocityStandIn = List.of();
    private RiskRules rules;

    private RiskRules rules() {
        if (rules == null) {
            rules = new RiskRules(new RiskProperties(
                    new RiskProperties.AmountLimit(amountLimit, List.of("EUR:100", " JPY: 15000")),
                    new RiskProperties.Velocity(velocity, 2, Duration.ofMinutes(1), BUDGET, velocityStandIn),
                    new RiskProperties.BlockedMerchantCategories(blockedCategories, List.of("7995"))),
                    meters, new Fallbacks(meters), Clock.systemUTC());
        }
        return rules;
    }

    private java.util.Optional<DeclineReason> evaluate(String amount, String merchantCategory, int recent) {
        return evaluate(amount, "EUR", merchantCategory, recent);
    }

    private java.util.Optional<DeclineReason> evaluate(String amount, String currency, String merchantCategory,
                                                       int recent) {
        try {
            return rules().evaluate(ACCOUNT, Moneys.money(new BigDecimal(amount), currency), merchantCategory, (window, atMost, limit) -> {
                assertThat(window).isEqualTo(Duration.ofMinutes(1));
                assertThat(atMost).as("the count stops at the limit").isEqualTo(2);
                assertThat(limit).isEqualTo(BUDGET);
                velocityLookups.incrementAndGet();
                return Optional.of(recent);
            });
        } catch (SQLException e) {
            throw new AssertionError("the count does not fail here", e);
        }
    }

    @Test
    void evaluate_amountLimit_isPerCurrency() {
        amountLimit = RuleMode.ENFORCE;

        assertThat(evaluate("150", "JPY", "5411", 0)).as("150 JPY is about one euro").isEmpty();
        assertThat(evaluate("15001", "JPY", "5411", 0)).contains(DeclineReason.AMOUNT_LIMIT);
        assertThat(evaluate("150", "EUR", "5411", 0)).contains(DeclineReason.AMOUNT_LIMIT);
        assertThat(evaluate("1000000", "SEK", "5411", 0)).as("no SEK limit configured").isEmpty();
    }

    @Test
    void evaluate_velocityCountTimesOutInShadowMode_passesTheDatabaseErrorOnUnchanged() {
        velocity = RuleMode.SHADOW;
        SQLTimeoutException timeout = new SQLTimeoutException("canceling statement due to statement timeout", "57014");

        // Not wrapped into a generic failure (that became INTERNAL): the transaction maps the
        // timeout by its cause, to DEADLINE_EXCEEDED once the call's deadline has passed.
        assertThatThrownBy(() -> rules().evaluate(ACCOUNT, Moneys.money(BigDecimal.TEN, "EUR"), "5411", (window, atMost, limit) -> {
            throw timeout;
        })).isSameAs(timeout);
    }

    private java.util.Optional<DeclineReason> evaluateUnanswered(String amount, String currency) throws SQLException {
        return rules().evaluate(ACCOUNT, Moneys.money(new BigDecimal(amount), currency), "5411",
                (window, atMost, limit) -> Optional.empty());
    }

    private double fallbacks(String decision) {
        Counter counter = meters.find("paygate.fallback").tag("dependency", "risk_velocity")
                .tag("decision", decision).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void evaluate_velocityEnforcedCannotAnswer_declinesRiskUnavailable_byDefault() throws SQLException {
        velocity = RuleMode.ENFORCE;

        assertThat(evaluateUnanswered("0.01", "EUR")).contains(DeclineReason.RISK_UNAVAILABLE);
        assertThat(fallbacks("decline")).isEqualTo(1.0);
        assertThat(fallbacks("approve_stand_in")).isZero();
    }

    @Test
    void evaluate_velocityEnforcedCannotAnswer_withStandIn_approvesOnlyBelowItsAmount() throws SQLException {
        velocity = RuleMode.ENFORCE;
        velocityStandIn = List.of("EUR:50");

        assertThat(evaluateUnanswered("49.99", "EUR")).isEmpty();
        assertThat(evaluateUnanswered("50", "EUR")).contains(DeclineReason.RISK_UNAVAILABLE);
        assertThat(evaluateUnanswered("1", "USD")).as("no stand-in for USD").contains(DeclineReason.RISK_UNAVAILABLE);
        assertThat(fallbacks("approve_stand_in")).isEqualTo(1.0);
        assertThat(fallbacks("decline")).isEqualTo(2.0);
    }

    @Test
    void evaluate_velocityShadowCannotAnswer_approvesAndCountsIt() throws SQLException {
        velocity = RuleMode.SHADOW;

        assertThat(evaluateUnanswered("5000", "EUR")).isEmpty();
        assertThat(fallbacks("shadow")).isEqualTo(1.0);
    }

    private double shadowDeclines(DeclineReason rule) {
        Counter counter = meters.find("paygate.risk.shadow.declines").tag("rule", rule.name()).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void evaluate_amountAboveMaxEnforced_declinesWithAmountLimit() {
        amountLimit = RuleMode.ENFORCE;

        assertThat(evaluate("100.000000001", "5411", 0)).contains(DeclineReason.AMOUNT_LIMIT);
        assertThat(shadowDeclines(DeclineReason.AMOUNT_LIMIT)).isZero();
    }

    @Test
    void evaluate_amountEqualToMaxEnforced_approves() {
        amountLimit = RuleMode.ENFORCE;

        assertThat(evaluate("100", "5411", 0)).isEmpty();
    }

    @Test
    void evaluate_velocityInShadowOnEveryPayment_countsEachWouldBeDecline() {
        velocity = RuleMode.SHADOW;

        for (int i = 0; i < 500; i++) {
            assertThat(evaluate("10", "5411", 2)).isEmpty();
        }

        assertThat(shadowDeclines(DeclineReason.VELOCITY_LIMIT)).as("logged as examples, counted in full")
                .isEqualTo(500.0);
    }

    @Test
    void evaluate_amountAboveMaxInShadow_approvesAndCountsWouldBeDecline() {
        amountLimit = RuleMode.SHADOW;

        assertThat(evaluate("150", "5411", 0)).isEmpty();
        assertThat(shadowDeclines(DeclineReason.AMOUNT_LIMIT)).isEqualTo(1.0);
    }

    @Test
    void evaluate_allRulesOff_approvesCountsNothingAndNeverCountsAuthorizations() {
        assertThat(evaluate("1000000", "7995", 99)).isEmpty();

        assertThat(meters.find("paygate.risk.shadow.declines").counters()).isEmpty();
        assertThat(velocityLookups).hasValue(0);
    }

    @Test
    void evaluate_blockedMerchantCategoryEnforced_declinesWithMerchantBlocked() {
        blockedCategories = RuleMode.ENFORCE;

        assertThat(evaluate("10", "7995", 0)).contains(DeclineReason.MERCHANT_BLOCKED);
        assertThat(evaluate("10", "5411", 0)).isEmpty();
    }

    @Test
    void evaluate_velocityEnforced_declinesOnceRecentAuthorizationsReachMax() {
        velocity = RuleMode.ENFORCE;

        assertThat(evaluate("10", "5411", 1)).isEmpty();
        assertThat(evaluate("10", "5411", 2)).contains(DeclineReason.VELOCITY_LIMIT);
        assertThat(velocityLookups).hasValue(2);
    }

    @Test
    void evaluate_shadowRuleFailing_doesNotStopALaterEnforcedRule() {
        amountLimit = RuleMode.SHADOW;
        blockedCategories = RuleMode.ENFORCE;

        assertThat(evaluate("150", "7995", 0)).contains(DeclineReason.MERCHANT_BLOCKED);
        assertThat(shadowDeclines(DeclineReason.AMOUNT_LIMIT)).isEqualTo(1.0);
    }
}
