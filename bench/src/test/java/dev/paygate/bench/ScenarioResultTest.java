package dev.paygate.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScenarioResultTest {

    private static final Scenario WRITES_AT_1000 = new Scenario(Target.GRPC_EDGE, Operation.CREATE_SPREAD,
            new LoadShape.Open(1000));

    /** {@code completed} calls of 2 ms each; the service cost 0.8 and the generator 0.2 CPU seconds per 1,000. */
    private static ScenarioResult result(Scenario scenario, long completed, double envoyCpuPer1000,
                                         DatabaseSampler.Reading database) {
        long[] latencies = new long[(int) completed];
        java.util.Arrays.fill(latencies, 2_000_000);
        JvmWindow jvm = new JvmWindow(Instant.EPOCH, Instant.EPOCH, new ServiceJvmProbe.Allocation(0, 0),
                new GcPauses.Summary(0, 0, 0, 0, 0));
        return new ScenarioResult(scenario, completed, completed, completed, Map.of(), 1.0, Latencies.of(latencies),
                envoyCpuPer1000, 0.8, 0.2, 300, 40, jvm, database);
    }

    @Test
    void databaseFigures_arePerCompletedCall() {
        ScenarioResult r = result(WRITES_AT_1000, 200, 0.3, new DatabaseSampler.Reading(0.1, 600, 201));

        assertThat(r.databaseCpuPer1000()).isCloseTo(0.5, within(1e-9));
        assertThat(r.databaseTransactionsPerRequest()).isCloseTo(3.0, within(1e-9));
        assertThat(r.databaseWriteTransactionsPerRequest()).isCloseTo(1.005, within(1e-9));
    }

    @Test
    void allProcesses_addEnvoyServiceGeneratorAndDatabase_andTheCeilingIsCoresOverCpuPerCall() {
        ScenarioResult r = result(WRITES_AT_1000, 200, 0.3, new DatabaseSampler.Reading(0.1, 600, 200));

        // 0.3 + 0.8 + 0.2 + 0.5 = 1.8 CPU seconds per 1,000 calls: 2 cores serve 2 / 0.0018 calls a second.
        assertThat(r.allProcessesCpuPer1000()).isCloseTo(1.8, within(1e-9));
        assertThat(r.cpuCeilingPerSecond(2)).hasValueCloseTo(1111.11, within(0.01));
        assertThat(r.cpuCeilingPerSecond(4)).hasValueCloseTo(2222.22, within(0.01));
    }

    @Test
    void aPathWithoutEnvoy_doesNotSubtractItsMarker() {
        Scenario direct = new Scenario(Target.GRPC_DIRECT, Operation.CREATE_SPREAD, new LoadShape.Open(1000));
        ScenarioResult r = result(direct, 200, -1, new DatabaseSampler.Reading(0.1, 600, 200));

        assertThat(r.allProcessesCpuPer1000()).isCloseTo(1.5, within(1e-9));
        assertThat(r.cpuCeilingPerSecond(2)).hasValueCloseTo(1333.33, within(0.01));
    }

    @Test
    void noCpuMeasured_hasNoCeiling_andTheReportSaysNull() {
        ScenarioResult r = new ScenarioResult(WRITES_AT_1000, 0, 0, 0, Map.of(), 1.0, Latencies.of(new long[0]), -1, 0,
                0, 0, 0, new JvmWindow(Instant.EPOCH, Instant.EPOCH, new ServiceJvmProbe.Allocation(0, 0),
                new GcPauses.Summary(0, 0, 0, 0, 0)), new DatabaseSampler.Reading(0, 0, 0));

        assertThat(r.cpuCeilingPerSecond(2)).isEmpty();
        assertThat(Report.scenarios(List.of(r), 2).get(0).get("cpu_ceiling_rps").isNull()).isTrue();
    }

    @Test
    void theReport_givesEachProcessTheSumTheCeilingAndTheTransactions() {
        JsonNode entry = Report.scenarios(List.of(result(WRITES_AT_1000, 200, 0.3,
                new DatabaseSampler.Reading(0.1, 600, 200))), 2).get(0);

        assertThat(entry.at("/cpu_seconds_per_1000_requests/database").asDouble()).isEqualTo(0.5);
        assertThat(entry.at("/cpu_seconds_per_1000_requests/all_processes").asDouble()).isEqualTo(1.8);
        assertThat(entry.at("/cpu_ceiling_rps").asLong()).isEqualTo(1111);
        assertThat(entry.at("/database/transactions_per_request").asDouble()).isEqualTo(3.0);
        assertThat(entry.at("/database/write_transactions_per_request").asDouble()).isEqualTo(1.0);
    }

    @Test
    void theTable_showsTheDatabaseTheSumAndTheCeiling() {
        String table = MarkdownTable.render("t", List.of(result(WRITES_AT_1000, 200, 0.3,
                new DatabaseSampler.Reading(0.1, 600, 200))), 2);

        assertThat(table).contains("| database | all | CPU ceiling/s | DB xacts/call |")
                .contains("| 0.300 | 0.800 | 0.200 | 0.500 | 1.800 | 1111 | 3.00 |");
    }
}
