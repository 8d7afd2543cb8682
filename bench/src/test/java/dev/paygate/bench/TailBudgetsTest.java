package dev.paygate.bench;

import static dev.paygate.bench.BudgetsTest.budget;
import static dev.paygate.bench.BudgetsTest.result;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.paygate.devstack.Database;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TailBudgetsTest {

    private static final LoadShape OPEN_1000 = new LoadShape.Open(1000);

    private static String status(ArrayNode budgets, String name) {
        return budget(budgets, name).get("status").asText();
    }

    @Test
    void writesAtATenMillisecondP99_meetTheDirectBudget_andTheEdgeAllowsTwelve() {
        List<ScenarioResult> results = List.of(
                result(Target.GRPC_DIRECT, Operation.CREATE_SPREAD, OPEN_1000, 1000, 11, Map.of()),
                result(Target.GRPC_EDGE, Operation.CREATE_SPREAD, OPEN_1000, 1000, 11, Map.of()),
                result(Target.REST_EDGE, Operation.CREATE_SPREAD, OPEN_1000, 1000, 13, Map.of()));

        ArrayNode budgets = Budgets.judge(results, List.of(), Database.POSTGRES_DURABLE, 0);

        assertThat(status(budgets, "grpc_direct_keyed_writes_p99_ms_at_1000")).isEqualTo("not_met");
        assertThat(status(budgets, "grpc_edge_keyed_writes_p99_ms_at_1000")).isEqualTo("met");
        assertThat(status(budgets, "rest_edge_keyed_writes_p99_ms_at_1000")).isEqualTo("not_met");
        assertThat(budget(budgets, "grpc_edge_keyed_writes_p99_ms_at_1000").get("issue").asInt()).isEqualTo(19);
    }

    @Test
    void allocation_isJudgedOnTheWorstScenarioOfItsOperation() {
        List<ScenarioResult> results = List.of(
                result(Target.GRPC_DIRECT, Operation.CREATE_SPREAD, OPEN_1000, 1000, 5, Map.of(), 25_000, 1),
                result(Target.REST_EDGE, Operation.CREATE_SPREAD, new LoadShape.Closed(16), 1000, 5, Map.of(),
                        31_000, 1),
                result(Target.GRPC_EDGE, Operation.READ, new LoadShape.Closed(16), 1000, 1, Map.of(), 9_000, 1));

        ArrayNode budgets = Budgets.judge(results, List.of(), Database.POSTGRES_DURABLE, 0);

        assertThat(status(budgets, "keyed_write_allocated_bytes_per_call")).isEqualTo("not_met");
        assertThat(budget(budgets, "keyed_write_allocated_bytes_per_call").get("figure").asDouble()).isEqualTo(31_000);
        assertThat(status(budgets, "read_allocated_bytes_per_call")).isEqualTo("met");
    }

    @Test
    void aSixMillisecondPauseOnAnyPathAtAThousandWrites_missesThePauseBudget() {
        List<ScenarioResult> results = List.of(
                result(Target.GRPC_DIRECT, Operation.CREATE_SPREAD, OPEN_1000, 1000, 5, Map.of(), 20_000, 1),
                result(Target.REST_EDGE, Operation.CREATE_SPREAD, OPEN_1000, 1000, 5, Map.of(), 20_000, 6));

        ArrayNode budgets = Budgets.judge(results, List.of(), Database.POSTGRES_DURABLE, 0);

        assertThat(status(budgets, "longest_gc_pause_ms_at_1000_writes")).isEqualTo("not_met");
        assertThat(budget(budgets, "longest_gc_pause_ms_at_1000_writes").get("figure").asDouble()).isEqualTo(6);
    }

    @Test
    void onADatabaseTheBudgetsDoNotName_nothingIsJudged() {
        List<ScenarioResult> results = List.of(
                result(Target.GRPC_DIRECT, Operation.CREATE_SPREAD, OPEN_1000, 1000, 1, Map.of()));

        ArrayNode budgets = Budgets.judge(results, List.of(), Database.POSTGRES, 0);

        assertThat(status(budgets, "grpc_direct_keyed_writes_p99_ms_at_1000")).isEqualTo("not_measured");
        assertThat(budget(budgets, "grpc_direct_keyed_writes_p99_ms_at_1000").get("why").asText())
                .contains("durable PostgreSQL");
        assertThat(status(budgets, "keyed_write_allocated_bytes_per_call")).isEqualTo("not_measured");
    }
}
