package dev.paygate.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.gateway.credentials.DevCredentials;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * The repository's {@code envoy.yaml} as Envoy itself and as an operator read it: every rendering
 * that ships or runs passes {@code envoy --mode validate}, and the policy the file's comments
 * promise (loopback admin, a budget on every route, no retry of unkeyed writes, bounded bodies)
 * holds in its parsed tree. Also checks that docker-compose runs the Envoy version the
 * {@code ./paygate} script installs, on the same file.
 */
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
        EnvoyConfig local = withLocalFiles(EnvoyConfig.load(REPOSITORY.envoyYaml()))
                .listenOn("127.0.0.1", 18080)
                .adminOn(19901)
                .upstreams(List.of(new InetSocketAddress("127.0.0.1", 50051), new InetSocketAddress("127.0.0.1", 50052)));

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

    /** The files the shipped config reads from its compose mounts, made locally as the launcher makes them. */
    private EnvoyConfig withLocalFiles(EnvoyConfig config) {
        DevCredentials credentials = DevCredentials.ensure(workDir);
        return config.descriptor(REPOSITORY.descriptorSet())
                .strictJson(REPOSITORY.strictJsonLua())
                .serverCertificate(credentials.serverCertificate(), credentials.serverKey())
                .jwks(credentials.signingKey().jwksFile());
    }

    // --- policy in the shipped tree

    @Test
    void shippedConfig_adminListensOnLoopbackOnly() {
        assertThat(map(map(shipped(), "admin"), "address", "socket_address")).containsEntry("address", "127.0.0.1");
    }

    @Test
    void shippedConfig_everyMethodRouteHasAStreamBudget() {
        List<Map<String, Object>> routes = routes(shipped());
        Map<String, Object> catchAll = routes.get(routes.size() - 1);
        assertThat(map(catchAll, "match")).containsEntry("prefix", "/");
        assertThat(catchAll).containsKey("direct_response");

        assertThat(routes.stream().filter(route -> route.containsKey("route")).toList()).isNotEmpty().allSatisfy(route -> {
            assertThat(budget(route)).as("max_stream_duration of route %s", route.get("name"))
                    .isPositive();
            assertThat(duration(map(route, "route", "max_stream_duration").get("grpc_timeout_header_max")))
                    .as("a client's grpc-timeout is capped at the budget on route %s", route.get("name"))
                    .isEqualTo(budget(route));
        });
    }

    @Test
    void shippedConfig_readsHaveAShorterBudgetThanWrites() {
        Map<String, Object> tree = shipped();
        Duration reads = budget(route(tree, "reads"));

        assertThat(reads).isLessThan(budget(route(tree, "writes")));
        assertThat(reads).isLessThan(budget(route(tree, "writes_idempotent")));
    }

    @Test
    void shippedConfig_unkeyedWritesAreNeverRetried() {
        Map<String, Object> writes = route(shipped(), "writes");
        Object policy = map(writes, "route").get("retry_policy");

        if (policy != null) {
            @SuppressWarnings("unchecked")
            Map<String, Object> retry = (Map<String, Object>) policy;
            assertThat(retry.get("num_retries")).isEqualTo(0);
            assertThat(retry).doesNotContainKeys("retry_on", "retriable_status_codes", "retriable_headers");
        }
    }

    @Test
    void shippedConfig_keyedWritesRouteRequiresTheKeyAndIsMatchedFirst() {
        Map<String, Object> tree = shipped();
        List<Map<String, Object>> routes = routes(tree);
        Map<String, Object> keyed = route(tree, "writes_idempotent");
        Map<String, Object> unkeyed = route(tree, "writes");

        assertThat(routes.indexOf(keyed)).as("first match wins: keyed before unkeyed")
                .isLessThan(routes.indexOf(unkeyed));
        assertThat(map(keyed, "match").get("safe_regex")).isEqualTo(map(unkeyed, "match").get("safe_regex"));
        assertThat(list(map(keyed, "match"), "headers")).as("a well-formed key, not merely a present one").containsExactly(
                Map.of("name", "idempotency-key", "string_match", Map.of("safe_regex", Map.of("regex", "^[!-~]{1,255}$"))));
        assertThat(map(unkeyed, "match")).doesNotContainKey("headers");
    }

    @Test
    void shippedConfig_noRouteRetriesClientErrorsOrRateLimits() {
        for (Map<String, Object> route : routes(shipped())) {
            Map<String, Object> action = cast(route.get("route"));
            if (action == null || action.get("retry_policy") == null) {
                continue;
            }
            Map<String, Object> policy = map(action, "retry_policy");
            List<String> retryOn = Arrays.stream(String.valueOf(policy.getOrDefault("retry_on", "")).split(","))
                    .map(String::trim).toList();
            assertThat(retryOn).as("retry_on of route %s", route.get("name"))
                    .doesNotContain("retriable-4xx", "resource-exhausted", "retriable-status-codes");
            assertThat(policy).doesNotContainKey("retriable_status_codes");
        }
    }

    @Test
    void shippedConfig_retriedRoutes_allAttemptsFitTheBudget() {
        for (Map<String, Object> route : routes(shipped())) {
            Map<String, Object> action = cast(route.get("route"));
            if (action == null || action.get("retry_policy") == null) {
                continue;
            }
            Map<String, Object> policy = map(action, "retry_policy");
            int attempts = 1 + ((Number) policy.getOrDefault("num_retries", 1)).intValue();
            Duration perTry = duration(policy.get("per_try_timeout"));
            assertThat(perTry.multipliedBy(attempts)).as("%d attempts of route %s", attempts, route.get("name"))
                    .isLessThanOrEqualTo(budget(route));
        }
    }

    @Test
    void shippedConfig_transcoderRejectsUnknownQueryParametersAndBoundsBodies() {
        Map<String, Object> transcoder = map(httpFilter(shipped(), "envoy.filters.http.grpc_json_transcoder"),
                "typed_config");

        assertThat(map(transcoder, "request_validation_options"))
                .containsEntry("reject_unknown_query_parameters", true)
                .containsEntry("reject_unknown_method", true);
        assertThat(((Number) transcoder.get("max_request_body_size")).longValue()).isBetween(1L, 1L << 20);
        assertThat(((Number) transcoder.get("max_response_body_size")).longValue()).isPositive();
    }

    @Test
    void shippedConfig_bufferFilterBoundsRequestBodies() {
        Map<String, Object> buffer = map(httpFilter(shipped(), "envoy.filters.http.buffer"), "typed_config");

        assertThat(((Number) buffer.get("max_request_bytes")).longValue()).isBetween(1L, 1L << 20);
    }

    /**
     * The strict-JSON filter reads the whole body (so after the buffer filter), must see REST
     * before the transcoder rewrites it, and is skipped exactly for what Envoy calls gRPC
     * (Grpc::Common::hasGrpcContentType: "application/grpc", or a prefix "application/grpc+").
     */
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

    // --- docker-compose.yml against ./paygate

    @Test
    void dockerCompose_runsTheInstalledEnvoyVersion_onTheShippedConfig_withAdminUnpublished() {
        Map<String, Object> compose = new Yaml().load(readString(REPOSITORY.root().resolve("docker-compose.yml")));
        Map<String, Object> envoy = map(compose, "services", "envoy");

        assertThat(envoy.get("image")).isEqualTo("envoyproxy/envoy:v" + installedEnvoyVersion());
        assertThat(volumeSources(envoy)).contains("./envoy.yaml", "./gateway/target/edge/strict_json.lua");
        List<String> ports = list(envoy, "ports").stream().map(String::valueOf).toList();
        assertThat(ports).isNotEmpty().noneMatch(port -> port.contains("9901"));
    }

    /** ENVOY_VERSION in the ./paygate script: what `./paygate setup` installs into .venv. */
    private static String installedEnvoyVersion() {
        Matcher version = Pattern.compile("(?m)^ENVOY_VERSION=\"([^\"]+)\"")
                .matcher(readString(REPOSITORY.root().resolve("paygate")));
        assertThat(version.find()).as("ENVOY_VERSION in ./paygate").isTrue();
        return version.group(1);
    }

    private static List<String> volumeSources(Map<String, Object> service) {
        List<String> sources = new ArrayList<>();
        for (Object volume : list(service, "volumes")) {
            if (volume instanceof Map<?, ?> longForm) {
                sources.add(String.valueOf(longForm.get("source")));
            } else {
                sources.add(String.valueOf(volume).split(":")[0]);
            }
        }
        return sources;
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

    private static List<Map<String, Object>> routes(Map<String, Object> root) {
        Map<String, Object> host = cast(list(map(connectionManager(root), "route_config"), "virtual_hosts").get(0));
        return list(host, "routes").stream().map(EnvoyConfigTest::cast).toList();
    }

    private static Map<String, Object> route(Map<String, Object> root, String name) {
        return routes(root).stream().filter(r -> name.equals(r.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no route " + name));
    }

    /** The route's whole budget, retries included: max_stream_duration.max_stream_duration. */
    private static Duration budget(Map<String, Object> route) {
        return duration(map(route, "route", "max_stream_duration").get("max_stream_duration"));
    }

    /** A protobuf JSON duration such as "2s" or "0.025s". */
    private static Duration duration(Object value) {
        String text = String.valueOf(value);
        assertThat(text).matches("\\d+(\\.\\d+)?s");
        return Duration.ofNanos(new BigDecimal(text.substring(0, text.length() - 1)).movePointRight(9).longValueExact());
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
