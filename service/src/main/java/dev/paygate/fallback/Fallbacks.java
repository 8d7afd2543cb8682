package dev.paygate.fallback;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;
import java.util.EnumMap;
import java.util.Map;

/**
 * Counts each time Paygate answered without a dependency: {@code paygate_fallback_total{dependency,
 * decision}}. Every pair is registered at start, so a rate over it is 0 rather than absent before
 * the first fallback.
 */
@Singleton
public class Fallbacks {

    private final Map<Dependency, Map<Dependency.Decision, Counter>> counters = new EnumMap<>(Dependency.class);

    public Fallbacks(MeterRegistry meters) {
        for (Dependency dependency : Dependency.values()) {
            Map<Dependency.Decision, Counter> byDecision = new EnumMap<>(Dependency.Decision.class);
            for (Dependency.Decision decision : dependency.decisions()) {
                byDecision.put(decision, Counter.builder("paygate.fallback")
                        .description("Answers given without a dependency, by what was decided instead")
                        .tag("dependency", dependency.label()).tag("decision", decision.label())
                        .register(meters));
            }
            counters.put(dependency, byDecision);
        }
    }

    /** Counts one fallback; the pair must be one the dependency declares. */
    public void record(Dependency dependency, Dependency.Decision decision) {
        Counter counter = counters.get(dependency).get(decision);
        if (counter == null) {
            throw new IllegalArgumentException(dependency + " declares no fallback " + decision);
        }
        counter.increment();
    }
}
