package dev.paygate.grpc;

import io.micronaut.context.annotation.ConfigurationProperties;

/**
 * How many API calls one replica runs at once and how many may wait for a thread (see
 * {@link CallAdmission}). Sized from the measured capacity in docs/operations.md.
 */
@ConfigurationProperties("paygate.admission")
public class AdmissionProperties {

    /** Threads that run API calls. Beyond the database pool they only add CPU contention. */
    private int workers = 32;

    /**
     * API calls that may wait for a worker; one more is refused at once with UNAVAILABLE. Little's
     * law: at the measured throughput this queue drains within a fraction of the shortest route
     * budget, so a call admitted to it can still finish in time.
     */
    private int queueCapacity = 64;

    public int getWorkers() {
        return workers;
    }

    public void setWorkers(int workers) {
        this.workers = workers;
    }

    public int getQueueCapacity() {
        return queueCapacity;
    }

    public void setQueueCapacity(int queueCapacity) {
        this.queueCapacity = queueCapacity;
    }
}
