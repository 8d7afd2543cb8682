package dev.paygate.authorization;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.Timestamp;
import com.google.type.Money;
import dev.paygate.error.ApiException;
import dev.paygate.error.ErrorReason;
import dev.paygate.money.Moneys;
import dev.paygate.v1.Account;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.Authorization.DeclineReason;
import dev.paygate.v1.Authorization.State;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;

/**
 * The lifecycle rules on generated accounts, amounts, states and times: an approval never takes
 * an account over its credit limit, a hold leaves APPROVED only by releasing exactly its amount,
 * and a hold reads EXPIRED exactly from its expire_time on.
 */
class AuthorizationRulesPropertiesTest {

    private static final long MAX_CENTS = 100_000_000_000L;
    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");

    @Property
    void approval_neverTakesHeldPlusCapturedOverTheCreditLimit(
            @ForAll @LongRange(min = 0, max = MAX_CENTS) long limit, @ForAll @LongRange(min = 0, max = MAX_CENTS) long held,
            @ForAll @LongRange(min = 0, max = MAX_CENTS) long captured, @ForAll @LongRange(min = 1, max = MAX_CENTS) long amount)
            throws Exception {
        Assume.that(held + captured <= limit);
        Account account = account(Account.State.OPEN, "EUR", limit, held, captured);

        Optional<DeclineReason> decline = AuthorizationRules.decline(account, eur(amount), Optional::empty);

        assertThat(decline.isEmpty()).isEqualTo(held + amount + captured <= limit);
        decline.ifPresent(reason -> assertThat(reason).isEqualTo(DeclineReason.INSUFFICIENT_FUNDS));
    }

    @Property
    void closedAccountOrAnotherCurrency_isDeclined_withoutAskingTheRiskRules(
            @ForAll("accountStates") Account.State state, @ForAll("currencies") String currency,
            @ForAll @LongRange(min = 1, max = MAX_CENTS) long amount) throws Exception {
        Assume.that(state != Account.State.OPEN || !currency.equals("EUR"));
        Account account = account(state, currency, MAX_CENTS, 0, 0);

        Optional<DeclineReason> decline = AuthorizationRules.decline(account, eur(amount), () -> {
            throw new AssertionError("risk rules asked");
        });

        assertThat(decline).contains(state != Account.State.OPEN
                ? DeclineReason.ACCOUNT_CLOSED : DeclineReason.CURRENCY_MISMATCH);
    }

    @Property
    void riskVerdict_isTheReason_whateverTheFunds(@ForAll("riskReasons") DeclineReason risky,
                                                  @ForAll @LongRange(min = 1, max = MAX_CENTS) long amount) throws Exception {
        Account account = account(Account.State.OPEN, "EUR", MAX_CENTS / 2, 0, 0);

        assertThat(AuthorizationRules.decline(account, eur(amount), () -> Optional.of(risky))).contains(risky);
    }

    @Property
    void capture_releasesExactlyTheHold_andCapturesAtMostIt(
            @ForAll @LongRange(min = 1, max = MAX_CENTS) long authorized,
            @ForAll @LongRange(min = 0, max = MAX_CENTS) long requested, @ForAll boolean partial) {
        Assume.that(!partial || requested <= authorized);
        Authorization hold = stored(State.APPROVED, authorized, NOW.plusSeconds(60));

        AuthorizationRules.Transition capture = AuthorizationRules.capture(hold,
                partial ? Optional.of(eur(requested)) : Optional.empty(), true, NOW).orElseThrow();

        assertThat(capture.state()).isEqualTo(State.CAPTURED);
        assertThat(capture.heldDelta()).isEqualByComparingTo(cents(authorized).negate());
        assertThat(capture.capturedDelta()).isEqualByComparingTo(cents(partial ? requested : authorized));
        assertThat(capture.capturedAmount()).isEqualByComparingTo(capture.capturedDelta());
    }

    @Property
    void capture_ofMoreThanTheHold_isInvalid_andChangesNothing(@ForAll @LongRange(min = 1, max = MAX_CENTS) long authorized,
                                                               @ForAll @LongRange(min = 1, max = MAX_CENTS) long over) {
        Authorization hold = stored(State.APPROVED, authorized, NOW.plusSeconds(60));

        ApiException e = catchThrowableOfType(ApiException.class,
                () -> AuthorizationRules.capture(hold, Optional.of(eur(authorized + over)), true, NOW));

        assertThat(e.code()).isEqualTo(ApiException.Code.INVALID_ARGUMENT);
        assertThat(e.violations()).extracting(ApiException.FieldViolation::field).containsExactly("amount");
    }

