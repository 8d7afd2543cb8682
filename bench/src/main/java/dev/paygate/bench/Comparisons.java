package dev.paygate.bench;

import java.util.List;
import java.util.Optional;

/** Finds a scenario's result in a run, for ratios and budgets that compare paths. */
final class Comparisons {

    private final List<ScenarioResult> results;

    Comparisons(List<ScenarioResult> results) {
        this.results = results;
    }

    Optional<ScenarioResult> find(Target target, Operation operation, LoadShape shape) {
        return results.stream().filter(r -> r.scenario().target() == target && r.scenario().operation() == operation
                && r.scenario().shape().equals(shape)).findFirst();
    }

    /** Throughput of {@code target} over {@code baseline}, same operation and shape; empty if either is missing. */
    Optional<Double> throughputRatio(Target target, Target baseline, Operation operation, LoadShape shape) {
        return throughputRatio(target, baseline, operation, operation, shape);
    }

    /** Throughput of one operation over another's, same path and shape. */
    Optional<Double> throughputRatio(Target target, Target baseline, Operation operation, Operation baselineOperation,
                                     LoadShape shape) {
        Optional<ScenarioResult> measured = find(target, operation, shape);
        Optional<ScenarioResult> base = find(baseline, baselineOperation, shape);
        if (measured.isEmpty() || base.isEmpty() || base.get().throughput() == 0) {
            return Optional.empty();
        }
        return Optional.of(measured.get().throughput() / base.get().throughput());
    }

    /** Latency of {@code target} minus {@code baseline} at a percentile, in ms. */
    Optional<Double> addedLatency(Target target, Target baseline, Operation operation, LoadShape shape,
                                  double fraction) {
        Optional<ScenarioResult> measured = find(target, operation, shape);
        Optional<ScenarioResult> base = find(baseline, operation, shape);
        if (measured.isEmpty() || base.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(measured.get().latency().millis(fraction) - base.get().latency().millis(fraction));
    }
}
