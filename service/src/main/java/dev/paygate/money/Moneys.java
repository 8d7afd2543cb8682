package dev.paygate.money;

import com.google.type.Money;
import java.math.BigDecimal;
import java.math.RoundingMode;

/** Exact conversions between {@code google.type.Money} and BigDecimal (scale 9, as nanos). */
public final class Moneys {

    public static final int SCALE = 9;

    private Moneys() {
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
