package dev.paygate.health;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;
import java.time.Duration;

/**
 * Health reporting and shutdown drain ({@code paygate.health.*}).
 *
 * @param shutdownDrainDelay longer than Envoy's health check interval (1 s) times its unhealthy threshold (2)
 */
@ConfigurationProperties("paygate.health")
public record HealthProperties(
        @Bindable(defaultValue = "1s") Duration probeInterval,
        @Bindable(defaultValue = "1s") Duration databaseTimeout,
        @Bindable(defaultValue = "3s") Duration shutdownDrainDelay) {
}
