package dev.paygate.health;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.time.Duration;

/** Health reporting and shutdown drain ({@code paygate.health.*}). */
@ConfigurationProperties("paygate.health")
public class HealthProperties {

    private Duration probeInterval = Duration.ofSeconds(1);
    private Duration databaseTimeout = Duration.ofSeconds(1);
    /** Longer than Envoy's health check interval (1 s) times its unhealthy threshold (2). */
    private Duration shutdownDrainDelay = Duration.ofSeconds(3);

    public Duration getProbeInterval() {
        return probeInterval;
    }

    public void setProbeInterval(Duration probeInterval) {
        this.probeInterval = probeInterval;
    }

    public Duration getDatabaseTimeout() {
        return databaseTimeout;
    }

    public void setDatabaseTimeout(Duration databaseTimeout) {
        this.databaseTimeout = databaseTimeout;
    }

    public Duration getShutdownDrainDelay() {
        return shutdownDrainDelay;
    }

    public void setShutdownDrainDelay(Duration shutdownDrainDelay) {
        this.shutdownDrainDelay = shutdownDrainDelay;
    }
}
