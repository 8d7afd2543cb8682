package dev.paygate.idempotency;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.time.Duration;

/** How long idempotency keys are honoured, and how often expired ones are purged. */
@ConfigurationProperties("paygate.idempotency")
public class IdempotencyProperties {

    /** Clients retry for up to a day (card networks' own window), so never less than 24 h. */
    static final Duration MINIMUM_RETENTION = Duration.ofHours(24);

    private Duration retention = Duration.ofHours(48);
    private Duration purgeInterval = Duration.ofMinutes(10);
    /** Keys deleted per purge transaction. */
    private int purgeBatchSize = 1000;

    public Duration getRetention() {
        return retention;
    }

    public void setRetention(Duration retention) {
        if (retention.compareTo(MINIMUM_RETENTION) < 0) {
            throw new IllegalArgumentException("paygate.idempotency.retention must be at least 24h, got " + retention);
        }
        this.retention = retention;
    }

    public Duration getPurgeInterval() {
        return purgeInterval;
    }

    public void setPurgeInterval(Duration purgeInterval) {
        this.purgeInterval = purgeInterval;
    }

    public int getPurgeBatchSize() {
        return purgeBatchSize;
    }

    public void setPurgeBatchSize(int purgeBatchSize) {
        this.purgeBatchSize = purgeBatchSize;
    }
}
