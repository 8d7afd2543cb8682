package dev.paygate.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * What CI's smoke run ({@code --short}) requires of the report: the JVM the service ran on and its
 * start-up time, for every scenario the latency tail, the service's allocation and pauses, the CPU
 * of the service, of the database and of all processes, the CPU ceiling and the database's
 * transactions per call, the
 * event ledger's figures, and (unless --only left them out) the streams scenario's: what an idle
 * stream costs, and per write step the events per second and the delivery latency; and the startup
 * part's: per start, the times to SERVING and to the first keyed write, the writes per second, the
 * time to warm and the RSS. A field that
 * is missing, or not a number where a number belongs, fails the run.
 */
final class ReportCheck {

    private static final List<String> RUN_TEXT = List.of("/service_jvm/vendor", "/service_jvm/version");
    private static final List<String> RUN_NUMBERS = List.of("/service_jvm/start_to_healthy_ms", "/balance/events_read",
            "/balance/event_accounts_checked");
    private static final List<String> RUN_BOOLEANS = List.of("/balance/events_consistent");
    private static final List<String> STREAM_NUMBERS = List.of("/streams/streams",
            "/streams/idle/heap_after_gc_bytes_per_stream", "/streams/idle/rss_bytes_per_stream",
            "/streams/idle/service_cpu_seconds_per_second_open", "/streams/highest_kept_up_events_per_second",
            "/streams/events_received");
    private static final List<String> STREAM_BOOLEANS = List.of("/streams/exactly_once_in_order");
    private static final List<String> STEP_NUMBERS = List.of("/offered_writes_per_second", "/events_per_second",
            "/delivery_latency_ms/p50", "/delivery_latency_ms/p99");
    private static final List<String> STARTUP_NUMBERS = List.of("/process_start_to_serving_ms",
            "/process_start_to_first_keyed_write_ms", "/warm_writes_per_second", "/seconds_to_warm",
            "/rss_at_serving_mib", "/peak_rss_mib");
    private static final List<String> RUN_LISTS = List.of("/service_jvm/collector_mxbeans", "/scenarios", "/budgets");
    private static final List<String> SCENARIO_NUMBERS = List.of("/latency_ms/p99", "/latency_ms/p99_9",
            "/service_jvm/allocated_bytes_per_request", "/service_jvm/gc_pauses/count",
            "/service_jvm/gc_pauses/max_ms", "/service_jvm/allocation_stalls/count",
            "/service_jvm/allocation_stalls/max_ms", "/cpu_seconds_per_1000_requests/service",
            "/cpu_seconds_per_1000_requests/database", "/cpu_seconds_per_1000_requests/all_processes",
            "/cpu_ceiling_rps", "/database/transactions_per_request", "/database/write_transactions_per_request");

    private ReportCheck() {
    }

    /** The JSON pointers the report lacks (scenario fields prefixed with the scenario's name); empty when complete. */
    static List<String> missingFields(JsonNode report) {
        List<String> missing = new ArrayList<>();
        RUN_TEXT.stream().filter(pointer -> !report.at(pointer).isTextual()).forEach(missing::add);
        RUN_NUMBERS.stream().filter(pointer -> !report.at(pointer).isNumber()).forEach(missing::add);
        RUN_BOOLEANS.stream().filter(pointer -> !report.at(pointer).isBoolean()).forEach(missing::add);
        RUN_LISTS.stream().filter(pointer -> !report.at(pointer).isArray() || report.at(pointer).isEmpty())
                .forEach(missing::add);
        for (JsonNode scenario : report.path("scenarios")) {
            for (String pointer : SCENARIO_NUMBERS) {
                if (!scenario.at(pointer).isNumber()) {
                    missing.add(scenario.path("scenario").asText("?") + pointer);
                }
            }
        }
        if (!report.has("only")) {
            STREAM_NUMBERS.stream().filter(pointer -> !report.at(pointer).isNumber()).forEach(missing::add);
            STREAM_BOOLEANS.stream().filter(pointer -> !report.at(pointer).isBoolean()).forEach(missing::add);
            if (!report.at("/streams/steps").isArray() || report.at("/streams/steps").isEmpty()) {
                missing.add("/streams/steps");
            }
            for (JsonNode step : report.at("/streams/steps")) {
                for (String pointer : STEP_NUMBERS) {
                    if (!step.at(pointer).isNumber()) {
                        missing.add("/streams/steps/" + step.path("offered_writes_per_second").asText("?") + pointer);
                    }
                }
            }
            startup(report, missing);
        }
        return missing;
    }

    private static void startup(JsonNode report, List<String> missing) {
        JsonNode runs = report.at("/startup/runs");
        if (!runs.isArray() || runs.isEmpty()) {
            missing.add("/startup/runs");
        }
        for (JsonNode run : runs) {
            String name = "/startup/runs/" + run.path("configuration").asText("?");
            STARTUP_NUMBERS.stream().filter(pointer -> !run.at(pointer).isNumber()).map(pointer -> name + pointer)
                    .forEach(missing::add);
            if (!run.path("writes_per_second").isArray() || run.path("writes_per_second").isEmpty()) {
                missing.add(name + "/writes_per_second");
            }
        }
    }
}
