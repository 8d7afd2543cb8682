package dev.paygate.risk;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The risk rules' flags and thresholds ({@code paygate.risk.*}); a rule without a mode is off. */
@ConfigurationProperties("paygate.risk")
public record RiskProperties(AmountLimit amountLimit, Velocity velocity,
                             BlockedMerchantCategories blockedMerchantCategories) {

    /**
     * Declines a single payment above its currency's limit. Limits are per currency (10 000 EUR and
     * 10 000 JPY are not the same risk), written {@code CODE:amount}; a currency without a limit
     * is not limited by this rule.
     *
     * @param limits entries such as {@code EUR:10000}, checked and trimmed when bound
     */
    @ConfigurationProperties("amount-limit")
    public record AmountLimit(RuleMode mode, List<String> limits) {

        public AmountLimit {
            mode = mode == null ? RuleMode.OFF : mode;
            limits = CurrencyAmounts.checked("paygate.risk.amount-limit.limits", limits);
        }

        /** The limit for a currency, if one is configured. */
        public Optional<BigDecimal> limitFor(String currencyCode) {
            return CurrencyAmounts.forCurrency(limits, currencyCode);
        }
    }

    /**
     * Declines an account's payment once it made {@code maxAuthorizations} within {@code window}.
     * Its count must answer within {@code budget}; when it cannot, an enforced rule declines
     * (RISK_UNAVAILABLE), unless the payment is below the currency's
     * {@code unsafeApproveUnansweredBelow} amount: an operator's explicit stand-in, none by default.
     */
    @ConfigurationProperties("velocity")
    public record Velocity(RuleMode mode, @Bindable(defaultValue = "20") int maxAuthorizations,
                           @Bindable(defaultValue = "1m") Duration window,
                           @Bindable(defaultValue = "200ms") Duration budget,
                           List<String> unsafeApproveUnansweredBelow) {

        public Velocity {
            mode = mode == null ? RuleMode.OFF : mode;
            if (budget.isNegative() || budget.isZero()) {
                throw new IllegalArgumentException("paygate.risk.velocity.budget must be positive, got " + budget);
            }
            unsafeApproveUnansweredBelow = CurrencyAmounts.checked(
                    "paygate.risk.velocity.unsafe-approve-unanswered-below", unsafeApproveUnansweredBelow);
        }

        /** Below this amount an unanswered count approves instead of declining; empty: it never does. */
        public Optional<BigDecimal> standInLimitFor(String currencyCode) {
            return CurrencyAmounts.forCurrency(unsafeApproveUnansweredBelow, currencyCode);
        }
    }

    /** Declines payments to the listed ISO 18245 merchant category codes. */
    @ConfigurationProperties("blocked-merchant-categories")
    public record BlockedMerchantCategories(RuleMode mode, List<String> codes) {

        public BlockedMerchantCategories {
            mode = mode == null ? RuleMode.OFF : mode;
            codes = codes == null ? List.of() : List.copyOf(codes);
        }
    }
}
