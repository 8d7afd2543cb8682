package dev.paygate.bench;

import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.stream.Collectors;

/**
 * The run as a Markdown table, one row per scenario, for the README. "CPU ceiling/s" is the
 * machine's cores divided by the CPU seconds per call of all processes.
 */
final class MarkdownTable {

    private MarkdownTable() {
    }

    static String render(String title, List<ScenarioResult> results, int cores) {
        StringBuilder md = new StringBuilder("# ").append(title).append("\n\n");
        md.append("| path | operation | load | achieved/s | p50 ms | p90 ms | p99 ms | p99.9 ms | errors "
                + "| CPU s/1k envoy | service | generator | database | all | CPU ceiling/s | DB xacts/call "
                + "| RSS MiB service | envoy | service KB/call | GC pauses | longest ms | allocation stalls (longest ms) |\n");
        md.append("|---|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
                + "---:|---:|\n");
        for (ScenarioResult r : results) {
            String load = r.offeredRate() > 0 ? r.offeredRate() + "/s open" : ((LoadShape.Closed) r.scenario().shape())
                    .clients() + " clients";
            String errors = r.errors().isEmpty() ? "0" : r.errors().entrySet().stream()
                    .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
            GcPauses.Summary pauses = r.jvm().pauses();
            OptionalDouble cpuCeiling = r.cpuCeilingPerSecond(cores);
            String ceiling = cpuCeiling.isPresent() ? String.format(Locale.ROOT, "%.0f", cpuCeiling.getAsDouble()) : "-";
            md.append(String.format(Locale.ROOT,
                    "| %s | %s | %s | %.0f | %.2f | %.2f | %.2f | %.2f | %s | %s | %.3f | %.3f | %.3f | %.3f | %s | %.2f "
                            + "| %d | %s | %.1f | %d | %.2f | %d (%.2f) |%n",
                    r.scenario().target().key, r.scenario().operation().key, load, r.completed() / r.seconds(),
                    r.latency().millis(0.50), r.latency().millis(0.90), r.latency().millis(0.99),
                    r.latency().millis(0.999), errors,
                    r.envoyCpuPer1000() < 0 ? "-" : String.format(Locale.ROOT, "%.3f", r.envoyCpuPer1000()),
                    r.serviceCpuPer1000(), r.generatorCpuPer1000(), r.databaseCpuPer1000(), r.allProcessesCpuPer1000(),
                    ceiling, r.databaseTransactionsPerRequest(), r.servicePeakRssMib(),
                    r.envoyPeakRssMib() < 0 ? "-" : Long.toString(r.envoyPeakRssMib()),
                    r.allocatedBytesPerRequest() / 1000, pauses.pauses(), pauses.maxPauseMs(), pauses.stalls(),
                    pauses.maxStallMs()));
        }
        return md.toString();
    }
}
