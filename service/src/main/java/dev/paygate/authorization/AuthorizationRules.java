package dev.paygate.authorization;

import com.google.protobuf.Timestamp;
import com.google.type.Money;
import dev.paygate.account.Accounts;
import dev.paygate.error.ApiException;
import dev.paygate.error.ErrorReason;
import dev.paygate.money.Moneys;
import dev.paygate.v1.Account;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.Authorization.DeclineReason;
import dev.paygate.v1.Authorization.State;
import dev.paygate.v1.AuthorizationEvent;
import java.math.BigDecimal;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Optional;

/**
 * The lifecycle of an authorization as pure functions of what is stored and the time: whether a
 * payment is declined and why, what a capture, a reversal (a void included), an adjustment or an
 * extension does, and the state a reader sees now. No SQL and no clock here; {@code AuthorizationRulesPropertiesTest} checks them on generated cases.
 *
 * <p>A final capture or void repeated without an idempotency key (its first answer lost) is recognised
 * where the repeat can mean only what already happened, and answered with the authorization as it
 * is: a void of a VOIDED authorization, and a full capture (no amount, or the whole amount) of one
 * whose whole amount was captured. Anything else on an authorization that is no longer APPROVED,
 * a repeated partial capture included, is FAILED_PRECONDITION saying what it is now.
 */
final class AuthorizationRules {

