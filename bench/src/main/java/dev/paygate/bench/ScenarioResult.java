package dev.paygate.bench;

import java.util.Map;
import java.util.OptionalDouble;

/**
 * What one scenario measured. CPU is seconds per 1,000 completed calls over the measured window
 * (-1 where the path has no Envoy); peak RSS is VmHWM during the window, in MiB; {@code jvm} is
 * what the service's JVM did in the window, {@code database} what its PostgreSQL did.
 */
record ScenarioResult(Scenario scenario, long sent, long completed, long ok, Map<String, Long> errors,
                      double seconds, Latencies latency, double envoyCpuPer1000, double serviceCpuPer1000,
                      double generatorCpuPer1000, long servicePeakRssMib, long envoyPeakRssMib, JvmWindow jvm,
                      DatabaseSampler.Reading database) {

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

    double databaseCpuPer1000() {
        return database.cpuSeconds() * 1000 / Math.max(completed, 1);
    }

    double databaseTransactionsPerRequest() {
        return (double) database.transactions() / Math.max(completed, 1);
    }

    double databaseWriteTransactionsPerRequest() {
        return (double) database.writeTransactions() / Math.max(completed, 1);
    }

    /** CPU seconds per 1,000 calls of every process measured: Envoy (if on the path), service, load generator, database. */
    double allProcessesCpuPer1000() {
        return Math.max(envoyCpuPer1000, 0) + serviceCpuPer1000 + generatorCpuPer1000 + databaseCpuPer1000();
    }

    /**
     * The rate the machine could serve if its cores did nothing else and every call cost what it
     * cost here: cores divided by CPU seconds per call; empty when nothing was measured.
     */
    OptionalDouble cpuCeilingPerSecond(int cores) {
        double perCall = allProcessesCpuPer1000() / 1000;
        return perCall > 0 ? OptionalDouble.of(cores / perCall) : OptionalDouble.empty();
    }

    /** Bytes the service allocated per completed call in the window (its background work included). */
    double allocatedBytesPerRequest() {
        return completed == 0 ? 0 : (double) jvm.allocation().bytes() / completed;
    }
}
