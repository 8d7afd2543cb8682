package dev.paygate.risk;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
        private Map<String, BigDecimal> limits = Map.of();

        public RuleMode getMode() {
            return mode;
        }

        public void setMode(RuleMode mode) {
            this.mode = mode;
        }

        /** The limit for a currency, if one is configured. */
        public Optional<BigDecimal> limitFor(String currencyCode) {
            return Optional.ofNullable(limits.get(currencyCode));
        }

        public List<String> getLimits() {
            return limits.entrySet().stream().map(e -> e.getKey() + ":" + e.getValue().toPlainString()).toList();
        }

        /** @param limits entries such as {@code EUR:10000} */
        public void setLimits(List<String> limits) {
            Map<String, BigDecimal> parsed = new HashMap<>();
            for (String entry : limits) {
                String[] parts = entry.trim().split(":");
                if (parts.length != 2 || !parts[0].matches("[A-Z]{3}")) {
                    throw new IllegalArgumentException(
                            "paygate.risk.amount-limit.limits entries look like EUR:10000, got " + entry);
                }
                parsed.put(parts[0], new BigDecimal(parts[1].trim()));
            }
            this.limits = Map.copyOf(parsed);
        }
    }

    /** Declines an account's payment once it made {@code maxAuthorizations} within {@code window}. */
    @ConfigurationProperties("velocity")
    public static class Velocity {
        private RuleMode mode = RuleMode.OFF;
        private int maxAuthorizations = 20;
        private Duration window = Duration.ofMinutes(1);

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
