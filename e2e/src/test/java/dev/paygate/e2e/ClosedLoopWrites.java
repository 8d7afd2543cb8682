package dev.paygate.e2e;

import io.grpc.Status;
import java.time.Duration;
import java.util.UUID;

/**
 * A closed loop of keyed writes, as payment terminals send them: each client sends one
 * authorization at a time and the next once it has its answer, so slow answers slow the offer down.
 */
final class ClosedLoopWrites extends KeyedWriteLoad {

    ClosedLoopWrites(Edge edge, int clients, int connections, Duration deadline, boolean retryFailedKeys) {
        super(edge, clients, connections, deadline, retryFailedKeys);
    }

    /** Every client starts its loop. */
    void start() {
        begin();
        for (int i = 0; i < accounts().size(); i++) {
            int client = i;
            later(() -> next(client, null), Duration.ZERO);
        }
    }

    private void next(int client, String keyInHand) {
        if (keyInHand == null && !takeNewKey()) {
            return;
        }
        String key = keyInHand != null ? keyInHand : UUID.randomUUID().toString();
        Attempt attempt = send(client, key);
        boolean retry = settle(attempt);
        later(() -> next(client, retry ? key : null), attempt.code() == Status.Code.OK ? Duration.ZERO : BACK_OFF);
    }
}