    /**
     * What a capture, reversal or extension does: the event that records it, the authorization's
     * new state, amount, captured amount (null: nothing captured) and expire_time, and what the
     * account's held and captured balances change by.
     */
    record Transition(AuthorizationEvent.Type event, State state, BigDecimal amount, BigDecimal capturedAmount,
                      BigDecimal heldDelta, BigDecimal capturedDelta, OffsetDateTime expireTime) {
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
     * Captures {@code amount} of {@code current} (empty: all it has not captured yet) and moves it
     * from held to captured. A final capture (asked for, or one that reaches the authorized amount)
     * makes it CAPTURED and releases the rest of its hold; any other leaves it APPROVED, holding
     * what is still uncaptured. So the parts never add up to more than the authorized amount, and
     * held + captured for the authorization never grows. Empty when this is a repeat of a full
     * capture that happened: the whole amount is captured, and the request asks for the whole amount.
     *
     * @throws ApiException FAILED_PRECONDITION unless APPROVED and unexpired at {@code now}, or for
     *                      more than the uncaptured remainder; INVALID_ARGUMENT for another
     *                      currency or more than was authorized
     */
    static Optional<Transition> capture(Authorization current, Optional<Money> amount, boolean finalCapture,
                                        Instant now) {
        BigDecimal authorized = Moneys.amount(current.getAmount());
        boolean whole = amount.isEmpty() || (amount.get().getCurrencyCode().equals(current.getAmount().getCurrencyCode())
                && Moneys.amount(amount.get()).compareTo(authorized) == 0);
        if (whole && current.getState() == State.CAPTURED
                && Moneys.amount(current.getCapturedAmount()).compareTo(authorized) == 0) {
            return Optional.empty();
        }
        requireApproved(current, now, "captured");
        BigDecimal before = capturedSoFar(current);
        BigDecimal remainder = authorized.subtract(before);
        BigDecimal part = remainder;
        if (amount.isPresent()) {
            if (!amount.get().getCurrencyCode().equals(current.getAmount().getCurrencyCode())) {
                throw ApiException.invalidField("amount.currency_code",
                        "must be the authorization's currency " + current.getAmount().getCurrencyCode());
            }
            part = Moneys.amount(amount.get());
            if (part.compareTo(authorized) > 0) {
                throw ApiException.invalidField("amount", "must not exceed the authorized amount " + plain(authorized));
            }
            requireWithinRemainder(current, part, "capture");
        }
        BigDecimal after = before.add(part);
        if (finalCapture || after.compareTo(authorized) == 0) {
            return Optional.of(new Transition(AuthorizationEvent.Type.CAPTURED, State.CAPTURED, authorized, after,
                    remainder.negate(), part, expireTime(current)));
        }
        return Optional.of(new Transition(AuthorizationEvent.Type.CAPTURED, State.APPROVED, authorized, after,
                part.negate(), part, expireTime(current)));
    }

    /**
     * Reverses {@code amount} of what {@code current} still holds (empty: all of it). All of it
     * voids the authorization, releasing the whole remainder; a part lowers its amount by that
     * much and leaves it APPROVED. Empty when it is already VOIDED and the request is for all:
     * a void says nothing but which authorization, so a repeat can only mean the void that
     * happened.
     *
     * @param keyed whether the call has an idempotency key: a partial reversal needs one, as its
     *              repeat without one could not be told from a second reversal
     * @throws ApiException FAILED_PRECONDITION unless APPROVED (or VOIDED) and unexpired at
     *                      {@code now}, or for more than the remainder; INVALID_ARGUMENT for
     *                      another currency, or a part without a key
     */
    static Optional<Transition> reverse(Authorization current, Optional<Money> amount, boolean keyed, Instant now) {
        if (amount.isEmpty() && current.getState() == State.VOIDED) {
            return Optional.empty();
        }
        requireApproved(current, now, amount.isEmpty() ? "voided" : "reversed");
        BigDecimal authorized = Moneys.amount(current.getAmount());
        BigDecimal remainder = held(current);
        BigDecimal capturedAmount = current.hasCapturedAmount() ? capturedSoFar(current) : null;
        if (amount.isPresent()) {
            if (!amount.get().getCurrencyCode().equals(current.getAmount().getCurrencyCode())) {
                throw ApiException.invalidField("amount.currency_code",
                        "must be the authorization's currency " + current.getAmount().getCurrencyCode());
            }
            BigDecimal part = Moneys.amount(amount.get());
            requireWithinRemainder(current, part, "reverse");
            if (part.compareTo(remainder) < 0) {
                if (!keyed) {
                    throw ApiException.invalidField("request_id", "is required to reverse part of the remainder"
                            + " (or send an idempotency-key): a repeat without one cannot be told from a second reversal");
                }
                return Optional.of(new Transition(AuthorizationEvent.Type.REVERSED, State.APPROVED,
                        authorized.subtract(part), capturedAmount, part.negate(), BigDecimal.ZERO, expireTime(current)));
            }
        }
        return Optional.of(new Transition(AuthorizationEvent.Type.VOIDED, State.VOIDED, authorized, capturedAmount,
                remainder.negate(), BigDecimal.ZERO, expireTime(current)));
    }

    /**
     * Whether an adjustment to {@code amount} asks for what {@code current} already is: an APPROVED,
     * unexpired authorization of that amount. Its repeat without a key is answered as it is.
     */
    static boolean isAdjustedTo(Authorization current, Money amount, Instant now) {
        return asOf(current, now).getState() == State.APPROVED
                && amount.getCurrencyCode().equals(current.getAmount().getCurrencyCode())
                && Moneys.amount(amount).compareTo(Moneys.amount(current.getAmount())) == 0;
    }

    /**
     * Refuses an adjustment of {@code current} to {@code amount} unless it is APPROVED, unexpired
     * and nothing of it is captured, in its currency, and below {@code maxAdjustments} made.
     */
    static void requireAdjustable(Authorization current, Money amount, long adjustmentsMade, int maxAdjustments,
                                  Instant now) {
        if (!amount.getCurrencyCode().equals(current.getAmount().getCurrencyCode())) {
            throw ApiException.invalidField("amount.currency_code",
                    "must be the authorization's currency " + current.getAmount().getCurrencyCode());
        }
        requireApproved(current, now, "adjusted");
        if (current.hasCapturedAmount()) {
            throw ApiException.failedPrecondition(ErrorReason.AUTHORIZATION_CAPTURED_IN_PART,
                    current.getName() + " has " + plain(capturedSoFar(current)) + " "
                            + current.getAmount().getCurrencyCode() + " captured; only an uncaptured authorization"
                            + " can be adjusted (reverse part of it instead)",
                    Map.of("state", State.APPROVED.name(), "captured_amount", plain(capturedSoFar(current)),
                            "currency_code", current.getAmount().getCurrencyCode()));
        }
        if (adjustmentsMade >= maxAdjustments) {
            throw ApiException.failedPrecondition(ErrorReason.AUTHORIZATION_ADJUSTMENT_LIMIT,
                    current.getName() + " took its " + maxAdjustments + " adjustments; it can take no more",
                    Map.of("max_adjustments", Integer.toString(maxAdjustments)));
        }
    }

    /** Refuses {@code part} when it is more than what {@code current} still holds, saying what it holds. */
    private static void requireWithinRemainder(Authorization current, BigDecimal part, String verb) {
        BigDecimal remainder = held(current);
        if (part.compareTo(remainder) > 0) {
            String currency = current.getAmount().getCurrencyCode();
            BigDecimal captured = capturedSoFar(current);
            throw ApiException.failedPrecondition(ErrorReason.AUTHORIZATION_REMAINDER_EXCEEDED,
                    current.getName() + " has " + plain(remainder) + " " + currency + " not captured yet ("
                            + plain(captured) + " of " + plain(Moneys.amount(current.getAmount()))
                            + " captured); cannot " + verb + " " + plain(part),
                    Map.of("state", State.APPROVED.name(), "captured_amount", plain(captured),
                            "remaining_amount", plain(remainder), "currency_code", currency));
        }
    }

    /**
     * Extends {@code current} to {@code requested} (to the microsecond, as stored). Empty when it
     * already expires then: a repeat of the extension, answered as it is.
     *
     * @throws ApiException FAILED_PRECONDITION unless APPROVED and unexpired at {@code now};
     *                      INVALID_ARGUMENT unless later than the current expire_time and at most
     *                      {@code maxLifetime} after create_time
     */
    static Optional<Transition> extend(Authorization current, Timestamp requested, Duration maxLifetime, Instant now) {
        OffsetDateTime expireTime = OffsetDateTime.ofInstant(
                Instant.ofEpochSecond(requested.getSeconds(), requested.getNanos()).truncatedTo(ChronoUnit.MICROS),
                ZoneOffset.UTC);
        if (asOf(current, now).getState() == State.APPROVED && expireTime.isEqual(expireTime(current))) {
            return Optional.empty();
        }
        requireApproved(current, now, "extended");
        if (!expireTime.isAfter(expireTime(current))) {
            throw ApiException.invalidField("expire_time", "must be later than the current expire_time "
                    + expireTime(current));
        }
        OffsetDateTime latest = OffsetDateTime.ofInstant(Instant.ofEpochSecond(current.getCreateTime().getSeconds(),
                current.getCreateTime().getNanos()), ZoneOffset.UTC).plus(maxLifetime);
        if (expireTime.isAfter(latest)) {
            throw ApiException.invalidField("expire_time", "must be at most " + maxLifetime.toDays()
                    + " days after create_time, " + latest);
        }
        return Optional.of(new Transition(AuthorizationEvent.Type.EXTENDED, State.APPROVED,
                Moneys.amount(current.getAmount()),
                current.hasCapturedAmount() ? capturedSoFar(current) : null, BigDecimal.ZERO, BigDecimal.ZERO,
                expireTime));
    }

    /** The authorization's expire_time as stored. */
    static OffsetDateTime expireTime(Authorization current) {
        return OffsetDateTime.ofInstant(Instant.ofEpochSecond(current.getExpireTime().getSeconds(),
                current.getExpireTime().getNanos()), ZoneOffset.UTC);
    }

    /** What an APPROVED authorization holds: its amount less what was captured of it so far. */
    static BigDecimal held(Authorization current) {
        return Moneys.amount(current.getAmount()).subtract(capturedSoFar(current));
    }

    private static BigDecimal capturedSoFar(Authorization current) {
        return current.hasCapturedAmount() ? Moneys.amount(current.getCapturedAmount()) : BigDecimal.ZERO;
    }

    private static String plain(BigDecimal amount) {
        return amount.stripTrailingZeros().toPlainString();
    }

    /**
     * Only an APPROVED hold moves on, once; expired reads the same whether or not a sweep released
     * it yet. The refusal says what the authorization is now, and for a CAPTURED one how much was
     * captured, so that a client whose first answer was lost can tell whether its capture happened.
     * A partial capture is not recognised as its own repeat: "capture 30" again may be a retry or a
     * mistaken second capture, and answering it as done would tell the second that 30 more moved.
     */
    private static void requireApproved(Authorization current, Instant now, String verb) {
        if (asOf(current, now).getState() == State.EXPIRED) {
            throw ApiException.failedPrecondition(ErrorReason.AUTHORIZATION_EXPIRED,
                    current.getName() + " expired at its expire_time and can no longer be " + verb,
                    Map.of("state", State.EXPIRED.name()));
        }
        if (current.getState() == State.CAPTURED) {
            String captured = Moneys.amount(current.getCapturedAmount()).stripTrailingZeros().toPlainString();
            String currency = current.getCapturedAmount().getCurrencyCode();
            throw ApiException.failedPrecondition(ErrorReason.AUTHORIZATION_NOT_APPROVED,
                    current.getName() + " is CAPTURED (" + captured + " " + currency + " of "
                            + plain(Moneys.amount(current.getAmount()))
                            + "); nothing is captured after the final capture, and only a repeat of a full capture"
                            + " is answered as done;"
                            + " it can no longer be " + verb,
                    Map.of("state", State.CAPTURED.name(), "captured_amount", captured, "currency_code", currency));
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
