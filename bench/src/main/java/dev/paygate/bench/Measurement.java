package dev.paygate.bench;

import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Measures one scenario: its warm-up, then the window in which the CPU of every process on the
 * path (Envoy, the service, this load generator, the database), the service's JVM and the
 * database's transactions are read at both ends.
 */
final class Measurement {

    private final BenchOptions options;
    private final ServiceJvmProbe serviceJvm;
    private final long servicePid;
    private final DatabaseSampler database;

    Measurement(BenchOptions options, ServiceJvmProbe serviceJvm, long servicePid, DatabaseSampler database) {
        this.options = options;
        this.serviceJvm = serviceJvm;
        this.servicePid = servicePid;
        this.database = database;
    }

    /** {@code envoyPid} is the path's Envoy, -1 on the direct path. */
    ScenarioResult measure(Scenario scenario, Supplier<CompletableFuture<Reply>> call, int maxInFlight, long envoyPid)
            throws InterruptedException, SQLException {
        LoadDriver.run(scenario.shape(), call, nanos(options.warmupSeconds()), maxInFlight);
        long self = ProcessHandle.current().pid();
        ProcessSampler.resetPeak(servicePid);
        if (envoyPid > 0) {
            ProcessSampler.resetPeak(envoyPid);
        }
        double serviceCpu = ProcessSampler.cpuSeconds(servicePid);
        double envoyCpu = envoyPid > 0 ? ProcessSampler.cpuSeconds(envoyPid) : 0;
        double selfCpu = ProcessSampler.cpuSeconds(self);
        DatabaseSampler.Reading databaseStart = database.read();
        ServiceJvmProbe.Watch watch = serviceJvm.watch();
        LoadDriver.Window window = LoadDriver.run(scenario.shape(), call, nanos(options.measureSeconds()), maxInFlight);
        JvmWindow jvm = serviceJvm.end(watch);
        DatabaseSampler.Reading databaseUse = database.read().since(databaseStart);
        Latencies latencies = window.recorder().latencies();
        long completed = latencies.count();
        double perThousand = 1000.0 / Math.max(completed, 1);
        return new ScenarioResult(scenario, window.sent(), completed, window.recorder().ok(),
                window.recorder().errors(), window.seconds(), latencies,
                envoyPid > 0 ? (ProcessSampler.cpuSeconds(envoyPid) - envoyCpu) * perThousand : -1,
                (ProcessSampler.cpuSeconds(servicePid) - serviceCpu) * perThousand,
                (ProcessSampler.cpuSeconds(self) - selfCpu) * perThousand,
                ProcessSampler.peakRssKib(servicePid) / 1024,
                envoyPid > 0 ? ProcessSampler.peakRssKib(envoyPid) / 1024 : -1,
                jvm, databaseUse);
    }

    static long nanos(double seconds) {
        return (long) (seconds * 1e9);
    }
}
