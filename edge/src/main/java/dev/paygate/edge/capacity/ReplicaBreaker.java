package dev.paygate.edge.capacity;

import static dev.paygate.edge.EnvoyConfig.cast;
import static dev.paygate.edge.EnvoyConfig.list;
import static dev.paygate.edge.EnvoyConfig.map;

import dev.paygate.edge.EnvoyConfig;
import java.util.Map;

/**
 * A service cluster's {@code max_requests} circuit breaker sized for the replicas it has: replicas
 * x what one admits ({@link ServiceAdmission}). envoy.yaml's threshold is the bound for the
 * default two replicas; where the replica count differs or changes, this runtime key replaces it.
 * Envoy reads {@code circuit_breakers.<cluster>.<priority>.<setting>} from the runtime snapshot
 * whenever it checks the bound (cluster_circuit_breakers docs; upstream_impl.cc builds the key with
 * priority "default", basic_resource_impl.h reads it in max()), so a runtime change takes effect on
 * the next request, without a restart. The retry budget needs no key: it is a share of the
 * requests active and pending at that moment (resource_manager_impl.h).
 */
public final class ReplicaBreaker {

    /** The runtime layer of envoy.yaml that holds the shipped values. */
    private static final String STATIC_LAYER = "defaults";

    private ReplicaBreaker() {
    }

    /** The runtime key of {@code cluster}'s bound on requests in flight (DEFAULT priority). */
    public static String maxRequestsKey(String cluster) {
        return "circuit_breakers." + cluster + ".default.max_requests";
    }

    /** Requests in flight {@code replicas} replicas admit, each {@code perReplica}. */
    public static long maxRequests(int replicas, int perReplica) {
        if (replicas < 0 || perReplica < 0) {
            throw new IllegalArgumentException("replicas and admission must be 0 or more, not " + replicas + " x " + perReplica);
        }
        return (long) replicas * perReplica;
    }

    /**
     * Sets each key to its value in envoy.yaml's static runtime layer, so Envoy starts with it; the
     * disk and admin layers above can change it while Envoy runs.
     */
    public static EnvoyConfig render(EnvoyConfig config, Map<String, ?> values) {
        for (Object layer : list(map(config.tree(), "layered_runtime"), "layers")) {
            Map<String, Object> named = cast(layer);
            if (STATIC_LAYER.equals(named.get("name"))) {
                map(named, "static_layer").putAll(values);
                return config;
            }
        }
        throw new IllegalStateException("envoy.yaml has no static runtime layer named " + STATIC_LAYER);
    }
}
