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
            limits = limits == null ? List.of() : limits.stream().map(AmountLimit::checked).toList();
        }

        /** The limit for a currency, if one is configured. */
        public Optional<BigDecimal> limitFor(String currencyCode) {
            String prefix = currencyCode + ":";
            return limits.stream().filter(entry -> entry.startsWith(prefix)).findFirst()
                    .map(entry -> new BigDecimal(entry.substring(prefix.length())));
        }

        private static String checked(String entry) {
            String[] parts = entry.trim().split(":");
            if (parts.length != 2 || !parts[0].matches("[A-Z]{3}")) {
                throw new IllegalArgumentException("paygate.risk.amount-limit.limits entries look like EUR:10000, got " + entry);
            }
            return parts[0] + ":" + new BigDecimal(parts[1].trim()).toPlainString();
        }
    }

    /** Declines an account's payment once it made {@code maxAuthorizations} within {@code window}. */
    @ConfigurationProperties("velocity")
    public record Velocity(RuleMode mode, @Bindable(defaultValue = "20") int maxAuthorizations,
                           @Bindable(defaultValue = "1m") Duration window) {

        public Velocity {
            mode = mode == null ? RuleMode.OFF : mode;
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
