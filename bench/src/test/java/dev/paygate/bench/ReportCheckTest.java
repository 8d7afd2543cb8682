package dev.paygate.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReportCheckTest {

    /** A report as the bench writes it, from one scenario's result. */
    private static ObjectNode report() {
        ObjectNode report = new ObjectMapper().createObjectNode();
        ObjectNode jvm = report.putObject("service_jvm");
        jvm.put("vendor", "Eclipse Adoptium");
        jvm.put("version", "25.0.3+9-LTS");
        jvm.putArray("collector_mxbeans").add("G1 Young Generation");
        jvm.put("start_to_healthy_ms", 2900);
        report.set("scenarios", Report.scenarios(List.of(BudgetsTest.result(Target.GRPC_DIRECT, Operation.READ,
                new LoadShape.Closed(16), 100, 1, Map.of())), 2));
        report.putArray("budgets").addObject().put("name", "x");
        ObjectNode balance = report.putObject("balance");
        balance.put("event_accounts_checked", 102);
        balance.put("events_read", 5000);
        balance.put("events_consistent", true);
        ObjectNode streams = report.putObject("streams");
        streams.put("streams", 10);
        ObjectNode idle = streams.putObject("idle");
        idle.put("heap_after_gc_bytes_per_stream", 2000);
        idle.put("rss_bytes_per_stream", 4096);
        idle.put("service_cpu_seconds_per_second_open", 0.05);
        ObjectNode step = streams.putArray("steps").addObject();
        step.put("offered_writes_per_second", 20);
        step.put("events_per_second", 19.5);
        step.putObject("delivery_latency_ms").put("p50", 100.0).put("p99", 210.0);
        streams.put("highest_kept_up_events_per_second", 19.5);
        streams.put("events_received", 40);
        streams.put("exactly_once_in_order", true);
        report.putObject("startup").putArray("runs").add(StartupBudgetsTest.start(StartupProbe.PRODUCTION,
                java.util.OptionalLong.of(1800), 8, 300).json());
        return report;
    }

    @Test
    void theReportTheBenchWrites_isComplete() {
        assertThat(ReportCheck.missingFields(report())).isEmpty();
    }

    @Test
    void aScenarioWithoutItsAllocationOrPauses_isNamed() {
        ObjectNode report = report();
        ObjectNode scenario = (ObjectNode) report.get("scenarios").get(0);
        ((ObjectNode) scenario.get("service_jvm")).remove("allocated_bytes_per_request");
        ((ObjectNode) scenario.get("service_jvm").get("gc_pauses")).putNull("max_ms");

        assertThat(ReportCheck.missingFields(report)).containsExactly(
                "grpc_direct.read.closed16/service_jvm/allocated_bytes_per_request",
                "grpc_direct.read.closed16/service_jvm/gc_pauses/max_ms");
    }

    @Test
    void aScenarioWithoutTheDatabasesCpuOrTransactionsOrTheCeiling_isNamed() {
        ObjectNode report = report();
        ObjectNode scenario = (ObjectNode) report.get("scenarios").get(0);
        ((ObjectNode) scenario.get("cpu_seconds_per_1000_requests")).remove("database");
        ((ObjectNode) scenario.get("cpu_seconds_per_1000_requests")).remove("all_processes");
        scenario.putNull("cpu_ceiling_rps");
        scenario.remove("database");

        assertThat(ReportCheck.missingFields(report)).containsExactly(
                "grpc_direct.read.closed16/cpu_seconds_per_1000_requests/database",
                "grpc_direct.read.closed16/cpu_seconds_per_1000_requests/all_processes",
                "grpc_direct.read.closed16/cpu_ceiling_rps",
                "grpc_direct.read.closed16/database/transactions_per_request",
                "grpc_direct.read.closed16/database/write_transactions_per_request");
    }

    @Test
    void aRunWithoutTheEventLedgerOrAStreamFigure_isNamed() {
        ObjectNode report = report();
        report.remove("balance");
        ((ObjectNode) report.at("/streams/idle")).remove("heap_after_gc_bytes_per_stream");
        ((ObjectNode) report.at("/streams/steps/0/delivery_latency_ms")).putNull("p99");

        assertThat(ReportCheck.missingFields(report)).containsExactly("/balance/events_read",
                "/balance/event_accounts_checked", "/balance/events_consistent",
                "/streams/idle/heap_after_gc_bytes_per_stream", "/streams/steps/20/delivery_latency_ms/p99");
    }

    @Test
    void aRunWithoutTheStreamsScenario_isNamed_unlessOnlyLeftItOut() {
        ObjectNode report = report();
        report.remove("streams");

        assertThat(ReportCheck.missingFields(report)).contains("/streams/streams", "/streams/exactly_once_in_order",
                "/streams/steps");
        report.put("only", "grpc_direct.read.*");
        assertThat(ReportCheck.missingFields(report)).isEmpty();
    }

    @Test
    void aRunWithoutTheStartupPartOrOneOfItsFigures_isNamed_unlessOnlyLeftItOut() {
        ObjectNode report = report();
        ObjectNode run = (ObjectNode) report.at("/startup/runs/0");
        run.putNull("process_start_to_first_keyed_write_ms");
        run.remove("seconds_to_warm");
        run.putArray("writes_per_second");

        assertThat(ReportCheck.missingFields(report)).containsExactly(
                "/startup/runs/production_flags/process_start_to_first_keyed_write_ms",
                "/startup/runs/production_flags/seconds_to_warm", "/startup/runs/production_flags/writes_per_second");
        report.remove("startup");
        assertThat(ReportCheck.missingFields(report)).containsExactly("/startup/runs");
        report.put("only", "startup");
        assertThat(ReportCheck.missingFields(report)).isEmpty();
    }

    @Test
    void aRunWithoutItsJvmOrAnyScenario_isNamed() {
        ObjectNode report = report();
        report.remove("service_jvm");
        ((ArrayNode) report.get("scenarios")).removeAll();

        assertThat(ReportCheck.missingFields(report)).contains("/service_jvm/vendor", "/service_jvm/version",
                "/service_jvm/start_to_healthy_ms", "/service_jvm/collector_mxbeans", "/scenarios");
    }
}
