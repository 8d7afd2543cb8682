package dev.paygate.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * What CI's smoke run ({@code --short}) requires of the report: the JVM the service ran on and its
 * start-up time, and for every scenario the latency tail and the service's allocation and pauses.
 * A field that is missing, or not a number where a number belongs, fails the run.
 */
final class ReportCheck {

    private static final List<String> RUN_TEXT = List.of("/service_jvm/vendor", "/service_jvm/version");
    private static final List<String> RUN_NUMBERS = List.of("/service_jvm/start_to_healthy_ms");
    private static final List<String> RUN_LISTS = List.of("/service_jvm/collector_mxbeans", "/scenarios", "/budgets");
    private static final List<String> SCENARIO_NUMBERS = List.of("/latency_ms/p99", "/latency_ms/p99_9",
            "/service_jvm/allocated_bytes_per_request", "/service_jvm/gc_pauses/count",
            "/service_jvm/gc_pauses/max_ms", "/service_jvm/allocation_stalls/count",
            "/service_jvm/allocation_stalls/max_ms");

    private ReportCheck() {
    }

    /** The JSON pointers the report lacks (scenario fields prefixed with the scenario's name); empty when complete. */
    static List<String> missingFields(JsonNode report) {
        List<String> missing = new ArrayList<>();
        RUN_TEXT.stream().filter(pointer -> !report.at(pointer).isTextual()).forEach(missing::add);
        RUN_NUMBERS.stream().filter(pointer -> !report.at(pointer).isNumber()).forEach(missing::add);
        RUN_LISTS.stream().filter(pointer -> !report.at(pointer).isArray() || report.at(pointer).isEmpty())
                .forEach(missing::add);
        for (JsonNode scenario : report.path("scenarios")) {
            for (String pointer : SCENARIO_NUMBERS) {
                if (!scenario.at(pointer).isNumber()) {
                    missing.add(scenario.path("scenario").asText("?") + pointer);
                }
            }
        }
        return missing;
    }
}
