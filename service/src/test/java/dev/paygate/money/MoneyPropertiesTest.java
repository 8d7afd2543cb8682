package dev.paygate.money;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import build.buf.protovalidate.Validator;
import build.buf.protovalidate.ValidatorFactory;
import build.buf.protovalidate.exceptions.ValidationException;
import com.google.type.Money;
import dev.paygate.error.ApiException;
import dev.paygate.v1.Account;
import dev.paygate.v1.Authorization;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Currency;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * Properties of money as the service computes and validates it: google.type.Money and BigDecimal
 * convert into each other exactly (no rounding, ever), sums of amounts are exact, an amount is
 * payable exactly when it is no finer than its currency's minor unit, and the contract's
 * protovalidate rules accept exactly the amounts the comments promise.
 */
class MoneyPropertiesTest {

    private static final long MAX_UNITS = 1_000_000_000_000L;
    private final Validator validator = ValidatorFactory.newBuilder().build();

    @Property
    void moneyToAmountAndBack_isTheSameMoney(@ForAll("nonNegativeMoney") Money money) {
        assertThat(Moneys.money(Moneys.amount(money), money.getCurrencyCode())).isEqualTo(money);
    }

    @Property
    void amountToMoneyAndBack_isTheSameAmount(@ForAll @LongRange(min = -MAX_UNITS, max = MAX_UNITS) long units,
                                              @ForAll @IntRange(min = 0, max = 999_999_999) int nanos) {
        BigDecimal amount = BigDecimal.valueOf(units).add(BigDecimal.valueOf(nanos, Moneys.SCALE));

        Money money = Moneys.money(amount, "EUR");

        assertThat(Moneys.amount(money)).isEqualByComparingTo(amount);
        // units and nanos carry the same sign, as google.type.Money requires
        assertThat(Long.signum(money.getUnits()) * Integer.signum(money.getNanos())).isGreaterThanOrEqualTo(0);
        assertThat(Math.abs(money.getNanos())).isLessThan(1_000_000_000);
    }

    @Property
    void sumsOfAmounts_areExact(@ForAll("nonNegativeMoneyList") List<Money> amounts) {
        BigDecimal total = amounts.stream().map(Moneys::amount).reduce(BigDecimal.ZERO, BigDecimal::add);
        // The same sum counted in whole nanos, with integers only.
        BigInteger nanos = amounts.stream()
                .map(m -> BigInteger.valueOf(m.getUnits()).multiply(BigInteger.TEN.pow(Moneys.SCALE)).add(BigInteger.valueOf(m.getNanos())))
                .reduce(BigInteger.ZERO, BigInteger::add);

        assertThat(total.movePointRight(Moneys.SCALE).toBigIntegerExact()).isEqualTo(nanos);
        assertThat(Moneys.amount(Moneys.money(total, "EUR"))).isEqualByComparingTo(total);
    }

    @Property
    void aFractionFinerThanANano_isRefused_neverRounded(@ForAll @LongRange(min = 0, max = MAX_UNITS) long units,
                                                       @ForAll @IntRange(min = 1, max = 9) int extraDigit) {
        BigDecimal tooFine = BigDecimal.valueOf(units).add(BigDecimal.valueOf(extraDigit, Moneys.SCALE + 1));

        assertThatThrownBy(() -> Moneys.money(tooFine, "EUR")).isInstanceOf(ArithmeticException.class);
    }

    @Property
    void authorizationAmount_isValidExactlyWhenPositiveWellFormedAndAtMost1e12(
            @ForAll @LongRange(min = -10, max = MAX_UNITS + 10) long units,
            @ForAll @IntRange(min = -1_000_000_000, max = 1_000_000_000) int nanos,
            @ForAll("currencies") String currency) throws ValidationException {
        Authorization authorization = Authorization.newBuilder()
                .setAmount(Money.newBuilder().setCurrencyCode(currency).setUnits(units).setNanos(nanos))
                .setMerchantId("m")
                .setMerchantCategoryCode("5411")
                .build();
        boolean wellFormed = currency.matches("^[A-Z]{3}$") && nanos >= 0 && nanos < 1_000_000_000;
        boolean positive = units > 0 || (units == 0 && nanos > 0);

        boolean valid = validator.validate(authorization).isSuccess();

        assertThat(valid).as("%s %d.%09d", currency, units, nanos).isEqualTo(wellFormed && positive && units <= MAX_UNITS);
    }