    @Property
    void void_releasesExactlyTheHold(@ForAll @LongRange(min = 1, max = MAX_CENTS) long authorized) {
        AuthorizationRules.Transition voided = AuthorizationRules.reverse(
                stored(State.APPROVED, authorized, NOW.plusSeconds(60)), Optional.empty(), false, NOW).orElseThrow();

        assertThat(voided.state()).isEqualTo(State.VOIDED);
        assertThat(voided.heldDelta()).isEqualByComparingTo(cents(authorized).negate());
        assertThat(voided.capturedDelta()).isZero();
        assertThat(voided.capturedAmount()).isNull();
    }

    @Property
    void declinedHold_canBeNeitherCapturedNorVoided(@ForAll boolean capture) {
        Authorization declined = stored(State.DECLINED, 100, NOW.plusSeconds(60));

        ApiException e = catchThrowableOfType(ApiException.class, () -> move(declined, capture, Optional.empty()));

        assertThat(e.code()).isEqualTo(ApiException.Code.FAILED_PRECONDITION);
        assertThat(e.reason()).isEqualTo(ErrorReason.AUTHORIZATION_NOT_APPROVED);
        assertThat(e.metadata()).containsExactlyEntriesOf(Map.of("state", "DECLINED"));
    }

    @Property
    void repeatedVoid_isAnsweredAsDone_andCaptureAfterVoidIsRefused(@ForAll boolean capture) {
        Authorization voided = stored(State.VOIDED, 100, NOW.plusSeconds(60));

        if (capture) {
            ApiException e = catchThrowableOfType(ApiException.class,
                    () -> AuthorizationRules.capture(voided, Optional.empty(), true, NOW));
            assertThat(e.reason()).isEqualTo(ErrorReason.AUTHORIZATION_NOT_APPROVED);
            assertThat(e.metadata()).containsEntry("state", "VOIDED");
        } else {
            assertThat(AuthorizationRules.reverse(voided, Optional.empty(), false, NOW)).isEmpty();
        }
    }

    /**
     * The repeat rule: on a CAPTURED authorization, a capture is answered as done exactly when
     * the whole amount was captured and the request asks for the whole amount; every other capture
     * and every void is refused with the amount that was captured.
     */
    @Property
    void captured_answersARepeatAsDone_onlyWhenItCanMeanNothingElse(
            @ForAll @LongRange(min = 1, max = MAX_CENTS) long authorized, @ForAll @LongRange(min = 0, max = MAX_CENTS) long captured,
            @ForAll("requests") Optional<Long> requested, @ForAll boolean capture) {
        Assume.that(captured <= authorized && requested.orElse(0L) <= authorized);
        Authorization settled = stored(State.CAPTURED, authorized, NOW.minusSeconds(1)).toBuilder()
                .setCapturedAmount(eur(captured)).build();
        boolean repeatOfWhatHappened = capture && captured == authorized && requested.orElse(authorized) == authorized;

        if (repeatOfWhatHappened) {
            assertThat(AuthorizationRules.capture(settled, requested.map(AuthorizationRulesPropertiesTest::eur), true, NOW))
                    .isEmpty();
            return;
        }
        ApiException e = catchThrowableOfType(ApiException.class,
                () -> move(settled, capture, requested.map(AuthorizationRulesPropertiesTest::eur)));
        assertThat(e.code()).isEqualTo(ApiException.Code.FAILED_PRECONDITION);
        assertThat(e.reason()).isEqualTo(ErrorReason.AUTHORIZATION_NOT_APPROVED);
        assertThat(e.metadata()).containsEntry("state", "CAPTURED").containsEntry("currency_code", "EUR");
        assertThat(new BigDecimal(e.metadata().get("captured_amount"))).isEqualByComparingTo(cents(captured));
    }

    private static void move(Authorization authorization, boolean capture, Optional<Money> amount) {
        if (capture) {
            AuthorizationRules.capture(authorization, amount, true, NOW);
        } else {
            AuthorizationRules.reverse(authorization, Optional.empty(), false, NOW);
        }
    }

