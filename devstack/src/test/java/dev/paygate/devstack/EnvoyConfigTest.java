package dev.paygate.devstack;

import static dev.paygate.edge.EnvoyConfig.cast;
import static dev.paygate.edge.EnvoyConfig.list;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
    private static final String BODY_CAP = "paygate.filters.http.body_cap";

    @TempDir
    Path workDir;

    // --- envoy --mode validate

    @Test
    void shippedConfig_withBuiltDescriptor_passesEnvoyValidate() {
        Path rendered = LocalEdge.withLocalFiles(EnvoyConfig.load(REPOSITORY.envoyYaml()), REPOSITORY,
                DevCredentials.ensure(workDir)).writeTo(workDir.resolve("envoy.shipped.yaml"));

        assertThat(EnvoyProcess.validate(REPOSITORY.envoyBinary(), rendered)).contains("OK");
    }

    @Test
    void localRendering_twoReplicas_passesEnvoyValidate() {
        EnvoyConfig local = LocalEdge.render(EnvoyConfig.load(REPOSITORY.envoyYaml()), REPOSITORY,
                DevCredentials.ensure(workDir), 18080, 19901, 19902,
                List.of(new InetSocketAddress("127.0.0.1", 50051), new InetSocketAddress("127.0.0.1", 50052)));

        assertThat(EnvoyProcess.validate(REPOSITORY.envoyBinary(), local.writeTo(workDir.resolve("envoy.local.yaml"))))
                .contains("OK");
        Map<String, Object> cluster = local.cluster(EnvoyConfig.SERVICE_CLUSTER);
        assertThat(cluster).containsEntry("type", "STATIC");
        Map<String, Object> locality = cast(list(map(cluster, "load_assignment"), "endpoints").get(0));
        assertThat(list(locality, "lb_endpoints")).hasSize(2);
    }

    @Test
    void localRendering_replicasFromWatchedFiles_passesEnvoyValidateAndTheRules() {
        EndpointFiles endpoints = new EndpointFiles(workDir.resolve("endpoints"));
        endpoints.publish(EnvoyConfig.SERVICE_CLUSTER,
                List.of(new InetSocketAddress("127.0.0.1", 50051), new InetSocketAddress("127.0.0.1", 50052)));
        endpoints.publish(EnvoyConfig.CANARY_CLUSTER, List.of());
        EnvoyConfig local = LocalEdge.discoverFrom(LocalEdge.render(EnvoyConfig.load(REPOSITORY.envoyYaml()), REPOSITORY,
                DevCredentials.ensure(workDir), 18080, 19901, 19902, List.of()), endpoints);
        Path file = local.writeTo(workDir.resolve("envoy.local.yaml"));

        assertThat(EnvoyProcess.validate(REPOSITORY.envoyBinary(), file)).contains("OK");
        for (String name : List.of(EnvoyConfig.SERVICE_CLUSTER, EnvoyConfig.CANARY_CLUSTER)) {
            Map<String, Object> cluster = local.cluster(name);
            assertThat(cluster).containsEntry("type", "EDS").containsEntry("ignore_health_on_host_removal", true)
                    .doesNotContainKey("load_assignment");
            assertThat(cluster.get("eds_cluster_config").toString()).contains(endpoints.file(name).toString());
        }
        assertThat(dev.paygate.edge.policy.EdgeRules.check(EnvoyConfig.load(file),
                dev.paygate.contract.Contract.load(REPOSITORY.descriptorSet()))).isEmpty();
    }

    @Test
    void testRendering_withHeaderDrivenFaults_passesEnvoyValidate() {
        EnvoyConfig faulty = HeaderDrivenFaults.add(LocalEdge.render(EnvoyConfig.load(REPOSITORY.envoyYaml()),
                REPOSITORY, DevCredentials.ensure(workDir), 18080, 19901, 19902,
                List.of(new InetSocketAddress("127.0.0.1", 50051))));

        assertThat(EnvoyProcess.validate(REPOSITORY.envoyBinary(), faulty.writeTo(workDir.resolve("envoy.test.yaml"))))
                .contains("OK");
        List<String> names = faulty.httpFilterNames();
        assertThat(names.get(names.size() - 2)).as("the fault filter sits just before the router")
                .isEqualTo(HeaderDrivenFaults.FILTER);
    }

    @Test
    void testRendering_withForwardedClients_passesEnvoyValidate_andKeepsTheFloorsKeys() {
        EnvoyConfig forwarded = ForwardedClients.add(LocalEdge.render(EnvoyConfig.load(REPOSITORY.envoyYaml()),
                REPOSITORY, DevCredentials.ensure(workDir), 18080, 19901, 19902,
                List.of(new InetSocketAddress("127.0.0.1", 50051))));

        assertThat(EnvoyProcess.validate(REPOSITORY.envoyBinary(),
                forwarded.writeTo(workDir.resolve("envoy.forwarded.yaml")))).contains("OK");
        assertThat(forwarded.connectionManager()).containsEntry("xff_num_trusted_hops", 1);
        assertThat(map(forwarded.httpFilter(ForwardedClients.FLOOR), "typed_config").get("rate_limits"))
                .isEqualTo(map(shipped().httpFilter(ForwardedClients.FLOOR), "typed_config").get("rate_limits"));
        assertThat(shipped().connectionManager()).as("the shipped edge trusts no client's x-forwarded-for")
                .doesNotContainKey("xff_num_trusted_hops");
    }

    @Test
    void shippedConfig_takesNoFaultFromRequestHeaders() {
        assertThat(shipped().httpFilterNames()).doesNotContain(HeaderDrivenFaults.FILTER);
        // The header bound's fault filter aborts with a fixed 431; none may read x-envoy-fault-*.
        assertThat(readString(REPOSITORY.envoyYaml())).doesNotContain("header_delay", "header_abort", "header_limit");
    }

    // --- the strict-JSON filter in the shipped tree (the other edge policies are the checker's rules)

    @Test
    void shippedConfig_strictJsonSitsBetweenBufferAndTranscoder_andSkipsExactlyEnvoysGrpc() {
        List<String> names = shipped().httpFilterNames();
        assertThat(names.indexOf(EnvoyConfig.STRICT_JSON))
                .isGreaterThan(names.indexOf("envoy.filters.http.buffer"))
                .isLessThan(names.indexOf("envoy.filters.http.grpc_json_transcoder"));

        Map<String, Object> wrapper = map(shipped().httpFilter(EnvoyConfig.STRICT_JSON), "typed_config");
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
        assertThat(map(shipped().httpFilter(EnvoyConfig.TRANSCODER), "typed_config"))
                .doesNotContainKey("match_unregistered_custom_verb");
    }

    @Test
    void shippedConfig_bodyCapSitsJustBeforeTheBuffer_withItsCap_andSkipsGrpcAsStrictJsonDoes() {
        EnvoyConfig shipped = shipped();
        List<String> names = shipped.httpFilterNames();
        assertThat(names.indexOf(BODY_CAP)).isEqualTo(names.indexOf("envoy.filters.http.buffer") - 1);
        Matcher cap = Pattern.compile("(?m)^local CAP = (\\d+)").matcher(readString(REPOSITORY.bodyCapLua()));
        assertThat(cap.find()).as("body_cap.lua sets CAP").isTrue();
        assertThat(Integer.valueOf(cap.group(1)))
                .isEqualTo(map(shipped.httpFilter("envoy.filters.http.buffer"), "typed_config").get("max_request_bytes"));
        assertThat(map(shipped.httpFilter(BODY_CAP), "typed_config", "xds_matcher"))
                .isEqualTo(map(shipped.httpFilter(EnvoyConfig.STRICT_JSON), "typed_config", "xds_matcher"));
    }

    // --- reading the tree

    private static EnvoyConfig shipped() {
        return EnvoyConfig.load(REPOSITORY.envoyYaml());
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

    private static String readString(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new AssertionError("cannot read " + file, e);
        }
    }
}
