package dev.paygate.authorization;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;
import java.time.Duration;

/**
 * How long an approved hold lasts uncaptured, and how often expired holds are released.
 *
 * @param ttl card schemes let most holds lapse after about a week
 * @param sweepBatchSize accounts a sweep looks up at a time; each account's holds are released in
 *     their own transaction
 * @param maxAdjustments adjustments (AdjustAuthorization, declined ones included) one
 *     authorization may take: bounds how often a merchant re-asks the risk rules for one payment
 * @param maxLifetime how far after its creation ExtendAuthorization may move a hold's expiry (card
 *     schemes bound extended authorizations to about a month)
 */
@ConfigurationProperties("paygate.holds")
public record HoldProperties(
        @Bindable(defaultValue = "7d") Duration ttl,
        @Bindable(defaultValue = "30s") Duration sweepInterval,
        @Bindable(defaultValue = "100") int sweepBatchSize,
        @Bindable(defaultValue = "5") int maxAdjustments,
        @Bindable(defaultValue = "30d") Duration maxLifetime) {
}
