package dev.paygate.bench;

import dev.paygate.devstack.Database;
import java.util.List;
import java.util.Optional;
import java.util.function.ToDoubleFunction;

/**
 * Issue 19's budgets, the tail at p99 and what causes it: keyed writes and reads at rate, the
 * service's allocation per call and its longest pause. They name durable PostgreSQL and the
 * production JVM settings; on another database they are not measured.
 */
final class TailBudgets {

    private static final int ISSUE = 19;
    private static final LoadShape OPEN_1000 = new LoadShape.Open(1000);
    private static final LoadShape OPEN_2000 = new LoadShape.Open(2000);

    private final Comparisons run;
    private final List<ScenarioResult> results;
    private final BudgetList budgets;

    private TailBudgets(List<ScenarioResult> results, BudgetList budgets) {
        this.run = new Comparisons(results);
        this.results = results;
        this.budgets = budgets;
    }

    static void judge(List<ScenarioResult> results, Database database, BudgetList budgets) {
        TailBudgets judged = new TailBudgets(database == Database.POSTGRES_DURABLE ? results : List.of(), budgets);
        judged.all(database == Database.POSTGRES_DURABLE ? "not in this run's plan"
                : "budgets name durable PostgreSQL; this run used " + database);
    }

    private void all(String whyNotMeasured) {
        for (Target target : List.of(Target.GRPC_DIRECT, Target.GRPC_EDGE, Target.REST_EDGE)) {
            double ceiling = target == Target.GRPC_DIRECT ? 10 : 12;
            tail(target.key + "_keyed_writes_p99_ms_at_1000", "keyed writes over 100 accounts, p99 <= "
                    + (int) ceiling + " ms at 1,000/s open loop", run.find(target, Operation.CREATE_SPREAD, OPEN_1000),
                    ceiling, whyNotMeasured);
        }
        for (Target target : List.of(Target.GRPC_EDGE, Target.REST_EDGE)) {
            tail(target.key + "_reads_p99_ms_at_2000", "reads through the edge, p99 <= 5 ms at 2,000/s open loop",
                    run.find(target, Operation.READ, OPEN_2000), 5, whyNotMeasured);
        }
        worst("keyed_write_allocated_bytes_per_call", "the service allocates <= 30 KB per keyed write (the most of "
                + "any keyed-write scenario)", r -> r.scenario().operation() == Operation.CREATE_SPREAD,
                ScenarioResult::allocatedBytesPerRequest, 30_000, whyNotMeasured);
        worst("read_allocated_bytes_per_call", "the service allocates <= 10 KB per read (the most of any read "
                + "scenario)", r -> r.scenario().operation() == Operation.READ, ScenarioResult::allocatedBytesPerRequest,
                10_000, whyNotMeasured);
        worst("longest_gc_pause_ms_at_1000_writes", "the service's longest GC pause or allocation stall <= 5 ms at "
                + "1,000 keyed writes/s (every path)", r -> r.scenario().operation() == Operation.CREATE_SPREAD
                        && r.scenario().shape().equals(OPEN_1000),
                r -> Math.max(r.jvm().pauses().maxPauseMs(), r.jvm().pauses().maxStallMs()), 5, whyNotMeasured);
    }

    private void tail(String name, String budget, Optional<ScenarioResult> scenario, double ceiling, String why) {
        if (scenario.isEmpty()) {
            budgets.notMeasured(ISSUE, name, budget, why);
        } else {
            budgets.atMost(ISSUE, name, budget, Optional.of(scenario.get().latency().millis(0.99)), ceiling);
        }
    }

    private void worst(String name, String budget, java.util.function.Predicate<ScenarioResult> which,
                       ToDoubleFunction<ScenarioResult> figure, double ceiling, String why) {
        var measured = results.stream().filter(which).mapToDouble(figure).max();
        if (measured.isEmpty()) {
            budgets.notMeasured(ISSUE, name, budget, why);
        } else {
            budgets.atMost(ISSUE, name, budget, Optional.of(measured.getAsDouble()), ceiling);
        }
    }
}
