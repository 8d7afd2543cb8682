package dev.paygate.authorization;

import com.google.type.Money;
import dev.paygate.account.Accounts;
import dev.paygate.error.ApiException;
import dev.paygate.error.ErrorReason;
import dev.paygate.money.Moneys;
import dev.paygate.v1.Account;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.Authorization.DeclineReason;
import dev.paygate.v1.Authorization.State;
import java.math.BigDecimal;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The lifecycle of an authorization as pure functions of what is stored and the time: whether a
 * payment is declined and why, what a capture or a void does, and the state a reader sees now.
 * No SQL and no clock here; {@code AuthorizationRulesPropertiesTest} checks them on generated cases.
 */
final class AuthorizationRules {

    /**
     * What a capture or void does: the authorization's new state and captured amount (null for a
     * void), and what the account's held and captured balances change by.
     */
    record Transition(State state, BigDecimal capturedAmount, BigDecimal heldDelta, BigDecimal capturedDelta) {
    }

    /** The risk rules' verdict, asked for only when the cheaper checks pass (it may read the database). */
    @FunctionalInterface
    interface RiskCheck {
        Optional<DeclineReason> evaluate() throws SQLException;
    }

    private AuthorizationRules() {
    }

    /**
     * Why a payment of {@code amount} on {@code account} is declined, or empty to approve it. The
     * checks run in this order, and the first that fails gives the reason: the account is open, the
     * payment is in its currency, the risk rules pass, the amount fits the available credit. So an
     * approval never takes held + captured above the credit limit.
     */
    static Optional<DeclineReason> decline(Account account, Money amount, RiskCheck risk) throws SQLException {
        if (account.getState() != Account.State.OPEN) {
            return Optional.of(DeclineReason.ACCOUNT_CLOSED);
        }
        if (!amount.getCurrencyCode().equals(account.getCurrencyCode())) {
            return Optional.of(DeclineReason.CURRENCY_MISMATCH);
        }
        Optional<DeclineReason> risky = risk.evaluate();
        if (risky.isPresent()) {
            return risky;
        }
        if (Moneys.amount(amount).compareTo(Accounts.available(account)) > 0) {
            return Optional.of(DeclineReason.INSUFFICIENT_FUNDS);
        }
        return Optional.empty();
    }

    /**
     * Captures {@code current}: the whole amount, or {@code amount} of it. The whole hold is
     * released and only the captured part moves to captured.
     *
     * @throws ApiException FAILED_PRECONDITION unless APPROVED and unexpired at {@code now};
     *                      INVALID_ARGUMENT for another currency or more than was authorized
     */
    static Transition capture(Authorization current, Optional<Money> amount, Instant now) {
        requireApproved(current, now, "captured");
        BigDecimal authorized = Moneys.amount(current.getAmount());
        BigDecimal captured = authorized;
        if (amount.isPresent()) {
            if (!amount.get().getCurrencyCode().equals(current.getAmount().getCurrencyCode())) {
                throw ApiException.invalidField("amount.currency_code",
                        "must be the authorization's currency " + current.getAmount().getCurrencyCode());
            }
            captured = Moneys.amount(amount.get());
            if (captured.compareTo(authorized) > 0) {
                throw ApiException.invalidField("amount", "must not exceed the authorized amount "
                        + authorized.stripTrailingZeros().toPlainString());
            }
        }
        return new Transition(State.CAPTURED, captured, authorized.negate(), captured);
    }

    /**
     * Voids {@code current}, releasing its whole hold.
     *
     * @throws ApiException FAILED_PRECONDITION unless APPROVED and unexpired at {@code now}
     */
    static Transition voidHold(Authorization current, Instant now) {
        requireApproved(current, now, "voided");
        return new Transition(State.VOIDED, null, Moneys.amount(current.getAmount()).negate(), BigDecimal.ZERO);
    }

    /** Only an APPROVED hold moves on, once; expired reads the same whether or not a sweep released it yet. */
    private static void requireApproved(Authorization current, Instant now, String verb) {
        if (asOf(current, now).getState() == State.EXPIRED) {
            throw ApiException.failedPrecondition(ErrorReason.AUTHORIZATION_EXPIRED,
                    current.getName() + " expired at its expire_time and can no longer be " + verb,
                    Map.of("state", State.EXPIRED.name()));
        }
        if (current.getState() != State.APPROVED) {
            throw ApiException.failedPrecondition(ErrorReason.AUTHORIZATION_NOT_APPROVED,
                    current.getName() + " is " + current.getState() + "; only an APPROVED authorization can be " + verb,
                    Map.of("state", current.getState().name()));
        }
    }

    /** The authorization as a reader sees it at {@code now}: an APPROVED hold past its expire_time is EXPIRED. */
    static Authorization asOf(Authorization stored, Instant now) {
        if (stored.getState() != State.APPROVED || !isExpired(stored, now)) {
            return stored;
        }
        return stored.toBuilder().setState(State.EXPIRED).setUpdateTime(stored.getExpireTime()).build();
    }

    /** Whether the hold's expire_time has passed at {@code now}, to the nanosecond (not just the whole second). */
    private static boolean isExpired(Authorization authorization, Instant now) {
        Instant expireTime = Instant.ofEpochSecond(authorization.getExpireTime().getSeconds(),
                authorization.getExpireTime().getNanos());
        return !expireTime.isAfter(now);
    }
}
