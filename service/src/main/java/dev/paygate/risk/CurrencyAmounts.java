package dev.paygate.risk;

import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;

/** Amounts per currency, configured as {@code CODE:amount} entries; a currency without one has none. */
final class CurrencyAmounts {

    private CurrencyAmounts() {
    }

    /**
     * @param setting the property's name, for the error message
     * @param entries entries such as {@code EUR:10000}; blank ones are skipped (an empty environment override)
     * @return the entries trimmed, each amount in plain notation
     */
    static List<String> checked(String setting, List<String> entries) {
        if (entries == null) {
            return List.of();
        }
        return entries.stream().filter(entry -> !entry.isBlank()).map(entry -> {
            String[] parts = entry.trim().split(":");
            if (parts.length != 2 || !parts[0].matches("[A-Z]{3}")) {
                throw new IllegalArgumentException(setting + " entries look like EUR:10000, got " + entry);
            }
            return parts[0] + ":" + new BigDecimal(parts[1].trim()).toPlainString();
        }).toList();
    }

    /** The amount of a currency among entries already {@link #checked}. */
    static Optional<BigDecimal> forCurrency(List<String> entries, String currencyCode) {
        for (String entry : entries) {
            if (entry.length() > 4 && entry.startsWith(currencyCode) && entry.charAt(3) == ':') {
                return Optional.of(new BigDecimal(entry.substring(4)));
            }
        }
        return Optional.empty();
    }
}
