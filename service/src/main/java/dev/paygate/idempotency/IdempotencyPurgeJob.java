package dev.paygate.idempotency;

import dev.paygate.persistence.Database;
import io.micronaut.scheduling.annotation.Scheduled;
import java.time.Duration;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Deletes idempotency keys past their retention window. Safe to run on every replica at once. */
@Singleton
public class IdempotencyPurgeJob {

    private static final Logger LOG = LoggerFactory.getLogger(IdempotencyPurgeJob.class);

    /** One DELETE by an indexed expiry time; a minute is ample even after a long outage. */
    private static final Duration PURGE_BUDGET = Duration.ofMinutes(1);

    private final Database database;
    private final IdempotencyStore store;

    public IdempotencyPurgeJob(Database database, IdempotencyStore store) {
        this.database = database;
        this.store = store;
    }

    @Scheduled(fixedDelay = "${paygate.idempotency.purge-interval:10m}", initialDelay = "1m")
    public int purge() {
        try {
            int purged = database.withDeadline(PURGE_BUDGET, () -> database.inTransaction(store::purgeExpired));
            if (purged > 0) {
                LOG.info("purged {} expired idempotency keys", purged);
            }
            return purged;
        } catch (RuntimeException e) {
            LOG.warn("idempotency key purge failed; will retry: {}", e.toString());
            return 0;
        }
    }
}
