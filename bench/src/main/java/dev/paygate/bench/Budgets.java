package dev.paygate.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.paygate.devstack.Database;
import java.util.List;
import java.util.Optional;

/**
 * Every budget the report judges: issue 11's (the edge against its floor, keyed-write throughput,
 * flat cost with history, RSS) here, issue 19's tail budgets in {@link TailBudgets} and its start-up budgets in
 * {@link StartupBudgets}.
 */
final class Budgets {

    private static final int ISSUE = 11;
    private static final LoadShape CLOSED_16 = new LoadShape.Closed(16);
    private static final LoadShape CLOSED_64 = new LoadShape.Closed(64);
    private static final LoadShape OPEN_500 = new LoadShape.Open(500);

    private final Comparisons run;
    private final List<ScenarioResult> results;
    private final Database database;
    private final int history;
    private final BudgetList budgets = new BudgetList();

    private Budgets(List<ScenarioResult> results, Database database, int history) {
        this.run = new Comparisons(results);
        this.results = results;
        this.database = database;
        this.history = history;
    }

    static ArrayNode judge(List<ScenarioResult> results, List<ReplicaStart> startups, Database database, int history) {
        Budgets judged = new Budgets(results, database, history);
        judged.all();
        TailBudgets.judge(results, database, judged.budgets);
        StartupBudgets.judge(startups, database, judged.budgets);
        return judged.budgets.json();
    }

    private void all() {
        for (Target[] pair : new Target[][] {{Target.REST_EDGE, Target.REST_FLOOR}, {Target.GRPC_EDGE, Target.GRPC_FLOOR}}) {
            budgets.atLeast(ISSUE, pair[0].key + "_vs_floor_read_throughput",
                    "full edge >= 0.9x the floor (reads, closed loop 16)",
                    run.throughputRatio(pair[0], pair[1], Operation.READ, CLOSED_16), 0.9);
        }
        for (Target target : List.of(Target.REST_EDGE, Target.GRPC_EDGE)) {
            budgets.atMost(ISSUE, target.key + "_added_p50_ms_at_500",
                    "edge adds <= 0.75 ms at p50 over direct gRPC (reads, 500/s)",
                    run.addedLatency(target, Target.GRPC_DIRECT, Operation.READ, OPEN_500, 0.50), 0.75);
            budgets.atMost(ISSUE, target.key + "_added_p99_ms_at_500",
                    "edge adds <= 3 ms at p99 over direct gRPC (reads, 500/s)",
                    run.addedLatency(target, Target.GRPC_DIRECT, Operation.READ, OPEN_500, 0.99), 3);
        }
        // The write budgets judge the durable default only: with fsync off a figure says nothing.
        boolean durable = database == Database.POSTGRES_DURABLE;
        for (Target target : List.of(Target.REST_EDGE, Target.GRPC_EDGE)) {
            String name = target.key + "_keyed_writes_100_accounts_per_s";
            String budget = "keyed writes through Envoy over 100 accounts >= 1000/s, zero errors (best of closed loop 16/64)";
            Optional<ScenarioResult> best = best(target, Operation.CREATE_SPREAD);
            if (!durable || best.isEmpty()) {
                budgets.notMeasured(ISSUE, name, budget, durable ? "not in this run's plan"
                        : "budgets name durable PostgreSQL; this run used " + database);
            } else {
                ScenarioResult result = best.get();
                budgets.add(ISSUE, name, budget, result.throughput(), result.throughput() >= 1000 && result.errorCount() == 0);
            }
        }
        String historyBudget = "writes on one account after 100,000 authorizations within 10% of a fresh account's "
                + "(direct gRPC, closed loop 16)";
        Optional<Double> historyRatio = run.throughputRatio(Target.GRPC_DIRECT, Target.GRPC_DIRECT,
                Operation.CREATE_AFTER_HISTORY, Operation.CREATE_FRESH_ACCOUNT, CLOSED_16);
        if (historyRatio.isEmpty()) {
            budgets.notMeasured(ISSUE, "history_write_throughput_ratio", historyBudget, "run with --history 100000");
        } else if (history < 100_000) {
            budgets.notMeasured(ISSUE, "history_write_throughput_ratio", historyBudget, "only " + history
                    + " authorizations loaded (--history); ratio " + Report.round(historyRatio.get()));
        } else {
            budgets.atLeast(ISSUE, "history_write_throughput_ratio", historyBudget, historyRatio, 0.9);
        }
        long peak = results.stream().mapToLong(ScenarioResult::servicePeakRssMib).max().orElse(-1);
        if (peak < 0) {
            budgets.notMeasured(ISSUE, "service_peak_rss_mib", "service RSS <= 512 MiB under load", "VmHWM unreadable");
        } else {
            budgets.add(ISSUE, "service_peak_rss_mib", "service RSS <= 512 MiB under load", peak, peak <= 512);
        }
    }

    private Optional<ScenarioResult> best(Target target, Operation operation) {
        return List.of(CLOSED_16, CLOSED_64).stream().map(shape -> run.find(target, operation, shape))
                .flatMap(Optional::stream).max(java.util.Comparator.comparingDouble(ScenarioResult::throughput));
    }
}
