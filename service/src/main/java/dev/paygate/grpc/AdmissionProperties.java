package dev.paygate.grpc;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;

/**
 * How many API calls one replica runs at once and how many may wait for a thread (see
 * {@link CallAdmission}). Sized from the measured capacity in docs/operations.md.
 *
 * @param workers threads that run API calls; beyond the database pool they only add CPU contention
 * @param queueCapacity API calls that may wait for a worker; one more is refused at once with
 *     UNAVAILABLE. Little's law: at the measured throughput this queue drains within a fraction of
 *     the shortest route budget, so a call admitted to it can still finish in time.
 */
@ConfigurationProperties("paygate.admission")
public record AdmissionProperties(
        @Bindable(defaultValue = "32") int workers,
        @Bindable(defaultValue = "64") int queueCapacity) {
}
