package dev.paygate.grpc;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.time.Duration;

/** How the service bounds every call in time (see {@link DeadlineInterceptor}). */
@ConfigurationProperties("paygate.deadlines")
public class DeadlineProperties {

    /** Budget for calls that bring neither a gRPC deadline nor Envoy's route timeout. */
    private Duration defaultBudget = Duration.ofSeconds(5);

    /** Below this remaining budget a call fails fast: it could not finish a transaction anyway. */
    private Duration minimumBudget = Duration.ofMillis(20);

    /** No call runs longer than this, whatever deadline it brings. */
    private Duration maximumBudget = Duration.ofSeconds(30);

    public Duration getMaximumBudget() {
        return maximumBudget;
    }

    public void setMaximumBudget(Duration maximumBudget) {
        this.maximumBudget = maximumBudget;
    }

    public Duration getDefaultBudget() {
        return defaultBudget;
    }

    public void setDefaultBudget(Duration defaultBudget) {
        this.defaultBudget = defaultBudget;
    }

    public Duration getMinimumBudget() {
        return minimumBudget;
    }

    public void setMinimumBudget(Duration minimumBudget) {
        this.minimumBudget = minimumBudget;
    }
}
