package dev.paygate.bench;

import java.util.Map;

/**
 * What one scenario measured. CPU is seconds per 1,000 completed calls over the measured window
 * (-1 where the path has no Envoy); peak RSS is VmHWM during the window, in MiB; {@code jvm} is
 * what the service's JVM did in the window.
 */
record ScenarioResult(Scenario scenario, long sent, long completed, long ok, Map<String, Long> errors,
                      double seconds, Latencies latency, double envoyCpuPer1000, double serviceCpuPer1000,
                      double generatorCpuPer1000, long servicePeakRssMib, long envoyPeakRssMib, JvmWindow jvm) {

    double throughput() {
        return ok / seconds;
    }

    long errorCount() {
        return errors.values().stream().mapToLong(Long::longValue).sum();
    }

    /** The offered rate of an open loop, else 0. */
    int offeredRate() {
        return scenario.shape() instanceof LoadShape.Open open ? open.ratePerSecond() : 0;
    }

    /** Bytes the service allocated per completed call in the window (its background work included). */
    double allocatedBytesPerRequest() {
        return completed == 0 ? 0 : (double) jvm.allocation().bytes() / completed;
    }
}
