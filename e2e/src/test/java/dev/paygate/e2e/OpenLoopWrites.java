package dev.paygate.e2e;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An open loop of keyed writes: new keys arrive at a fixed rate, to the accounts in turn, whatever
 * the answers do, so several can be in flight on one account.
 */
final class OpenLoopWrites extends KeyedWriteLoad {

    OpenLoopWrites(Edge edge, int accounts, int connections, Duration deadline, boolean retryFailedKeys) {
        super(edge, accounts, connections, deadline, retryFailedKeys);
    }

    /**
     * A new key every {@code 1 / perSecond} s, on async calls, so slow answers do not slow the
     * offer down (a late tick of the timer catches up at once).
     */
    void start(double perSecond) {
        begin();
        AtomicLong issued = new AtomicLong();
        clients().scheduleAtFixedRate(() -> {
            if (takeNewKey()) {
                offer((int) (issued.getAndIncrement() % accounts().size()), UUID.randomUUID().toString());
            }
        }, 0, (long) (1e9 / perSecond), TimeUnit.NANOSECONDS);
    }

    private void offer(int client, String key) {
        sendAsync(client, key, attempt -> {
            if (settle(attempt)) {
                later(() -> offer(client, key), BACK_OFF);
            }
        });
    }
}
