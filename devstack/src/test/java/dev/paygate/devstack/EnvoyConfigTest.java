package dev.paygate.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.devstack.credentials.DevCredentials;
import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.EnvoyProcess;
import dev.paygate.edge.Repository;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The repository's {@code envoy.yaml} as Envoy itself reads it: every rendering that ships or runs
 * passes {@code envoy --mode validate}, and the strict-JSON filter sits where it must. (The other
 * edge policies are the policy checker's rules, {@code dev.paygate.edge.policy}, with their own
 * tests; docker-compose.yml has ComposeTest.)
 */
@Tag("static")
class EnvoyConfigTest {

    private static final Repository REPOSITORY = Repository.locate();
    private static final String FAULT_FILTER = "envoy.filters.http.fault";

    @TempDir
    Path workDir;

    // --- envoy --mode validate

    @Test
    void shippedConfig_withBuiltDescriptor_passesEnvoyValidate() {
        Path rendered = withLocalFiles(EnvoyConfig.load(REPOSITORY.envoyYaml()))
                .writeTo(workDir.resolve("envoy.shipped.yaml"));

        assertThat(EnvoyProcess.validate(REPOSITORY.envoyBinary(), rendered)).contains("OK");
    }

    @Test
    void localRendering_twoReplicas_passesEnvoyValidate() {
        EnvoyConfig local = LocalEdge.render(EnvoyConfig.load(REPOSITORY.envoyYaml()), REPOSITORY,
                DevCredentials.ensure(workDir), 18080, 19901, 19902,
                List.of(new InetSocketAddress("127.0.0.1", 50051), new InetSocketAddress("127.0.0.1", 50052)));

        assertThat(EnvoyProcess.validate(REPOSITORY.envoyBinary(), local.writeTo(workDir.resolve("envoy.local.yaml"))))
                .contains("OK");
        assertThat(cluster(local.tree())).containsEntry("type", "STATIC");
        Map<String, Object> locality = cast(list(map(cluster(local.tree()), "load_assignment"), "endpoints").get(0));
        assertThat(list(locality, "lb_endpoints")).hasSize(2);
    }

    @Test
    void testRendering_withHeaderDrivenFaults_passesEnvoyValidate() {
        EnvoyConfig faulty = withLocalFiles(EnvoyConfig.load(REPOSITORY.envoyYaml()))
                .listenOn("127.0.0.1", 18080)
                .adminOn(19901)
                .upstreams(List.of(new InetSocketAddress("127.0.0.1", 50051)))
                .withHeaderDrivenFaults();

        assertThat(EnvoyProcess.validate(REPOSITORY.envoyBinary(), faulty.writeTo(workDir.resolve("envoy.test.yaml"))))
                .contains("OK");
        List<String> names = httpFilters(faulty.tree()).stream().map(f -> (String) f.get("name")).toList();
        assertThat(names.get(names.size() - 2)).as("the fault filter sits just before the router").isEqualTo(FAULT_FILTER);
    }

    @Test
    void shippedConfig_hasNoFaultFilter() {
        assertThat(httpFilters(shipped())).extracting(f -> f.get("name")).doesNotContain(FAULT_FILTER);
        assertThat(readString(REPOSITORY.envoyYaml())).doesNotContain("fault.v3");
    }

    // --- the benchmark's floor (dev.paygate.bench.FloorEdge)

    @Test
    void floor_keepsOnlyTranscoderAndRouter_andPassesEnvoyValidate() {
        EnvoyConfig floor = withLocalFiles(EnvoyConfig.load(REPOSITORY.envoyYaml())).transcoderAndRouterOnly();

        assertThat(floor.httpFilterNames())
                .containsExactly("envoy.filters.http.grpc_json_transcoder", "envoy.filters.http.router");
        assertThat(EnvoyProcess.validate(REPOSITORY.envoyBinary(), floor.writeTo(workDir.resolve("envoy.floor.yaml"))))
                .contains("OK");
    }

    @Test
    void floor_dropsRouteSettingsOfRemovedFilters_keepsTlsAndTheRoutes() {
        EnvoyConfig floor = withLocalFiles(EnvoyConfig.load(REPOSITORY.envoyYaml())).transcoderAndRouterOnly();
        for (Map<String, Object> route : floor.routes()) {
            assertThat(route).doesNotContainKey("rate_limits");
            if (route.get("typed_per_filter_config") instanceof Map<?, ?> perFilter) {
                assertThat(new ArrayList<Object>(perFilter.keySet())).as(route.get("name") + "'s per-filter configs")
                        .containsOnly((Object) "envoy.filters.http.grpc_json_transcoder");
            }
        }
        assertThat(floor.render()).doesNotContain("LocalRateLimit", "JwtAuthentication", "strict_json.lua");
        assertThat(listener(floor.tree())).containsKey("filter_chains");
        assertThat(map(cast(list(listener(floor.tree()), "filter_chains").get(0)), "transport_socket"))
                .containsEntry("name", "envoy.transport_sockets.tls");
        assertThat(floor.routes()).extracting(route -> route.get("name"))
                .isEqualTo(EnvoyConfig.load(REPOSITORY.envoyYaml()).routes().stream().map(r -> r.get("name")).toList());
        // The shipped config is untouched by deriving the floor from another copy of it.
        assertThat(EnvoyConfig.load(REPOSITORY.envoyYaml()).httpFilterNames()).contains("envoy.filters.http.jwt_authn");
    }

