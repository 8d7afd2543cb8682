package dev.paygate.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the benchmark's replies say each account must hold and have captured, to check against
 * the service afterwards: nothing lost, nothing charged twice. A write whose reply was an error
 * may or may not have committed (a timeout after the commit); those are counted as ambiguous,
 * and the check allows at most that many extra units, so the check stays exact when there were
 * no errors.
 */
final class Ledger {

    /** Expected units per account. */
    private static final class Entry {
        final AtomicLong held = new AtomicLong();
        final AtomicLong captured = new AtomicLong();
    }

    /** What the service reported for one account. */
    record Observed(long heldUnits, long capturedUnits) {
    }

    private final Map<String, Entry> accounts = new ConcurrentHashMap<>();
    private final AtomicLong approved = new AtomicLong();
    private final AtomicLong ambiguous = new AtomicLong();

    void approved(String account, long units) {
        entry(account).held.addAndGet(units);
        approved.incrementAndGet();
    }

    void captured(String account, long units) {
        entry(account).held.addAndGet(-units);
        entry(account).captured.addAndGet(units);
    }

    void voided(String account, long units) {
        entry(account).held.addAndGet(-units);
    }

    /** A write that failed on the client's side of the wire: it may still have committed. */
    void ambiguous() {
        ambiguous.incrementAndGet();
    }

    List<String> accounts() {
        return new ArrayList<>(accounts.keySet());
    }

    long approvedCount() {
        return approved.get();
    }

    long ambiguousCount() {
        return ambiguous.get();
    }

    /**
     * Differences between what the replies promised and what the service holds; empty when
     * consistent. Without ambiguous writes every account must match exactly; each ambiguous write
     * can explain one amount held or captured (or moved between the two) beyond the replies.
     */
    List<String> mismatches(Map<String, Observed> observed, long unitsPerWrite) {
        List<String> differing = new ArrayList<>();
        long unexplained = 0;
        for (Map.Entry<String, Entry> account : accounts.entrySet()) {
            Observed seen = observed.get(account.getKey());
            if (seen == null) {
                differing.add(account.getKey() + ": not read back");
                unexplained = Long.MAX_VALUE / 2;
                continue;
            }
            long held = account.getValue().held.get();
            long captured = account.getValue().captured.get();
            long difference = Math.abs(seen.heldUnits() - held) + Math.abs(seen.capturedUnits() - captured);
            if (difference != 0) {
                differing.add(account.getKey() + ": held " + seen.heldUnits() + " captured " + seen.capturedUnits()
                        + ", replies say held " + held + " captured " + captured);
                unexplained += difference;
            }
        }
        return unexplained > 2 * ambiguous.get() * unitsPerWrite ? differing : List.of();
    }

    private Entry entry(String account) {
        return accounts.computeIfAbsent(account, ignored -> new Entry());
    }
}
