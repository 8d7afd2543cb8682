package dev.paygate.risk;

import java.math.BigDecimal;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Amounts per currency, configured as {@code CODE:amount} entries; a currency without one has none. */
final class CurrencyAmounts {

    static final CurrencyAmounts NONE = new CurrencyAmounts(Map.of());

    private final Map<String, BigDecimal> amounts;

    private CurrencyAmounts(Map<String, BigDecimal> amounts) {
        this.amounts = amounts;
    }

    /**
     * @param setting the property's name, for the error message
     * @param entries entries such as {@code EUR:10000}; blank ones are skipped
     */
    static CurrencyAmounts parse(String setting, List<String> entries) {
        Map<String, BigDecimal> parsed = new HashMap<>();
        for (String entry : entries) {
            if (entry.isBlank()) {
                continue;  // an empty environment override: no entries
            }
            String[] parts = entry.trim().split(":");
            if (parts.length != 2 || !parts[0].matches("[A-Z]{3}")) {
                throw new IllegalArgumentException(setting + " entries look like EUR:10000, got " + entry);
            }
            parsed.put(parts[0], new BigDecimal(parts[1].trim()));
        }
        return new CurrencyAmounts(Map.copyOf(parsed));
    }

    Optional<BigDecimal> forCurrency(String currencyCode) {
        return Optional.ofNullable(amounts.get(currencyCode));
    }

    List<String> entries() {
        return amounts.entrySet().stream().map(e -> e.getKey() + ":" + e.getValue().toPlainString()).sorted().toList();
    }
}
