package dev.paygate.authorization;

import dev.paygate.error.ApiException;
import dev.paygate.fallback.Dependency;
import dev.paygate.fallback.Fallbacks;
import dev.paygate.persistence.Database;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Releases the holds of APPROVED authorizations past their expiry. (Readers and new payments
 * already treat them as expired from their expire_time; this makes the stored state agree.) A
 * sweep walks every account with due holds in id order, in batches, one short transaction per
 * account: an account whose release fails is logged and skipped, and one locked by another
 * transaction is skipped at once (SKIP LOCKED), so replicas sweeping together share the work.
 */
@Singleton
public class HoldExpiryJob {

    private static final Logger LOG = LoggerFactory.getLogger(HoldExpiryJob.class);

    /** Bounds one sweep; whatever is left goes on the next. */
    private static final Duration SWEEP_BUDGET = Duration.ofSeconds(30);

    private final Database database;
    private final Authorizations authorizations;
    private final HoldProperties properties;
    private final Fallbacks fallbacks;

    public HoldExpiryJob(Database database, Authorizations authorizations, HoldProperties properties,
                         Fallbacks fallbacks) {
        this.database = database;
        this.authorizations = authorizations;
        this.properties = properties;
        this.fallbacks = fallbacks;
    }

    @Scheduled(fixedDelay = "${paygate.holds.sweep-interval:30s}", initialDelay = "${paygate.holds.sweep-interval:30s}")
    public int releaseExpiredHolds() {
        return database.withDeadline(SWEEP_BUDGET, this::sweep);
    }

    private int sweep() {
        int released = 0;
        String after = "";
        try {
            List<String> accountIds;
            do {
                accountIds = authorizations.accountsWithExpiredHolds(after, properties.sweepBatchSize());
                for (String accountId : accountIds) {
                    released += releaseQuietly(accountId);
                }
                after = accountIds.isEmpty() ? after : accountIds.get(accountIds.size() - 1);
            } while (accountIds.size() == properties.sweepBatchSize());
        } catch (RuntimeException e) {
            fallbacks.record(Dependency.HOLD_EXPIRY_SWEEP, Dependency.Decision.DEFER);
            LOG.warn("hold expiry sweep stopped after {} releases; the next sweep goes on: {}", released, e.toString());
        }
        if (released > 0) {
            LOG.info("released {} expired holds", released);
        }
        return released;
    }

    private int releaseQuietly(String accountId) {
        try {
            return authorizations.releaseExpiredIfFree(accountId);
        } catch (ApiException e) {
            if (e.code() == ApiException.Code.DEADLINE_EXCEEDED) {
                throw e;
            }
            LOG.warn("cannot release the expired holds of account {}; skipped: {}", accountId, e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("cannot release the expired holds of account {}; skipped", accountId, e);
        }
        fallbacks.record(Dependency.HOLD_EXPIRY_SWEEP, Dependency.Decision.DEFER);
        return 0;
    }
}
