package dev.paygate.risk;

import com.google.type.Money;
import dev.paygate.money.Moneys;
import dev.paygate.v1.Authorization.DeclineReason;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;
import java.math.BigDecimal;
import java.sql.SQLException;
import java.util.Optional;
import java.time.Clock;
import java.time.Duration;

/**
 * Evaluates the configurable risk rules for one payment. A rule in SHADOW mode never declines:
 * it counts what it would have declined ({@code paygate.risk.shadow.declines}) and logs examples
 * ({@link ShadowDeclineLog}), which is how a new threshold is tried on live traffic before it is
 * enforced.
 */
@Singleton
public class RiskRules {

    private final RiskProperties properties;
    private final MeterRegistry meters;
    private final ShadowDeclineLog shadowLog;

    public RiskRules(RiskProperties properties, MeterRegistry meters, Clock clock) {
        this.properties = properties;
        this.meters = meters;
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
                "amount " + amount.stripTrailingZeros().toPlainString() + " " + payment.getCurrencyCode()
                        + " > " + limit.get().toPlainString())) {
            return Optional.of(DeclineReason.AMOUNT_LIMIT);
        }
        RiskProperties.BlockedMerchantCategories blocked = properties.blockedMerchantCategories();
        if (blocked.mode() != RuleMode.OFF && blocked.codes().contains(merchantCategoryCode)
                && enforce(blocked.mode(), DeclineReason.MERCHANT_BLOCKED, account,
                "merchant category " + merchantCategoryCode + " is blocked")) {
            return Optional.of(DeclineReason.MERCHANT_BLOCKED);
        }
        RiskProperties.Velocity velocity = properties.velocity();
        if (velocity.mode() != RuleMode.OFF) {
            int recent = authorizationsWithin.within(velocity.window(), velocity.maxAuthorizations());
            if (recent >= velocity.maxAuthorizations()
                    && enforce(velocity.mode(), DeclineReason.VELOCITY_LIMIT, account,
                    "at least " + recent + " authorizations within " + velocity.window())) {
                return Optional.of(DeclineReason.VELOCITY_LIMIT);
            }
        }
        return Optional.empty();
    }

    /**
     * Counts an account's authorizations within a window ending now, in the caller's transaction,
     * stopping at {@code atMost}: the rule needs to know only whether the limit is reached, and a
     * capped count costs the same however many authorizations the window holds.
     */
    @FunctionalInterface
    public interface AuthorizationCount {
        int within(Duration window, int atMost) throws SQLException;
    }

    private boolean enforce(RuleMode mode, DeclineReason reason, String account, String why) {
        if (mode == RuleMode.ENFORCE) {
            return true;
        }
        meters.counter("paygate.risk.shadow.declines", "rule", reason.name()).increment();
        shadowLog.record(reason, account, why);
        return false;
    }
}
