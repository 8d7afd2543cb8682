package dev.paygate.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class BenchOptionsTest {

    private static final Path RESULTS = Path.of("bench/results");
    private static final Scenario REST_EDGE_READ =
            new Scenario(Target.REST_EDGE, Operation.READ, new LoadShape.Closed(16));
    private static final Scenario REST_FLOOR_READ =
            new Scenario(Target.REST_FLOOR, Operation.READ, new LoadShape.Closed(16));
    private static final Scenario REST_EDGE_READ_64 =
            new Scenario(Target.REST_EDGE, Operation.READ, new LoadShape.Closed(64));
    private static final Scenario GRPC_EDGE_WRITE = new Scenario(Target.GRPC_EDGE, Operation.CREATE_SPREAD,
            new LoadShape.Open(500));

    @Test
    void withoutOnly_everyScenarioRuns_andTheRunIsNotPartial() {
        BenchOptions options = BenchOptions.parse(new String[] {"--seconds", "3"}, RESULTS);

        assertThat(options.partial()).isFalse();
        assertThat(options.measureSeconds()).isEqualTo(3);
        assertThat(options.selects(REST_EDGE_READ)).isTrue();
        assertThat(options.selects(GRPC_EDGE_WRITE)).isTrue();
    }

    @Test
    void openingWarmup_ofAMeasuringRun_isLongEnoughForTheJits_evenWithAShortPerScenarioWarmup() {
        assertThat(BenchOptions.parse(new String[] {"--warmup", "1"}, RESULTS).openingWarmupSeconds()).isEqualTo(8);
        assertThat(BenchOptions.parse(new String[] {"--warmup", "12"}, RESULTS).openingWarmupSeconds()).isEqualTo(12);
        // The smoke run measures nothing worth quoting: it keeps its short warm-up.
        assertThat(BenchOptions.parse(new String[] {"--short"}, RESULTS).openingWarmupSeconds()).isEqualTo(0.5);
    }

    @Test
    void only_selectsScenariosWhoseWholeNameMatches() {
        BenchOptions options = BenchOptions.parse(new String[] {"--only", "rest_(edge|floor)\\.read\\.closed16"},
                RESULTS);

        assertThat(options.partial()).isTrue();
        assertThat(options.selects(REST_EDGE_READ)).isTrue();
        assertThat(options.selects(REST_FLOOR_READ)).isTrue();
        // A whole-name match: closed16 is not a prefix match for closed64, nor "read" for any other part.
        assertThat(options.selects(REST_EDGE_READ_64)).isFalse();
        assertThat(options.selects(GRPC_EDGE_WRITE)).isFalse();
    }

    @Test
    void only_isAnchored_soAFragmentSelectsNothing() {
        BenchOptions options = BenchOptions.parse(new String[] {"--only", "rest_edge"}, RESULTS);

        assertThat(options.selects(REST_EDGE_READ)).isFalse();
        assertThat(BenchOptions.parse(new String[] {"--only", "rest_edge\\..*"}, RESULTS).selects(REST_EDGE_READ))
                .isTrue();
    }

    @Test
    void everyFlagThatHelpLists_isRead() {
        BenchOptions options = BenchOptions.parse(new String[] {"--short", "--db", "pg-durable", "--seconds", "2.5",
                "--warmup", "1", "--history", "1000", "--results", "/tmp/r", "--only", "grpc_direct\\..*"}, RESULTS);

        assertThat(options.smoke()).isTrue();
        assertThat(options.database()).isEqualTo(dev.paygate.devstack.Database.POSTGRES_DURABLE);
        assertThat(options.databaseName()).isEqualTo("pg-durable");
        assertThat(options.measureSeconds()).isEqualTo(2.5);
        assertThat(options.warmupSeconds()).isEqualTo(1);
        assertThat(options.history()).isEqualTo(1000);
        assertThat(options.resultsDir()).isEqualTo(Path.of("/tmp/r"));
        assertThat(options.selects(GRPC_EDGE_WRITE)).isFalse();
    }

    @Test
    void anUnknownFlag_orDatabase_isAUsageError_thatShowsTheUsage() {
        assertThat(BenchOptions.parse(new String[0], RESULTS).database())
                .isEqualTo(dev.paygate.devstack.Database.POSTGRES_DURABLE);
        assertThatThrownBy(() -> BenchOptions.parse(new String[] {"--fast"}, RESULTS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--fast")
                .hasMessageContaining("[--db pg-durable|pg]");
        assertThatThrownBy(() -> BenchOptions.parse(new String[] {"--db", "h2"}, RESULTS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("h2");
    }

    @Test
    void only_withoutAValue_orWithABrokenRegex_isAUsageError() {
        assertThatThrownBy(() -> BenchOptions.parse(new String[] {"--only"}, RESULTS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--only REGEX");
        assertThatThrownBy(() -> BenchOptions.parse(new String[] {"--only", "rest_(edge"}, RESULTS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--only")
                .hasMessageContaining("rest_(edge");
    }
}