    @Property
    void creditLimit_isValidExactlyWhenNonNegativeWellFormedAndAtMost1e12(
            @ForAll @LongRange(min = -10, max = MAX_UNITS + 10) long units,
            @ForAll @IntRange(min = -1_000_000_000, max = 1_000_000_000) int nanos) throws ValidationException {
        Account account = Account.newBuilder()
                .setCurrencyCode("EUR")
                .setCreditLimit(Money.newBuilder().setCurrencyCode("EUR").setUnits(units).setNanos(nanos))
                .build();
        boolean expected = units >= 0 && nanos >= 0 && nanos < 1_000_000_000 && units <= MAX_UNITS;

        assertThat(validator.validate(account).isSuccess()).as("%d.%09d", units, nanos).isEqualTo(expected);
    }

    @Property
    void anAmount_isPayableExactlyWhenNoFinerThanItsCurrencysMinorUnit(
            @ForAll("currenciesWithAMinorUnit") Currency currency,
            @ForAll @LongRange(min = 0, max = MAX_UNITS) long units,
            @ForAll("nanos") int nanos) {
        Money money = Money.newBuilder().setCurrencyCode(currency.getCurrencyCode()).setUnits(units).setNanos(nanos).build();
        // 2 digits (EUR): nanos a multiple of 10^7; 0 digits (JPY): no nanos; 3 digits (BHD): of 10^6.
        boolean whole = nanos % BigInteger.TEN.pow(Moneys.SCALE - currency.getDefaultFractionDigits()).intValueExact() == 0;

        if (whole) {
            Moneys.requirePayable(money, "amount");
        } else {
            assertThatThrownBy(() -> Moneys.requirePayable(money, "amount"))
                    .isInstanceOf(ApiException.class).hasMessageContaining("decimal places");
        }
    }

    @Property
    void aCodeWithoutAMinorUnitOrUnknown_isNoPayableCurrency(@ForAll("unpayableCodes") String code) {
        Money money = Money.newBuilder().setCurrencyCode(code).setUnits(1).build();

        assertThatThrownBy(() -> Moneys.requirePayable(money, "amount")).isInstanceOf(ApiException.class);
    }

    @Provide
    Arbitrary<Currency> currenciesWithAMinorUnit() {
        return Arbitraries.of(Currency.getAvailableCurrencies().stream()
                .filter(c -> c.getDefaultFractionDigits() >= 0 && c.getDefaultFractionDigits() <= Moneys.SCALE).toList());
    }

    @Provide
    Arbitrary<String> unpayableCodes() {
        return Arbitraries.oneOf(
                Arbitraries.of(Currency.getAvailableCurrencies().stream()
                        .filter(c -> c.getDefaultFractionDigits() < 0).map(Currency::getCurrencyCode).toList()),
                Arbitraries.strings().withCharRange('A', 'Z').ofLength(3)
                        .filter(code -> Currency.getAvailableCurrencies().stream().noneMatch(c -> c.getCurrencyCode().equals(code))));
    }

    @Provide
    Arbitrary<Integer> nanos() {
        // Round values (whole cents, whole units) are rare at random; mix them in on purpose.
        return Arbitraries.oneOf(Arbitraries.integers().between(0, 999_999_999),
                Arbitraries.integers().between(0, 99).map(cents -> cents * 10_000_000),
                Arbitraries.integers().between(0, 999).map(mills -> mills * 1_000_000),
                Arbitraries.just(0));
    }

    @Provide
    Arbitrary<Money> nonNegativeMoney() {
        return Combinators.combine(
                        Arbitraries.longs().between(0, MAX_UNITS),
                        Arbitraries.integers().between(0, 999_999_999),
                        currencies().filter(c -> c.matches("^[A-Z]{3}$")))
                .as((units, nanos, currency) -> Money.newBuilder()
                        .setUnits(units).setNanos(nanos).setCurrencyCode(currency).build());
    }

    @Provide
    Arbitrary<List<Money>> nonNegativeMoneyList() {
        return nonNegativeMoney().list().ofMaxSize(50);
    }

    @Provide
    Arbitrary<String> currencies() {
        return Arbitraries.oneOf(Arbitraries.of("EUR", "USD", "JPY"),
                Arbitraries.strings().withCharRange('A', 'Z').ofLength(3),
                Arbitraries.of("eur", "EU", "EURO", "", "E1R"));
    }
}
