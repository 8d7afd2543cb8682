package dev.paygate.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.type.Money;
import dev.paygate.v1.AuthorizationEvent;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventLedgerTest {

    private static final String ACCOUNT = "accounts/a";

    @Test
    void amountsEqualTheEventsSum_isConsistent() {
        // Approve 5, approve 3, capture 2 of the first (the final capture releases its other 3).
        List<AuthorizationEvent> events = List.of(
                event(1, 0, 5, 0, 0),
                event(2, 5, 8, 0, 0),
                event(3, 8, 3, 0, 2));

        assertThat(EventLedger.mismatches(ACCOUNT, eur(3, 0), eur(2, 0), events)).isEmpty();
    }

    @Test
    void heldOneUnitAboveTheEventsSum_isAMismatch() {
        List<AuthorizationEvent> events = List.of(event(1, 0, 5, 0, 0), event(2, 5, 8, 0, 0));

        assertThat(EventLedger.mismatches(ACCOUNT, eur(9, 0), eur(0, 0), events))
                .containsExactly("accounts/a: held 9 captured 0, its 2 events add up to held 8 captured 0");
    }

    @Test
    void capturedHalfAUnitOff_isAMismatch() {
        List<AuthorizationEvent> events = List.of(event(1, 0, 5, 0, 0), event(2, 5, 0, 0, 5));

        assertThat(EventLedger.mismatches(ACCOUNT, eur(0, 0), eur(5, 500_000_000), events)).hasSize(1);
    }

    @Test
    void aMissingEvent_isAMismatchEvenWhenTheLastAmountsAgree() {
        // Event 2 (approve 3) is missing: 3 then starts from held 8, which the events before it do not reach.
        List<AuthorizationEvent> events = List.of(event(1, 0, 5, 0, 0), event(3, 8, 3, 0, 2));

        assertThat(EventLedger.mismatches(ACCOUNT, eur(3, 0), eur(2, 0), events))
                .anyMatch(line -> line.contains("event 2 is sequence 3"))
                .anyMatch(line -> line.contains("starts from held 8"));
    }

    @Test
    void noEvents_andNothingHeld_isConsistent() {
        assertThat(EventLedger.mismatches(ACCOUNT, eur(0, 0), eur(0, 0), List.of())).isEmpty();
    }

    private static AuthorizationEvent event(long sequence, long heldBefore, long heldAfter, long capturedBefore,
                                            long capturedAfter) {
        return AuthorizationEvent.newBuilder().setSequence(sequence)
                .setHeldBefore(eur(heldBefore, 0)).setHeldAfter(eur(heldAfter, 0))
                .setCapturedBefore(eur(capturedBefore, 0)).setCapturedAfter(eur(capturedAfter, 0)).build();
    }

    private static Money eur(long units, int nanos) {
        return Money.newBuilder().setCurrencyCode("EUR").setUnits(units).setNanos(nanos).build();
    }
}
