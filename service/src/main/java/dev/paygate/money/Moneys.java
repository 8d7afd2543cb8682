package dev.paygate.money;

import com.google.type.Money;
import dev.paygate.error.ApiException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Currency;

/**
 * Exact conversions between {@code google.type.Money} and BigDecimal (scale 9, as nanos), and the
 * rules every amount obeys: an ISO 4217 currency that has a minor unit, and no finer amount than
 * that unit (0.01 EUR, 1 JPY): nobody can be charged a fraction of a cent.
 */
public final class Moneys {

    public static final int SCALE = 9;

    private Moneys() {
    }

    /**
     * @param field the code's path in the request, for the field violation
     * @throws ApiException INVALID_ARGUMENT unless {@code code} is an ISO 4217 currency with a minor
     *                      unit (funds, metals and "no currency" codes such as XXX have none)
     */
    public static Currency requireCurrency(String code, String field) {
        Currency currency;
        try {
            currency = Currency.getInstance(code);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalidField(field, code + " is not an ISO 4217 currency code");
        }
        if (currency.getDefaultFractionDigits() < 0) {
            throw ApiException.invalidField(field, code + " is not a currency payments can be made in");
        }
        return currency;
    }

    /**
     * @param field the amount's path in the request, for the field violation
     * @throws ApiException INVALID_ARGUMENT for an unknown currency or an amount finer than its minor unit
     */
    public static void requirePayable(Money money, String field) {
        Currency currency = requireCurrency(money.getCurrencyCode(), field + ".currency_code");
        int digits = currency.getDefaultFractionDigits();
        if (amount(money).stripTrailingZeros().scale() > digits) {
            throw ApiException.invalidField(field, money.getCurrencyCode() + " amounts have at most " + digits
                    + " decimal places; " + amount(money).stripTrailingZeros().toPlainString() + " is finer");
        }
    }

    public static BigDecimal amount(Money money) {
        return BigDecimal.valueOf(money.getUnits()).add(BigDecimal.valueOf(money.getNanos(), SCALE)).setScale(SCALE);
    }

    public static Money money(BigDecimal amount, String currencyCode) {
        BigDecimal scaled = amount.setScale(SCALE, RoundingMode.UNNECESSARY);
        BigDecimal units = scaled.setScale(0, RoundingMode.DOWN);
        int nanos = scaled.subtract(units).movePointRight(SCALE).intValueExact();
        return Money.newBuilder()
                .setCurrencyCode(currencyCode)
                .setUnits(units.longValueExact())
                .setNanos(nanos)
                .build();
    }
}
