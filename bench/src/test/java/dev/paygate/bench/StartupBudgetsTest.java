package dev.paygate.bench;

import static dev.paygate.bench.BudgetsTest.budget;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.paygate.devstack.Database;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class StartupBudgetsTest {

    /** A 30 s start whose writes reach 500/s from second {@code warmFrom} on (earlier: 100/s). */
    static ReplicaStart start(String configuration, OptionalLong firstWrite, int warmFrom, long peakRssMib) {
        long[] counts = new long[30];
        for (int second = 0; second < counts.length; second++) {
            counts[second] = second < 2 ? 0 : second < warmFrom ? 100 : 500;
        }
        return new ReplicaStart(configuration, Instant.EPOCH, 1500, firstWrite, StartupTimelineTest.timeline(10, counts),
                250, peakRssMib, 10_000, Map.of(), 3.5);
    }

    private static ArrayNode judge(List<ReplicaStart> runs, Database database) {
        return Budgets.judge(List.of(), runs, database, 0);
    }

    private static String status(ArrayNode budgets, String name) {
        return budget(budgets, name).get("status").asText();
    }

    /** Without the cache: first write at {@code firstWrite} ms, warm from second {@code warmFrom}; with it, one less. */
    private static ArrayNode judgeWithAndWithoutCache(long firstWrite, int warmFrom) {
        return judge(List.of(start(StartupProbe.PRODUCTION, OptionalLong.of(firstWrite), warmFrom, 400),
                start(StartupProbe.AOT_CACHE, OptionalLong.of(firstWrite - 200), warmFrom - 1, 400)),
                Database.POSTGRES_DURABLE);
    }

    @Test
    void aFirstWriteAt2100Ms_missesTheBudget_andOneAt1900MsWithTheCacheMeetsIt() {
        ArrayNode budgets = judgeWithAndWithoutCache(2100, 8);

        assertThat(status(budgets, "startup_first_keyed_write_ms")).isEqualTo("not_met");
        assertThat(budget(budgets, "startup_first_keyed_write_ms").get("figure").asDouble()).isEqualTo(2100);
        assertThat(status(budgets, "startup_first_keyed_write_ms_aot_cache")).isEqualTo("met");
        assertThat(budget(budgets, "startup_first_keyed_write_ms").get("issue").asInt()).isEqualTo(19);
    }

    @Test
    void warmAtSecond11_missesTheBudget_warmAtSecond10_meetsIt() {
        ArrayNode budgets = judgeWithAndWithoutCache(1000, 10);

        assertThat(status(budgets, "startup_seconds_to_warm")).isEqualTo("not_met");
        assertThat(budget(budgets, "startup_seconds_to_warm").get("figure").asInt()).isEqualTo(11);
        assertThat(status(budgets, "startup_seconds_to_warm_aot_cache")).isEqualTo("met");
    }

    @Test
    void aReplicaThatNeverAnsweredAWrite_missesTheBudget_withNoFigure() {
        ArrayNode budgets = judge(List.of(start(StartupProbe.PRODUCTION, OptionalLong.empty(), 8, 600)),
                Database.POSTGRES_DURABLE);

        assertThat(status(budgets, "startup_first_keyed_write_ms")).isEqualTo("not_met");
        assertThat(budget(budgets, "startup_first_keyed_write_ms").get("figure").isNull()).isTrue();
        assertThat(status(budgets, "startup_peak_rss_mib")).isEqualTo("not_met");
    }

    @Test
    void noStartupPartOrAnotherDatabase_isNotMeasured_andTheTrainingRunIsNotJudged() {
        ArrayNode none = judge(List.of(start(StartupProbe.AOT_TRAINING, OptionalLong.of(9000), 20, 400)),
                Database.POSTGRES_DURABLE);
        ArrayNode fsyncOff = judge(List.of(start(StartupProbe.PRODUCTION, OptionalLong.of(100), 3, 400)),
                Database.POSTGRES);

        assertThat(status(none, "startup_first_keyed_write_ms")).isEqualTo("not_measured");
        assertThat(status(none, "startup_seconds_to_warm_aot_cache")).isEqualTo("not_measured");
        assertThat(status(fsyncOff, "startup_first_keyed_write_ms")).isEqualTo("not_measured");
    }

    @Test
    void theSmokeRunsShortWindow_judgesTheFirstWriteButNotTheWarmUp() {
        ReplicaStart smoke = new ReplicaStart(StartupProbe.PRODUCTION, Instant.EPOCH, 1500, OptionalLong.of(1800),
                StartupTimelineTest.timeline(3, 0, 50, 80, 90, 100, 100, 100, 100), 250, 300, 500, Map.of(), 3);

        ArrayNode budgets = judge(List.of(smoke), Database.POSTGRES_DURABLE);

        assertThat(status(budgets, "startup_first_keyed_write_ms")).isEqualTo("met");
        assertThat(status(budgets, "startup_seconds_to_warm")).isEqualTo("not_measured");
    }
}