    /** The files the shipped config reads from its compose mounts, made locally as the launcher makes them. */
    private EnvoyConfig withLocalFiles(EnvoyConfig config) {
        DevCredentials credentials = DevCredentials.ensure(workDir);
        return config.descriptor(REPOSITORY.descriptorSet())
                .docs(REPOSITORY.edgeDocs())
                .strictJson(REPOSITORY.strictJsonLua())
                .serverCertificate(credentials.serverCertificate(), credentials.serverKey())
                .jwks(credentials.signingKey().jwksFile());
    }

    // --- the strict-JSON filter in the shipped tree (the other edge policies are the checker's rules)

    @Test
    void shippedConfig_strictJsonSitsBetweenBufferAndTranscoder_andSkipsExactlyEnvoysGrpc() {
        List<String> names = httpFilters(shipped()).stream().map(f -> (String) f.get("name")).toList();
        assertThat(names.indexOf("envoy.filters.http.lua"))
                .isGreaterThan(names.indexOf("envoy.filters.http.buffer"))
                .isLessThan(names.indexOf("envoy.filters.http.grpc_json_transcoder"));

        Map<String, Object> wrapper = map(httpFilter(shipped(), "envoy.filters.http.lua"), "typed_config");
        assertThat(map(wrapper, "extension_config", "typed_config", "default_source_code"))
                .containsEntry("filename", "/etc/envoy/strict_json.lua");
        List<String> skips = new ArrayList<>();
        for (Object matcher : list(map(wrapper, "xds_matcher", "matcher_list"), "matchers")) {
            Map<String, Object> predicate = map(cast(matcher), "predicate", "single_predicate");
            assertThat(map(predicate, "input", "typed_config")).containsEntry("header_name", "content-type");
            assertThat(map(cast(matcher), "on_match", "action", "typed_config").get("@type"))
                    .isEqualTo("type.googleapis.com/envoy.extensions.filters.common.matcher.action.v3.SkipFilter");
            skips.add(map(predicate, "value_match").toString());
        }
        assertThat(skips).containsExactly("{exact=application/grpc}", "{prefix=application/grpc+}");
        // The program splits a custom verb off the path only for verbs the contract binds, as the
        // transcoder does unless told to match unregistered verbs too.
        assertThat(map(httpFilter(shipped(), "envoy.filters.http.grpc_json_transcoder"), "typed_config"))
                .doesNotContainKey("match_unregistered_custom_verb");
    }

    // --- reading the tree

    private static Map<String, Object> shipped() {
        return EnvoyConfig.load(REPOSITORY.envoyYaml()).tree();
    }

    private static Map<String, Object> listener(Map<String, Object> root) {
        return list(map(root, "static_resources"), "listeners").stream().map(EnvoyConfigTest::cast)
                .filter(l -> "paygate_public".equals(l.get("name"))).findFirst().orElseThrow();
    }

    private static Map<String, Object> cluster(Map<String, Object> root) {
        return list(map(root, "static_resources"), "clusters").stream().map(EnvoyConfigTest::cast)
                .filter(c -> "paygate_service".equals(c.get("name"))).findFirst().orElseThrow();
    }

    private static Map<String, Object> connectionManager(Map<String, Object> root) {
        Map<String, Object> chain = cast(list(listener(root), "filter_chains").get(0));
        return map(cast(list(chain, "filters").get(0)), "typed_config");
    }

    private static List<Map<String, Object>> httpFilters(Map<String, Object> root) {
        return list(connectionManager(root), "http_filters").stream().map(EnvoyConfigTest::cast).toList();
    }

    private static Map<String, Object> httpFilter(Map<String, Object> root, String name) {
        return httpFilters(root).stream().filter(f -> name.equals(f.get("name"))).findFirst().orElseThrow();
    }

    private static Map<String, Object> map(Map<String, Object> owner, String... path) {
        Map<String, Object> current = owner;
        for (String key : path) {
            Object value = current.get(key);
            assertThat(value).as("mapping at %s", key).isInstanceOf(Map.class);
            current = cast(value);
        }
        return current;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Map<String, Object> owner, String key) {
        Object value = owner.get(key);
        assertThat(value).as("list at %s", key).isInstanceOf(List.class);
        return (List<Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Object value) {
        return (Map<String, Object>) value;
    }

    private static String readString(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new AssertionError("cannot read " + file, e);
        }
    }
}
