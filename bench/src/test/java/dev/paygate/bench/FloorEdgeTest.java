package dev.paygate.bench;

import static dev.paygate.edge.EnvoyConfig.cast;
import static dev.paygate.edge.EnvoyConfig.list;
import static dev.paygate.edge.EnvoyConfig.map;
import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.devstack.LocalEdge;
import dev.paygate.devstack.credentials.DevCredentials;
import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.EnvoyProcess;
import dev.paygate.edge.Repository;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark's floor: the shipped edge reduced to transcoder + router, which Envoy still loads. */
@Tag("static")
class FloorEdgeTest {

    private static final Repository REPOSITORY = Repository.locate();

    @TempDir
    Path workDir;

    @Test
    void floor_keepsOnlyTranscoderAndRouter_andPassesEnvoyValidate() {
        EnvoyConfig floor = FloorEdge.transcoderAndRouterOnly(shippedWithLocalFiles());

        assertThat(floor.httpFilterNames()).containsExactly(EnvoyConfig.TRANSCODER, EnvoyConfig.ROUTER);
        assertThat(EnvoyProcess.validate(REPOSITORY.envoyBinary(), floor.writeTo(workDir.resolve("envoy.floor.yaml"))))
                .contains("OK");
    }

    @Test
    void floor_dropsRouteSettingsOfRemovedFilters_keepsTlsAndTheRoutes() {
        EnvoyConfig floor = FloorEdge.transcoderAndRouterOnly(shippedWithLocalFiles());
        for (Map<String, Object> route : floor.routes()) {
            assertThat(route).doesNotContainKey("rate_limits");
            if (route.get("typed_per_filter_config") instanceof Map<?, ?> perFilter) {
                assertThat(new ArrayList<Object>(perFilter.keySet())).as(route.get("name") + "'s per-filter configs")
                        .containsOnly((Object) EnvoyConfig.TRANSCODER);
            }
        }
        assertThat(floor.render()).doesNotContain("LocalRateLimit", "JwtAuthentication", "strict_json.lua");
        Map<String, Object> listener = floor.listener(EnvoyConfig.PUBLIC_LISTENER);
        assertThat(map(cast(list(listener, "filter_chains").get(0)), "transport_socket"))
                .containsEntry("name", "envoy.transport_sockets.tls");
        assertThat(floor.routes()).extracting(route -> route.get("name"))
                .isEqualTo(EnvoyConfig.load(REPOSITORY.envoyYaml()).routes().stream().map(r -> r.get("name")).toList());
        // The shipped config is untouched by deriving the floor from another copy of it.
        assertThat(EnvoyConfig.load(REPOSITORY.envoyYaml()).httpFilterNames()).contains("envoy.filters.http.jwt_authn");
    }

    private EnvoyConfig shippedWithLocalFiles() {
        return LocalEdge.withLocalFiles(EnvoyConfig.load(REPOSITORY.envoyYaml()), REPOSITORY,
                DevCredentials.ensure(workDir));
    }
}
