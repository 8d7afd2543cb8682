package dev.paygate.risk;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The risk rules' flags and thresholds ({@code paygate.risk.*}). */
@ConfigurationProperties("paygate.risk")
public class RiskProperties {

    private AmountLimit amountLimit = new AmountLimit();
    private Velocity velocity = new Velocity();
    private BlockedMerchantCategories blockedMerchantCategories = new BlockedMerchantCategories();

    public AmountLimit getAmountLimit() {
        return amountLimit;
    }

    public void setAmountLimit(AmountLimit amountLimit) {
        this.amountLimit = amountLimit;
    }

    public Velocity getVelocity() {
        return velocity;
    }

    public void setVelocity(Velocity velocity) {
        this.velocity = velocity;
    }

    public BlockedMerchantCategories getBlockedMerchantCategories() {
        return blockedMerchantCategories;
    }

    public void setBlockedMerchantCategories(BlockedMerchantCategories blockedMerchantCategories) {
        this.blockedMerchantCategories = blockedMerchantCategories;
    }

    /**
     * Declines a single payment above its currency's limit. Limits are per currency (10 000 EUR and
     * 10 000 JPY are not the same risk), written {@code CODE:amount}; a currency without a limit
     * is not limited by this rule.
     */
    @ConfigurationProperties("amount-limit")
    public static class AmountLimit {
        private RuleMode mode = RuleMode.OFF;
        private CurrencyAmounts limits = CurrencyAmounts.NONE;

        public RuleMode getMode() {
            return mode;
        }

        public void setMode(RuleMode mode) {
            this.mode = mode;
        }

        /** The limit for a currency, if one is configured. */
        public Optional<BigDecimal> limitFor(String currencyCode) {
            return limits.forCurrency(currencyCode);
        }

        public List<String> getLimits() {
            return limits.entries();
        }

        /** @param limits entries such as {@code EUR:10000} */
        public void setLimits(List<String> limits) {
            this.limits = CurrencyAmounts.parse("paygate.risk.amount-limit.limits", limits);
        }
    }

    /**
     * Declines an account's payment once it made {@code maxAuthorizations} within {@code window}.
     * Its count must answer within {@code budget}; when it cannot, an enforced rule declines
     * (RISK_UNAVAILABLE), unless the payment is below the currency's
     * {@code unsafeApproveUnansweredBelow} amount: an operator's explicit stand-in, none by default.
     */
    @ConfigurationProperties("velocity")
    public static class Velocity {
        private RuleMode mode = RuleMode.OFF;
        private int maxAuthorizations = 20;
        private Duration window = Duration.ofMinutes(1);
        private Duration budget = Duration.ofMillis(200);
        private CurrencyAmounts unsafeApproveUnansweredBelow = CurrencyAmounts.NONE;

        public RuleMode getMode() {
            return mode;
        }

        public void setMode(RuleMode mode) {
            this.mode = mode;
        }

        public int getMaxAuthorizations() {
            return maxAuthorizations;
        }

        public void setMaxAuthorizations(int maxAuthorizations) {
            this.maxAuthorizations = maxAuthorizations;
        }

        public Duration getWindow() {
            return window;
        }

        public void setWindow(Duration window) {
            this.window = window;
        }

        public Duration getBudget() {
            return budget;
        }

        public void setBudget(Duration budget) {
            if (budget.isNegative() || budget.isZero()) {
                throw new IllegalArgumentException("paygate.risk.velocity.budget must be positive, got " + budget);
            }
            this.budget = budget;
        }

        /** Below this amount an unanswered count approves instead of declining; empty: it never does. */
        public Optional<BigDecimal> standInLimitFor(String currencyCode) {
            return unsafeApproveUnansweredBelow.forCurrency(currencyCode);
        }

        public List<String> getUnsafeApproveUnansweredBelow() {
            return unsafeApproveUnansweredBelow.entries();
        }

        /** @param amounts entries such as {@code EUR:50} */
        public void setUnsafeApproveUnansweredBelow(List<String> amounts) {
            this.unsafeApproveUnansweredBelow = CurrencyAmounts.parse(
                    "paygate.risk.velocity.unsafe-approve-unanswered-below", amounts);
        }
    }

    /** Declines payments to the listed ISO 18245 merchant category codes. */
    @ConfigurationProperties("blocked-merchant-categories")
    public static class BlockedMerchantCategories {
        private RuleMode mode = RuleMode.OFF;
        private List<String> codes = List.of();

        public RuleMode getMode() {
            return mode;
        }

        public void setMode(RuleMode mode) {
            this.mode = mode;
        }

        public List<String> getCodes() {
            return codes;
        }

        public void setCodes(List<String> codes) {
            this.codes = codes;
        }
    }
}
