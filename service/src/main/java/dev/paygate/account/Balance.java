package dev.paygate.account;

import java.math.BigDecimal;

/** An account's held and captured amounts as stored (holds past expiry count until released). */
public record Balance(BigDecimal held, BigDecimal captured) {

    public Balance plus(BigDecimal heldDelta, BigDecimal capturedDelta) {
        return new Balance(held.add(heldDelta), captured.add(capturedDelta));
    }
}
