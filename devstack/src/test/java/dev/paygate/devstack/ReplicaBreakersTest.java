package dev.paygate.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.Repository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplicaBreakersTest {

    private static final String SERVICE = "circuit_breakers.paygate_service.default.max_requests";
    private static final String CANARY = "circuit_breakers.paygate_canary.default.max_requests";

    @TempDir
    Path dir;

    private ReplicaBreakers breakers() {
        Stack.Options options = TestStacks.options(1, dir)
                .withServiceEnvironment(Map.of("PAYGATE_WORKERS", "8", "PAYGATE_QUEUE_CAPACITY", "80"))
                .withCanaryEnvironment(Map.of("PAYGATE_QUEUE_CAPACITY", "16"));
        return ReplicaBreakers.of(Repository.locate(), options);
    }

    @Test
    void bounds_areReplicasTimesWhatEachAdmitsInItsOwnEnvironment() {
        assertThat(breakers().bounds(3, 2)).containsExactly(Map.entry(SERVICE, 3 * 88L), Map.entry(CANARY, 2 * 24L));
    }

    @Test
    void bounds_leaveAClusterWithoutReplicasAtEnvoyYamlsValue() {
        assertThat(breakers().bounds(1, 0)).containsOnlyKeys(SERVICE);
    }

    @Test
    void render_startsEnvoyWithTheBoundsOfItsReplicas() {
        EnvoyConfig config = breakers().render(EnvoyConfig.load(Repository.locate().envoyYaml()), 2, 1);
        String rendered = config.render();
        assertThat(rendered).contains(SERVICE + ": 176", CANARY + ": 24");
    }

    @Test
    void follow_keepsTheBoundsForARestartedEnvoy_andLogsWhoChangedThem() throws IOException {
        breakers().follow(List.of(), 1, 0);

        assertThat(KeptRuntime.value(KeptRuntime.dir(dir), SERVICE)).contains("88");
        assertThat(KeptRuntime.value(KeptRuntime.dir(dir), CANARY)).isEmpty();
        assertThat(Files.readString(KeptRuntime.dir(dir).resolve("changes.log")))
                .contains(SERVICE + "=88", "./paygate scale 1");
    }
}
