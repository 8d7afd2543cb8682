package dev.paygate.devstack;

import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.EnvoyProcess;
import dev.paygate.edge.Repository;
import dev.paygate.edge.capacity.ReplicaBreaker;
import dev.paygate.edge.capacity.ServiceAdmission;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The service clusters' circuit breakers of a stack's Envoys following its replicas
 * ({@link ReplicaBreaker}): replicas x what one admits, as application.yml's paygate.admission reads
 * in the replicas' environment (the launcher's, then the stack's settings; the canary's on top for
 * the canary cluster). An Envoy starts with the bound for the replicas it starts in front of; a
 * change of the stable replicas sets the new bound on every Envoy (admin layer, at once) and keeps
 * it in the stack's runtime layer on disk ({@link KeptRuntime}), which an Envoy the supervisor
 * restarts reads. A cluster without replicas keeps envoy.yaml's bound: it gets no calls.
 */
record ReplicaBreakers(int stablePerReplica, int canaryPerReplica, Path keptRuntime) {

    static ReplicaBreakers of(Repository repository, Stack.Options options) {
        ServiceAdmission admission = ServiceAdmission.read(repository.serviceConfig());
        // A replica inherits the launcher's environment (ProcessBuilder's default), then gets the stack's.
        Map<String, String> stable = new HashMap<>(System.getenv());
        stable.putAll(options.serviceEnvironment());
        Map<String, String> canary = new HashMap<>(stable);
        canary.putAll(options.canaryEnvironment());
        return new ReplicaBreakers(admission.perReplica(stable), admission.perReplica(canary),
                KeptRuntime.dir(options.workDir()));
    }

    /** Each service cluster's max_requests runtime key and its bound for these replicas. */
    Map<String, Long> bounds(int stable, int canary) {
        Map<String, Long> bounds = new LinkedHashMap<>();
        if (stable > 0) {
            bounds.put(ReplicaBreaker.maxRequestsKey(EnvoyConfig.SERVICE_CLUSTER), ReplicaBreaker.maxRequests(stable, stablePerReplica));
        }
        if (canary > 0) {
            bounds.put(ReplicaBreaker.maxRequestsKey(EnvoyConfig.CANARY_CLUSTER), ReplicaBreaker.maxRequests(canary, canaryPerReplica));
        }
        return bounds;
    }

    /** An Envoy's config that starts with the bounds for these replicas. */
    EnvoyConfig render(EnvoyConfig config, int stable, int canary) {
        return ReplicaBreaker.render(config, bounds(stable, canary));
    }

    /** Every Envoy's bounds, now and after a restart, for these replicas. */
    void follow(List<EnvoyProcess> envoys, int stable, int canary) {
        Map<String, Long> bounds = bounds(stable, canary);
        // Kept first: runtime_modify rebuilds the snapshot, which reads the disk layer again (as ops/edge does).
        KeptRuntime.keep(keptRuntime, bounds, "./paygate scale " + stable);
        String query = bounds.entrySet().stream().map(bound -> bound.getKey() + "=" + bound.getValue())
                .collect(Collectors.joining("&"));
        // One that is down reads the kept layer when the supervisor starts it again.
        envoys.stream().filter(EnvoyProcess::isAlive).forEach(envoy -> envoy.adminPost("/runtime_modify?" + query));
    }
}
