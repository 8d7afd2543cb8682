package dev.paygate.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class LedgerTest {

    @Test
    void repliesMatchTheService_isConsistent() {
        Ledger ledger = new Ledger();
        ledger.approved("a", 1);
        ledger.approved("a", 1);
        ledger.captured("a", 1);

        assertThat(ledger.mismatches(Map.of("a", new Ledger.Observed(1, 1)), 1)).isEmpty();
    }

    @Test
    void oneChargeTooMany_withoutAmbiguousWrites_isAMismatch() {
        Ledger ledger = new Ledger();
        ledger.approved("a", 1);

        assertThat(ledger.mismatches(Map.of("a", new Ledger.Observed(2, 0)), 1)).hasSize(1);
    }

    @Test
    void oneExtraHold_isExplainedByOneAmbiguousWrite_butNotTwo() {
        Ledger ledger = new Ledger();
        ledger.approved("a", 1);
        ledger.ambiguous();

        assertThat(ledger.mismatches(Map.of("a", new Ledger.Observed(2, 0)), 1)).isEmpty();
        assertThat(ledger.mismatches(Map.of("a", new Ledger.Observed(4, 0)), 1)).isNotEmpty();
    }

    @Test
    void accountNotReadBack_isAMismatch() {
        Ledger ledger = new Ledger();
        ledger.approved("a", 1);
        ledger.ambiguous();

        assertThat(ledger.mismatches(Map.of(), 1)).containsExactly("a: not read back");
    }
}
