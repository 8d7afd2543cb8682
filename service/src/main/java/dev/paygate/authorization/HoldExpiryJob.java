package dev.paygate.authorization;

import dev.paygate.persistence.Database;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Releases the holds of APPROVED authorizations past their expiry. Every replica may run it at
 * once: each release re-checks the state under the account lock, so a hold is released once.
 */
@Singleton
public class HoldExpiryJob {

    private static final Logger LOG = LoggerFactory.getLogger(HoldExpiryJob.class);

    /** A sweep of one batch takes milliseconds; a stuck one must not hold connections forever. */
    private static final Duration SWEEP_BUDGET = Duration.ofSeconds(30);

    private final Database database;
    private final Authorizations authorizations;
    private final HoldProperties properties;
    private final MeterRegistry meters;

    public HoldExpiryJob(Database database, Authorizations authorizations, HoldProperties properties,
                         MeterRegistry meters) {
        this.database = database;
        this.authorizations = authorizations;
        this.properties = properties;
        this.meters = meters;
    }

    @Scheduled(fixedDelay = "${paygate.holds.sweep-interval:30s}", initialDelay = "${paygate.holds.sweep-interval:30s}")
    public int releaseExpiredHolds() {
        return database.withDeadline(SWEEP_BUDGET, this::sweep);
    }

    private int sweep() {
        int released = 0;
        try {
            List<String[]> expired = authorizations.findExpired(properties.getSweepBatchSize());
            for (String[] hold : expired) {
                if (authorizations.expire(hold[0], hold[1])) {
                    released++;
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("hold expiry sweep failed after {} releases; next sweep retries: {}", released, e.toString());
        }
        if (released > 0) {
            meters.counter("paygate.holds.expired").increment(released);
            LOG.info("released {} expired holds", released);
        }
        return released;
    }
}
