package dev.paygate.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.paygate.devstack.Database;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

class BudgetsTest {

    static ScenarioResult result(Target target, Operation operation, LoadShape shape, long ok, double millis,
                                 Map<String, Long> errors) {
        return result(target, operation, shape, ok, millis, errors, 20_000, 1);
    }

    /** Every call took {@code millis}; the service allocated {@code bytesPerCall} each and paused at most {@code pauseMs}. */
    static ScenarioResult result(Target target, Operation operation, LoadShape shape, long ok, double millis,
                                 Map<String, Long> errors, long bytesPerCall, double pauseMs) {
        long[] latencies = new long[100];
        java.util.Arrays.fill(latencies, (long) (millis * 1e6));
        JvmWindow jvm = new JvmWindow(java.time.Instant.EPOCH, java.time.Instant.EPOCH,
                new ServiceJvmProbe.Allocation(bytesPerCall * 100, 0), new GcPauses.Summary(1, pauseMs, pauseMs, 0, 0));
        return new ScenarioResult(new Scenario(target, operation, shape), ok, 100, ok, errors, 1.0,
                Latencies.of(latencies), 0.1, 0.1, 0.1, 300, 40, jvm, new DatabaseSampler.Reading(0.01, 100, 100));
    }

    static JsonNode budget(ArrayNode budgets, String name) {
        return StreamSupport.stream(budgets.spliterator(), false).filter(b -> b.get("name").asText().equals(name))
                .findFirst().orElseThrow();
    }

    @Test
    void edgeAtNinetyFivePercentOfTheFloor_isMet_andAtEightyIsNot() {
        LoadShape closed = new LoadShape.Closed(16);
        List<ScenarioResult> results = List.of(
                result(Target.REST_EDGE, Operation.READ, closed, 950, 1, Map.of()),
                result(Target.REST_FLOOR, Operation.READ, closed, 1000, 1, Map.of()),
                result(Target.GRPC_EDGE, Operation.READ, closed, 800, 1, Map.of()),
                result(Target.GRPC_FLOOR, Operation.READ, closed, 1000, 1, Map.of()));

        ArrayNode budgets = Budgets.judge(results, List.of(), Database.POSTGRES_DURABLE, 0);

        assertThat(budget(budgets, "rest_edge_vs_floor_read_throughput").get("status").asText()).isEqualTo("met");
        assertThat(budget(budgets, "rest_edge_vs_floor_read_throughput").get("figure").asDouble()).isEqualTo(0.95);
        assertThat(budget(budgets, "grpc_edge_vs_floor_read_throughput").get("status").asText()).isEqualTo("not_met");
    }

    @Test
    void budgetsWithoutTheirScenarios_areNotMeasured_withoutAFigure() {
        ArrayNode budgets = Budgets.judge(List.of(), List.of(), Database.POSTGRES_DURABLE, 0);

        for (JsonNode budget : budgets) {
            if (!budget.get("name").asText().equals("service_peak_rss_mib")) {
                assertThat(budget.get("status").asText()).as(budget.toString()).isEqualTo("not_measured");
                assertThat(budget.get("figure").isNull()).isTrue();
            }
        }
    }

    @Test
    void keyedWritesFastEnoughButWithErrors_areNotMet() {
        List<ScenarioResult> results = List.of(result(Target.REST_EDGE, Operation.CREATE_SPREAD,
                new LoadShape.Closed(64), 2000, 5, Map.of("HTTP_503", 1L)));

        ArrayNode budgets = Budgets.judge(results, List.of(), Database.POSTGRES_DURABLE, 0);

        assertThat(budget(budgets, "rest_edge_keyed_writes_100_accounts_per_s").get("status").asText())
                .isEqualTo("not_met");
    }

    @Test
    void keyedWriteBudgetOnNonDurablePostgres_isNotMeasured() {
        List<ScenarioResult> results = List.of(result(Target.REST_EDGE, Operation.CREATE_SPREAD,
                new LoadShape.Closed(64), 2000, 5, Map.of()));

        ArrayNode budgets = Budgets.judge(results, List.of(), Database.POSTGRES, 0);

        assertThat(budget(budgets, "rest_edge_keyed_writes_100_accounts_per_s").get("status").asText())
                .isEqualTo("not_measured");
    }
}
