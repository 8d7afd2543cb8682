package dev.paygate.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** {@code --history N}: one account loaded with N authorizations before the plan, to show writes stay flat. */
final class HistoryLoad {

    private HistoryLoad() {
    }

    /** Gives the history account {@code count} keyed authorizations, 32 at a time, straight to the service. */
    static ObjectNode load(PaygateClient direct, RunAccounts accounts, Ledger ledger, int count)
            throws InterruptedException {
        System.err.println("bench: loading " + count + " authorizations onto " + accounts.withHistory());
        var call = Operation.CREATE_AFTER_HISTORY.bind(direct, accounts, ledger);
        java.util.concurrent.Semaphore outstanding = new java.util.concurrent.Semaphore(32);
        java.util.concurrent.atomic.AtomicLong failed = new java.util.concurrent.atomic.AtomicLong();
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            outstanding.acquire();
            call.get().whenComplete((reply, failure) -> {
                if (failure != null || !reply.isOk()) {
                    failed.incrementAndGet();
                }
                outstanding.release();
            });
        }
        outstanding.acquire(32);
        ObjectNode history = new ObjectMapper().createObjectNode();
        history.put("account", accounts.withHistory());
        history.put("authorizations_loaded", count);
        history.put("failed", failed.get());
        history.put("load_seconds", Report.round((System.nanoTime() - start) / 1e9));
        return history;
    }
}
