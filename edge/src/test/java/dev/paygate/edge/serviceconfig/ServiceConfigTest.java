package dev.paygate.edge.serviceconfig;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.contract.Contract;
import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.Repository;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The shipped gRPC service configs say what the edge does: each rpc gets the deadline of the
 * Envoy route that serves it, and retries where that route retries on UNAVAILABLE (reads; writes
 * only in the config for clients that key every write), with the same attempts and back-off.
 * Every rpc of the contract is covered.
 */
@Tag("static")
class ServiceConfigTest {

    private static final Repository REPOSITORY = Repository.locate();
    private static final List<Map<String, Object>> ROUTES = EnvoyConfig.load(REPOSITORY.envoyYaml()).routes();

    private final Contract contract = Contract.load(REPOSITORY.descriptorSet());

    @Test
    void everyRpc_hasTheDeadlineAndRetriesOfItsEnvoyRoute() {
        Map<String, ?> safe = ServiceConfigs.load(ServiceConfigs.DEFAULT);
        Map<String, ?> keyed = ServiceConfigs.load(ServiceConfigs.KEYED_WRITES);
        int rpcs = 0;
        for (Contract.Method method : contract.methods()) {
            rpcs++;
            String path = method.grpcPath();
            if (method.streams()) {
                // A stream has no deadline and is never retried, by the edge (route `streams`) or a client.
                Map<String, Object> streams = route("streams", path);
                assertThat(streams).as(path).doesNotContainKey("retry_policy");
                assertThat(((Map<?, ?>) streams.get("route")).containsKey("retry_policy")).as(path).isFalse();
                for (Map<String, ?> config : List.<Map<String, ?>>of(safe, keyed)) {
                    Map<String, Object> streamConfig = ServiceConfigs.methodConfig(config, method.service(), method.name());
                    assertThat(streamConfig).as(path).doesNotContainKeys("timeout", "retryPolicy");
                }
                continue;
            }
            boolean read = method.reads();
            Map<String, Object> retried = route(read ? "reads" : "writes_idempotent", path);
            Map<String, Object> safeConfig = ServiceConfigs.methodConfig(safe, method.service(), method.name());
            Map<String, Object> keyedConfig = ServiceConfigs.methodConfig(keyed, method.service(), method.name());

            assertThat(duration(safeConfig.get("timeout"))).as(path).isEqualTo(budget(retried));
            assertThat(duration(keyedConfig.get("timeout"))).as(path).isEqualTo(budget(retried));
            assertSameRetries(path, keyedConfig, retried);
            if (read) {
                assertSameRetries(path, safeConfig, retried);
            } else {
                // Envoy retries an unkeyed write only when no replica can have seen it (the
                // connect failed, or the stream was refused unprocessed). A client cannot tell
                // those apart from a write that ran and then failed: UNAVAILABLE is all it sees.
                // So the default config never retries a write.
                Map<String, Object> unkeyed = route("writes", path);
                assertThat(List.of(retryPolicy(unkeyed).getOrDefault("retry_on", "").toString().split(",")))
                        .as("Envoy retries an unkeyed %s only when it never reached a replica", path)
                        .isSubsetOf("", "connect-failure", "refused-stream");
                assertThat(safeConfig).as("the default config never retries " + path).doesNotContainKey("retryPolicy");
                assertThat(duration(safeConfig.get("timeout"))).isEqualTo(budget(unkeyed));
            }
        }
        assertThat(rpcs).isPositive();
    }

    private static void assertSameRetries(String path, Map<String, Object> config, Map<String, Object> route) {
        @SuppressWarnings("unchecked")
        Map<String, Object> policy = (Map<String, Object>) config.get("retryPolicy");
        Map<String, Object> envoy = retryPolicy(route);
        @SuppressWarnings("unchecked")
        Map<String, Object> backOff = (Map<String, Object>) envoy.get("retry_back_off");
        assertThat(policy).as("%s has a retryPolicy", path).isNotNull();
        assertThat(((Number) policy.get("maxAttempts")).intValue()).as(path)
                .isEqualTo(((Number) envoy.get("num_retries")).intValue() + 1);
        assertThat(duration(policy.get("initialBackoff"))).as(path).isEqualTo(duration(backOff.get("base_interval")));
        assertThat(duration(policy.get("maxBackoff"))).as(path).isEqualTo(duration(backOff.get("max_interval")));
        // Envoy's retry_on unavailable/reset/connect-failure/refused-stream all reach a gRPC
        // client as UNAVAILABLE; nothing else (above all not DEADLINE_EXCEEDED) is retried.
        assertThat(envoy.get("retry_on").toString()).contains("unavailable");
        assertThat(policy.get("retryableStatusCodes")).as(path).isEqualTo(List.of("UNAVAILABLE"));
    }

    /** The named Envoy route, after checking that its method regex matches {@code path}. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> route(String name, String path) {
        Map<String, Object> route = ROUTES.stream().filter(r -> name.equals(r.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("envoy.yaml has no route " + name));
        Map<String, Object> match = (Map<String, Object>) route.get("match");
        String regex = ((Map<String, Object>) match.get("safe_regex")).get("regex").toString();
        assertThat(Pattern.compile(regex).matcher(path).matches()).as("route %s serves %s", name, path).isTrue();
        return route;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> retryPolicy(Map<String, Object> route) {
        return (Map<String, Object>) ((Map<String, Object>) route.get("route")).get("retry_policy");
    }

    @SuppressWarnings("unchecked")
    private static Duration budget(Map<String, Object> route) {
        Map<String, Object> action = (Map<String, Object>) route.get("route");
        return duration(((Map<String, Object>) action.get("max_stream_duration")).get("max_stream_duration"));
    }

    /** "2s", "0.025s": the protobuf JSON form of a Duration, used by both files. */
    private static Duration duration(Object text) {
        String value = text.toString();
        assertThat(value).matches("[0-9]+(\\.[0-9]+)?s");
        return Duration.ofNanos(Math.round(Double.parseDouble(value.substring(0, value.length() - 1)) * 1e9));
    }
}
