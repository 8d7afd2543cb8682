package dev.paygate.edge.capacity;

import static dev.paygate.edge.EnvoyConfig.cast;
import static dev.paygate.edge.EnvoyConfig.list;
import static dev.paygate.edge.EnvoyConfig.map;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.Repository;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

class ReplicaBreakerTest {

    private static final Repository REPOSITORY = Repository.locate();

    @Test
    void envoyYamlsBound_isTheDefaultReplicasTimesWhatOneAdmits() throws IOException {
        EnvoyConfig shipped = EnvoyConfig.load(REPOSITORY.envoyYaml());
        long perReplica = ServiceAdmission.read(REPOSITORY.serviceConfig()).perReplica(Map.of());
        Map<String, Object> compose = new Yaml().load(Files.readString(REPOSITORY.root().resolve("docker-compose.yml")));
        int replicas = (Integer) map(map(map(compose, "services"), "service"), "deploy").get("replicas");

        assertThat(maxRequests(shipped, EnvoyConfig.SERVICE_CLUSTER)).isEqualTo(replicas * perReplica);
        assertThat(maxRequests(shipped, EnvoyConfig.CANARY_CLUSTER)).isEqualTo(replicas * perReplica);
    }

    @Test
    void render_setsTheKeysInTheStaticLayer_envoyYamlsThresholdStays() {
        EnvoyConfig config = EnvoyConfig.load(REPOSITORY.envoyYaml());
        long shippedBound = maxRequests(config, EnvoyConfig.SERVICE_CLUSTER);

        ReplicaBreaker.render(config, Map.of(ReplicaBreaker.maxRequestsKey(EnvoyConfig.SERVICE_CLUSTER), 288L));

        assertThat(staticLayer(config)).containsEntry("circuit_breakers.paygate_service.default.max_requests", 288L);
        assertThat(maxRequests(config, EnvoyConfig.SERVICE_CLUSTER)).isEqualTo(shippedBound);
    }

    @Test
    void maxRequests_isReplicasTimesAdmission() {
        assertThat(ReplicaBreaker.maxRequests(3, 96)).isEqualTo(288);
        assertThat(ReplicaBreaker.maxRequests(1, 96)).isEqualTo(96);
        assertThat(ReplicaBreaker.maxRequests(0, 96)).isZero();
        assertThatThrownBy(() -> ReplicaBreaker.maxRequests(-1, 96)).isInstanceOf(IllegalArgumentException.class);
    }

    private static long maxRequests(EnvoyConfig config, String cluster) {
        Map<String, Object> threshold = cast(list(map(config.cluster(cluster), "circuit_breakers"), "thresholds").get(0));
        assertThat(threshold.get("priority")).isEqualTo("DEFAULT");
        return ((Number) threshold.get("max_requests")).longValue();
    }

    private static Map<String, Object> staticLayer(EnvoyConfig config) {
        return map(cast(list(map(config.tree(), "layered_runtime"), "layers").get(0)), "static_layer");
    }
}
