package dev.paygate.risk;

import com.google.type.Money;
import dev.paygate.fallback.Dependency;
import dev.paygate.fallback.Fallbacks;
import dev.paygate.money.Moneys;
import dev.paygate.v1.Authorization.DeclineReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;
import java.math.BigDecimal;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Evaluates the configurable risk rules for one payment. A rule in SHADOW mode never declines:
 * it counts what it would have declined ({@code paygate.risk.shadow.declines}) and logs examples
 * ({@link ShadowDeclineLog}), which is how a new threshold is tried on live traffic before it is
 * enforced. The velocity rule's count is the one rule that asks the database; what happens when
 * it cannot answer in time is {@link #velocityUnanswered}.
 */
@Singleton
public class RiskRules {

    private final RiskProperties properties;
    private final MeterRegistry meters;
    /** {@code paygate.risk.shadow.declines{rule}}, kept once registered: a lookup per decline built tags and an id. */
    private final Map<DeclineReason, Counter> shadowDeclines = new ConcurrentHashMap<>();
    private final ShadowDeclineLog shadowLog;
    private final Fallbacks fallbacks;

    public RiskRules(RiskProperties properties, MeterRegistry meters, Fallbacks fallbacks, Clock clock) {
        this.properties = properties;
        this.meters = meters;
        this.fallbacks = fallbacks;
        this.shadowLog = new ShadowDeclineLog(clock);
    }

    /**
     * The reason the first enforced failing rule gives, or empty to approve as far as risk goes.
     *
     * @param authorizationsWithin counts the account's authorizations within a window ending now;
     *                             only called when the velocity rule is on
     * @throws SQLException from the count, as the database reported it (a timeout stays a timeout)
     */
    public Optional<DeclineReason> evaluate(String account, Money payment, String merchantCategoryCode,
                                            AuthorizationCount authorizationsWithin) throws SQLException {
        RiskProperties.AmountLimit amountLimit = properties.amountLimit();
        BigDecimal amount = Moneys.amount(payment);
        Optional<BigDecimal> limit = amountLimit.limitFor(payment.getCurrencyCode());
        if (amountLimit.mode() != RuleMode.OFF && limit.isPresent() && amount.compareTo(limit.get()) > 0
                && enforce(amountLimit.mode(), DeclineReason.AMOUNT_LIMIT, account,
                () -> "amount " + amount.stripTrailingZeros().toPlainString() + " " + payment.getCurrencyCode()
                        + " > " + limit.get().toPlainString())) {
            return Optional.of(DeclineReason.AMOUNT_LIMIT);
        }
        RiskProperties.BlockedMerchantCategories blocked = properties.blockedMerchantCategories();
        if (blocked.mode() != RuleMode.OFF && blocked.codes().contains(merchantCategoryCode)
                && enforce(blocked.mode(), DeclineReason.MERCHANT_BLOCKED, account,
                () -> "merchant category " + merchantCategoryCode + " is blocked")) {
            return Optional.of(DeclineReason.MERCHANT_BLOCKED);
        }
        RiskProperties.Velocity velocity = properties.velocity();
        if (velocity.mode() != RuleMode.OFF) {
            Optional<Integer> counted = authorizationsWithin.within(velocity.window(),
                    velocity.maxAuthorizations(), velocity.budget());
            if (counted.isEmpty()) {
                return velocityUnanswered(velocity, amount, payment.getCurrencyCode());
            }
            int recent = counted.get();
            if (recent >= velocity.maxAuthorizations()
                    && enforce(velocity.mode(), DeclineReason.VELOCITY_LIMIT, account,
                    () -> "at least " + recent + " authorizations within " + velocity.window())) {
                return Optional.of(DeclineReason.VELOCITY_LIMIT);
            }
        }
        return Optional.empty();
    }

    /**
     * The velocity count did not answer within its budget. Fail closed: an enforced rule declines,
     * except below the currency's stand-in amount, which only an operator sets; a shadow rule
     * never declines. Each is counted as a fallback of {@link Dependency#RISK_VELOCITY}.
     */
    private Optional<DeclineReason> velocityUnanswered(RiskProperties.Velocity velocity, BigDecimal amount,
                                                      String currencyCode) {
        if (velocity.mode() == RuleMode.SHADOW) {
            fallbacks.record(Dependency.RISK_VELOCITY, Dependency.Decision.SHADOW);
            return Optional.empty();
        }
        Optional<BigDecimal> standIn = velocity.standInLimitFor(currencyCode);
        if (standIn.isPresent() && amount.compareTo(standIn.get()) < 0) {
            fallbacks.record(Dependency.RISK_VELOCITY, Dependency.Decision.APPROVE_STAND_IN);
            return Optional.empty();
        }
        fallbacks.record(Dependency.RISK_VELOCITY, Dependency.Decision.DECLINE);
        return Optional.of(DeclineReason.RISK_UNAVAILABLE);
    }

    /**
     * Counts an account's authorizations within a window ending now, in the caller's transaction,
     * stopping at {@code atMost}: the rule needs to know only whether the limit is reached, and a
     * capped count costs the same however many authorizations the window holds. Empty when the
     * count could not answer within {@code limit}; the transaction is then as it was before.
     */
    @FunctionalInterface
    public interface AuthorizationCount {
        Optional<Integer> within(Duration window, int atMost, Duration limit) throws SQLException;
    }

    /** In shadow mode counts and maybe logs; the reason's text is built only for a line that is logged. */
    private boolean enforce(RuleMode mode, DeclineReason reason, String account, Supplier<String> why) {
        if (mode == RuleMode.ENFORCE) {
            return true;
        }
        Counter counter = shadowDeclines.get(reason);
        if (counter == null) {
            counter = shadowDeclines.computeIfAbsent(reason,
                    rule -> meters.counter("paygate.risk.shadow.declines", "rule", rule.name()));
        }
        counter.increment();
        shadowLog.record(reason, account, why);
        return false;
    }
}
