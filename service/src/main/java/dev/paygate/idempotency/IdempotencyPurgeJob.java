package dev.paygate.idempotency;

import dev.paygate.fallback.Dependency;
import dev.paygate.fallback.Fallbacks;
import dev.paygate.persistence.Database;
import io.micronaut.scheduling.annotation.Scheduled;
import java.time.Duration;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes idempotency keys past their retention window, in bounded batches (one short transaction
 * each) until none is left or the job's budget is spent. Safe to run on every replica at once.
 */
@Singleton
public class IdempotencyPurgeJob {

    private static final Logger LOG = LoggerFactory.getLogger(IdempotencyPurgeJob.class);

    /** Bounds one run; whatever is left after it goes on the next run. */
    private static final Duration PURGE_BUDGET = Duration.ofMinutes(1);

    private final Database database;
    private final IdempotencyStore store;
    private final IdempotencyProperties properties;
    private final Fallbacks fallbacks;

    public IdempotencyPurgeJob(Database database, IdempotencyStore store, IdempotencyProperties properties,
                               Fallbacks fallbacks) {
        this.database = database;
        this.store = store;
        this.properties = properties;
        this.fallbacks = fallbacks;
    }

    @Scheduled(fixedDelay = "${paygate.idempotency.purge-interval:10m}", initialDelay = "1m")
    public int purge() {
        int batchSize = properties.purgeBatchSize();
        int purged = 0;
        try {
            purged = database.withDeadline(PURGE_BUDGET, () -> {
                int total = 0;
                int batch;
                do {
                    batch = database.inTransaction(tx -> store.purgeExpired(tx, batchSize));
                    total += batch;
                } while (batch == batchSize);
                return total;
            });
        } catch (RuntimeException e) {
            fallbacks.record(Dependency.IDEMPOTENCY_PURGE, Dependency.Decision.DEFER);
            LOG.warn("idempotency key purge stopped; the next run continues: {}", e.toString());
        }
        if (purged > 0) {
            LOG.info("purged {} expired idempotency keys", purged);
        }
        return purged;
    }
}
