package dev.paygate.grpc;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;
import java.time.Duration;

/**
 * How the service bounds every call in time (see {@link DeadlineInterceptor}).
 *
 * @param defaultBudget budget for calls that bring neither a gRPC deadline nor Envoy's route timeout
 * @param minimumBudget below this remaining budget a call fails fast: it could not finish a transaction anyway
 * @param maximumBudget no call runs longer than this, whatever deadline it brings
 */
@ConfigurationProperties("paygate.deadlines")
public record DeadlineProperties(
        @Bindable(defaultValue = "5s") Duration defaultBudget,
        @Bindable(defaultValue = "20ms") Duration minimumBudget,
        @Bindable(defaultValue = "30s") Duration maximumBudget) {
}
