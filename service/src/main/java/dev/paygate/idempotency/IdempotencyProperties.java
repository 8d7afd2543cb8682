package dev.paygate.idempotency;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;
import java.time.Duration;

/**
 * How long idempotency keys are honoured, and how often expired ones are purged.
 *
 * @param retention clients retry for up to a day (card networks' own window), so never less than 24 h
 * @param purgeBatchSize keys deleted per purge transaction
 */
@ConfigurationProperties("paygate.idempotency")
public record IdempotencyProperties(
        @Bindable(defaultValue = "48h") Duration retention,
        @Bindable(defaultValue = "10m") Duration purgeInterval,
        @Bindable(defaultValue = "1000") int purgeBatchSize) {

    static final Duration MINIMUM_RETENTION = Duration.ofHours(24);

    public IdempotencyProperties {
        if (retention.compareTo(MINIMUM_RETENTION) < 0) {
            throw new IllegalArgumentException("paygate.idempotency.retention must be at least 24h, got " + retention);
        }
    }
}
