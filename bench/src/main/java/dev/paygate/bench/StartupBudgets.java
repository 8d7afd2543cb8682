package dev.paygate.bench;

import dev.paygate.devstack.Database;
import java.util.List;
import java.util.Optional;

/**
 * Issue 19's start-up budgets, judged on the bench's startup part ({@link StartupProbe}): a
 * replica started cold answers its first keyed write within 2 s of its process start, reaches
 * its warm throughput within 10 s, and stays within 512 MiB RSS. Judged for each configuration
 * measured: the production flags alone (what the Docker image runs) and with the AOT cache; the
 * training run is reported, not judged.
 */
final class StartupBudgets {

    private static final int ISSUE = 19;
    private static final double FIRST_WRITE_MS = 2000;
    private static final double SECONDS_TO_WARM = 10;
    private static final double RSS_MIB = 512;

    private StartupBudgets() {
    }

    /** A window long enough that warm means after the JIT's work (the full run's). */
    private static final int WARM_WINDOW_SECONDS = 30;

    /** {@code runs} empty when the part did not run. */
    static void judge(List<ReplicaStart> runs, Database database, BudgetList budgets) {
        for (String configuration : List.of(StartupProbe.PRODUCTION, StartupProbe.AOT_CACHE)) {
            String suffix = configuration.equals(StartupProbe.PRODUCTION) ? "" : "_aot_cache";
            String flags = configuration.equals(StartupProbe.PRODUCTION) ? "production flags" : "production flags + AOT cache";
            Optional<ReplicaStart> run = runs.stream().filter(r -> r.configuration().equals(configuration)).findFirst();
            String why = database != Database.POSTGRES_DURABLE
                    ? "budgets name durable PostgreSQL; this run used " + database
                    : run.isEmpty() ? "not in this run (startup part not selected, or no AOT cache here)" : null;
            String firstWrite = "startup_first_keyed_write_ms" + suffix;
            String firstWriteBudget = "a replica started cold answers a keyed write <= 2,000 ms after process start ("
                    + flags + ")";
            String warm = "startup_seconds_to_warm" + suffix;
            String warmBudget = "a replica started cold reaches 90 % of its warm write throughput <= 10 s after "
                    + "process start (" + flags + ")";
            String rss = "startup_peak_rss_mib" + suffix;
            String rssBudget = "a starting replica's RSS <= 512 MiB (" + flags + ")";
            if (why != null) {
                budgets.notMeasured(ISSUE, firstWrite, firstWriteBudget, why);
                budgets.notMeasured(ISSUE, warm, warmBudget, why);
                budgets.notMeasured(ISSUE, rss, rssBudget, why);
                continue;
            }
            ReplicaStart start = run.get();
            if (start.firstWriteMillis().isEmpty()) {
                budgets.notMet(ISSUE, firstWrite, firstWriteBudget, "no keyed write answered in the window");
            } else {
                long millis = start.firstWriteMillis().getAsLong();
                budgets.add(ISSUE, firstWrite, firstWriteBudget, millis, millis <= FIRST_WRITE_MS);
            }
            if (start.timeline().windowSeconds() < WARM_WINDOW_SECONDS) {
                budgets.notMeasured(ISSUE, warm, warmBudget, "a " + start.timeline().windowSeconds()
                        + " s window (--short) ends before the JIT's work does");
            } else if (start.timeline().secondsToWarm().isEmpty()) {
                budgets.notMet(ISSUE, warm, warmBudget, "no writes answered in the warm seconds");
            } else {
                int seconds = start.timeline().secondsToWarm().getAsInt();
                budgets.add(ISSUE, warm, warmBudget, seconds, seconds <= SECONDS_TO_WARM);
            }
            budgets.add(ISSUE, rss, rssBudget, start.peakRssMib(), start.peakRssMib() >= 0 && start.peakRssMib() <= RSS_MIB);
        }
    }
}
