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
            boolean cached = configuration.equals(StartupProbe.AOT_CACHE);
            Names names = new Names(cached ? "_aot_cache" : "", cached ? "production flags + AOT cache" : "production flags");
            Optional<ReplicaStart> run = runs.stream().filter(r -> r.configuration().equals(configuration)).findFirst();
            if (database != Database.POSTGRES_DURABLE) {
                names.notMeasured(budgets, "budgets name durable PostgreSQL; this run used " + database);
            } else if (run.isEmpty()) {
                names.notMeasured(budgets, "not in this run (startup part not selected, or no AOT cache here)");
            } else {
                judge(run.get(), names, budgets);
            }
        }
    }

    private static void judge(ReplicaStart start, Names names, BudgetList budgets) {
        if (start.firstWriteMillis().isEmpty()) {
            budgets.notMet(ISSUE, names.firstWrite(), names.firstWriteBudget(), "no keyed write answered in the window");
        } else {
            long millis = start.firstWriteMillis().getAsLong();
            budgets.add(ISSUE, names.firstWrite(), names.firstWriteBudget(), millis, millis <= FIRST_WRITE_MS);
        }
        int window = start.timeline().windowSeconds();
        if (window < WARM_WINDOW_SECONDS) {
            budgets.notMeasured(ISSUE, names.warm(), names.warmBudget(), "a " + window
                    + " s window (--short) ends before the JIT's work does");
        } else if (start.timeline().secondsToWarm().isEmpty()) {
            budgets.notMet(ISSUE, names.warm(), names.warmBudget(), "no writes answered in the warm seconds");
        } else {
            int seconds = start.timeline().secondsToWarm().getAsInt();
            budgets.add(ISSUE, names.warm(), names.warmBudget(), seconds, seconds <= SECONDS_TO_WARM);
        }
        long rss = start.peakRssMib();
        budgets.add(ISSUE, names.rss(), names.rssBudget(), rss, rss >= 0 && rss <= RSS_MIB);
    }

    /** The three budgets' names and texts for one configuration. */
    private record Names(String suffix, String flags) {

        String firstWrite() {
            return "startup_first_keyed_write_ms" + suffix;
        }

        String firstWriteBudget() {
            return "a replica started cold answers a keyed write <= 2,000 ms after process start (" + flags + ")";
        }

        String warm() {
            return "startup_seconds_to_warm" + suffix;
        }

        String warmBudget() {
            return "a replica started cold reaches 90 % of its warm write throughput <= 10 s after process start ("
                    + flags + ")";
        }

        String rss() {
            return "startup_peak_rss_mib" + suffix;
        }

        String rssBudget() {
            return "a starting replica's RSS <= 512 MiB (" + flags + ")";
        }

        void notMeasured(BudgetList budgets, String why) {
            budgets.notMeasured(ISSUE, firstWrite(), firstWriteBudget(), why);
            budgets.notMeasured(ISSUE, warm(), warmBudget(), why);
            budgets.notMeasured(ISSUE, rss(), rssBudget(), why);
        }
    }
}
