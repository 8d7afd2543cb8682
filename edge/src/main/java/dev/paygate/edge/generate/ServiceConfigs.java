package dev.paygate.edge.generate;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.paygate.contract.Contract;
import dev.paygate.edge.EnvoyConfig;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The gRPC service configs for clients (grpc-java's {@code defaultServiceConfig}, Python's
 * {@code grpc.service_config}), generated from the contract and the edge's routes, so a client
 * retries exactly where and as Envoy does: each rpc gets its route's budget as deadline, and
 * retries on UNAVAILABLE with the route's attempts and back-off where the route retries; server
 * streams get neither.
 */
public final class ServiceConfigs {

    /** Safe for every client: a write without a key is never repeated. */
    public static final String DEFAULT = "service_config.json";
    /** For clients that key every write (request_id or idempotency-key): writes retry like reads. */
    public static final String KEYED_WRITES = "service_config_keyed_writes.json";

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private ServiceConfigs() {
    }

    /**
     * File name to config: reads as the {@code reads} route serves them; writes as {@code writes}
     * (unkeyed: never retried by a client, which cannot tell a refused stream from a write that
     * ran) or, for clients that key every write, as {@code writes_idempotent}.
     */
    public static Map<String, ObjectNode> generate(Contract contract, EnvoyConfig edge) {
        Map<String, Object> reads = route(edge, "reads");
        Map<String, Object> unkeyedWrites = route(edge, "writes");
        Map<String, Object> keyedWrites = route(edge, "writes_idempotent");
        List<Contract.Method> readMethods = contract.methods().stream().filter(m -> m.reads() && !m.streams()).toList();
        List<Contract.Method> writeMethods = contract.methods().stream().filter(Contract.Method::writes).toList();
        List<Contract.Method> streamMethods = contract.methods().stream().filter(Contract.Method::streams).toList();
        served(readMethods, reads);
        served(writeMethods, unkeyedWrites);
        served(writeMethods, keyedWrites);
        served(streamMethods, route(edge, "streams"));
        ObjectNode readConfig = methodConfig(readMethods, reads, true);
        ObjectNode streamConfig = streamConfig(streamMethods);
        return Map.of(
                DEFAULT, config(readConfig, methodConfig(writeMethods, unkeyedWrites, false), streamConfig),
                KEYED_WRITES, config(readConfig.deepCopy(), methodConfig(writeMethods, keyedWrites, true),
                        streamConfig.deepCopy()));
    }

    private static ObjectNode config(ObjectNode reads, ObjectNode writes, ObjectNode streams) {
        ObjectNode config = JSON.objectNode();
        config.putArray("methodConfig").add(reads).add(writes).add(streams);
        // Pauses a client's retries while calls keep failing (10 tokens, a failure costs 1, a
        // success gives back 0.1), so its retries and Envoy's do not multiply on a struggling service.
        config.putObject("retryThrottling").put("maxTokens", 10).put("tokenRatio", 0.1);
        return config;
    }

    private static ObjectNode methodConfig(List<Contract.Method> methods, Map<String, Object> route, boolean retry) {
        ObjectNode config = JSON.objectNode();
        ArrayNode names = config.putArray("name");
        methods.forEach(m -> names.addObject().put("service", m.service()).put("method", m.name()));
        Map<String, Object> action = map(route, "route");
        config.put("timeout", String.valueOf(map(action, "max_stream_duration").get("max_stream_duration")));
        if (retry) {
            Map<String, Object> policy = map(action, "retry_policy");
            Map<String, Object> backOff = map(policy, "retry_back_off");
            ObjectNode retryPolicy = config.putObject("retryPolicy");
            retryPolicy.put("maxAttempts", ((Number) policy.get("num_retries")).intValue() + 1);
            retryPolicy.put("initialBackoff", String.valueOf(backOff.get("base_interval")));
            retryPolicy.put("maxBackoff", String.valueOf(backOff.get("max_interval")));
            // Envoy's back-off doubles its ceiling with every retry (full jitter), as gRPC's does with 2.
            retryPolicy.put("backoffMultiplier", 2);
            // What Envoy's retry_on (unavailable, reset, connect-failure, refused-stream) looks like to a client.
            retryPolicy.putArray("retryableStatusCodes").add("UNAVAILABLE");
        }
        return config;
    }

    /**
     * Server streams: no timeout (a stream lasts until the service ends it) and no retry policy (a
     * retried stream would replay what the client has; it reconnects with its cursor instead), as
     * on the edge's {@code streams} route.
     */
    private static ObjectNode streamConfig(List<Contract.Method> methods) {
        ObjectNode config = JSON.objectNode();
        ArrayNode names = config.putArray("name");
        methods.forEach(m -> names.addObject().put("service", m.service()).put("method", m.name()));
        return config;
    }

    /** Checks that the route's path regex serves each of the methods. */
    private static void served(List<Contract.Method> methods, Map<String, Object> route) {
        Pattern regex = Pattern.compile(String.valueOf(map(map(route, "match"), "safe_regex").get("regex")));
        for (Contract.Method method : methods) {
            if (!regex.matcher(method.grpcPath()).matches()) {
                throw new IllegalArgumentException("route " + route.get("name") + " of envoy.yaml does not serve "
                        + method.grpcPath());
            }
        }
    }

    private static Map<String, Object> route(EnvoyConfig edge, String name) {
        return edge.routes().stream().filter(r -> name.equals(r.get("name"))).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("envoy.yaml has no route " + name));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Map<String, Object> owner, String key) {
        if (!(owner.get(key) instanceof Map<?, ?> value)) {
            throw new IllegalArgumentException("envoy.yaml: expected a mapping at " + key);
        }
        return (Map<String, Object>) value;
    }
}
