package dev.paygate.risk;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;

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

    /** Declines a single payment above {@code max} (in the account's currency units). */
    @ConfigurationProperties("amount-limit")
    public static class AmountLimit {
        private RuleMode mode = RuleMode.OFF;
        private BigDecimal max = new BigDecimal("10000");

        public RuleMode getMode() {
            return mode;
        }

        public void setMode(RuleMode mode) {
            this.mode = mode;
        }

        public BigDecimal getMax() {
            return max;
        }

        public void setMax(BigDecimal max) {
            this.max = max;
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
