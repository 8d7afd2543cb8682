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
                new LoadShape.Closed(16), 100, 1, Map.of()))));
        report.putArray("budgets").addObject().put("name", "x");
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
    void aRunWithoutItsJvmOrAnyScenario_isNamed() {
        ObjectNode report = report();
        report.remove("service_jvm");
        ((ArrayNode) report.get("scenarios")).removeAll();

        assertThat(ReportCheck.missingFields(report)).contains("/service_jvm/vendor", "/service_jvm/version",
                "/service_jvm/start_to_healthy_ms", "/service_jvm/collector_mxbeans", "/scenarios");
    }
}