    @Property
    void holdPastItsExpireTime_canNoLongerMove_releasedOrNot(@ForAll @LongRange(min = 0, max = 1_000_000_000L) long nanosLate,
                                                            @ForAll boolean released, @ForAll boolean capture) {
        Authorization expired = stored(released ? State.EXPIRED : State.APPROVED, 100, NOW.minusNanos(nanosLate));

        ApiException e = catchThrowableOfType(ApiException.class, () -> move(expired, capture, Optional.empty()));

        assertThat(e.reason()).isEqualTo(ErrorReason.AUTHORIZATION_EXPIRED);
        assertThat(e.metadata()).containsEntry("state", State.EXPIRED.name());
    }

    @Property
    void approvedHold_readsExpiredExactlyFromItsExpireTime(@ForAll @LongRange(min = -2_000_000_000L, max = 2_000_000_000L)
                                                          long nanosFromExpiry) {
        Instant expireTime = NOW.plusSeconds(3600);
        Authorization hold = stored(State.APPROVED, 100, expireTime);
        Instant at = expireTime.plusNanos(nanosFromExpiry);

        Authorization seen = AuthorizationRules.asOf(hold, at);

        assertThat(seen.getState()).isEqualTo(nanosFromExpiry >= 0 ? State.EXPIRED : State.APPROVED);
        assertThat(AuthorizationRules.asOf(seen, at)).isEqualTo(seen);
        if (seen.getState() == State.EXPIRED) {
            assertThat(seen.getUpdateTime()).isEqualTo(hold.getExpireTime());
            assertThat(AuthorizationRules.asOf(hold, at.plusSeconds(1)).getState()).isEqualTo(State.EXPIRED);
        }
    }

    @Property
    void settledAuthorization_readsAsStored_atAnyTime(@ForAll("settledStates") State state,
                                                      @ForAll @LongRange(min = -10_000, max = 10_000) long secondsFromNow) {
        Authorization settled = stored(state, 100, NOW);

        assertThat(AuthorizationRules.asOf(settled, NOW.plusSeconds(secondsFromNow))).isEqualTo(settled);
    }

    @Provide
    Arbitrary<Account.State> accountStates() {
        return Arbitraries.of(Account.State.OPEN, Account.State.CLOSED);
    }

    @Provide
    Arbitrary<String> currencies() {
        return Arbitraries.of("EUR", "USD", "JPY", "GBP");
    }

    @Provide
    Arbitrary<DeclineReason> riskReasons() {
        return Arbitraries.of(DeclineReason.AMOUNT_LIMIT, DeclineReason.MERCHANT_BLOCKED, DeclineReason.VELOCITY_LIMIT);
    }

    /** No amount (capture everything), or an amount in cents. */
    @Provide
    Arbitrary<Optional<Long>> requests() {
        return Arbitraries.longs().between(1, MAX_CENTS).optional();
    }

    @Provide
    Arbitrary<State> settledStates() {
        return Arbitraries.of(State.CAPTURED, State.VOIDED, State.DECLINED, State.EXPIRED);
    }

    private static Account account(Account.State state, String currency, long limit, long held, long captured) {
        return Account.newBuilder().setName("accounts/a").setState(state).setCurrencyCode(currency)
                .setCreditLimit(money(limit, currency)).setHeld(money(held, currency))
                .setCaptured(money(captured, currency)).setAvailable(money(limit - held - captured, currency))
                .build();
    }

    /** As the store reads it back; a CAPTURED one captured its whole amount. */
    private static Authorization stored(State state, long cents, Instant expireTime) {
        Authorization.Builder stored = Authorization.newBuilder().setName("accounts/a/authorizations/b").setState(state)
                .setAmount(eur(cents)).setCreateTime(timestamp(NOW.minusSeconds(60)))
                .setUpdateTime(timestamp(NOW.minusSeconds(60))).setExpireTime(timestamp(expireTime));
        if (state == State.CAPTURED) {
            stored.setCapturedAmount(eur(cents));
        }
        return stored.build();
    }

    private static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }

    private static Money eur(long cents) {
        return money(cents, "EUR");
    }

    private static Money money(long cents, String currency) {
        return Moneys.money(cents(cents), currency);
    }

    private static BigDecimal cents(long cents) {
        return BigDecimal.valueOf(cents, 2);
    }
}
