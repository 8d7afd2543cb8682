package dev.paygate.bench;

import static dev.paygate.edge.EnvoyConfig.cast;
import static dev.paygate.edge.EnvoyConfig.list;

import dev.paygate.devstack.LocalEdge;
import dev.paygate.devstack.Stack;
import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.EnvoyProcess;
import dev.paygate.edge.FreePorts;
import dev.paygate.edge.Repository;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A second Envoy in front of the same replicas, on its own ports, running the shipped config
 * reduced to transcoder + router ({@link #transcoderAndRouterOnly}): the floor the full edge is
 * compared with. It keeps the listener's TLS, so the only difference is the policies (token
 * check, rate limits, body cap, strict JSON, header hygiene).
 */
final class FloorEdge implements AutoCloseable {

    final EnvoyProcess envoy;
    final int port;

    private FloorEdge(EnvoyProcess envoy, int port) {
        this.envoy = envoy;
        this.port = port;
    }

    static FloorEdge start(Repository repository, Stack stack) {
        int port = FreePorts.next();
        int adminPort = FreePorts.next();
        Path workDir = stack.workDir().resolve("floor");
        EnvoyConfig config = transcoderAndRouterOnly(LocalEdge.render(EnvoyConfig.load(repository.envoyYaml()),
                repository, stack.credentials(), port, adminPort, FreePorts.next(),
                stack.replicas().stream().map(r -> new InetSocketAddress("127.0.0.1", r.grpcPort())).toList()));
        Path rendered = config.writeTo(workDir.resolve("envoy.floor.yaml"));
        EnvoyProcess envoy = EnvoyProcess.start(repository.envoyBinary(), rendered, adminPort,
                workDir.resolve("envoy.log"));
        try {
            envoy.awaitHealthyHosts("paygate_service", stack.replicas().size(), Duration.ofSeconds(30));
        } catch (RuntimeException e) {
            envoy.close();
            throw e;
        }
        return new FloorEdge(envoy, port);
    }

    /**
     * The configuration with every HTTP filter but the JSON transcoder and the router removed, and
     * the route settings that configure removed filters (per-filter configs, rate limits) dropped.
     * The listener (TLS, ALPN), the connection manager's settings (access log, request ids,
     * timeouts, local replies) and the routes' timeouts and retries stay.
     */
    static EnvoyConfig transcoderAndRouterOnly(EnvoyConfig config) {
        List<String> kept = List.of(EnvoyConfig.TRANSCODER, EnvoyConfig.ROUTER);
        config.httpFilters().removeIf(filter -> !kept.contains(cast(filter).get("name")));
        for (Object host : list(config.routeConfiguration(), "virtual_hosts")) {
            dropRemovedFilterSettings(cast(host), kept);
            for (Object route : list(cast(host), "routes")) {
                Map<String, Object> entry = cast(route);
                dropRemovedFilterSettings(entry, kept);
                if (entry.get("route") instanceof Map<?, ?> action) {
                    cast(action).remove("rate_limits");
                }
            }
        }
        return config;
    }

    private static void dropRemovedFilterSettings(Map<String, Object> owner, List<String> kept) {
        owner.remove("rate_limits");
        if (owner.get("typed_per_filter_config") instanceof Map<?, ?> perFilter) {
            // A copy: YAML anchors make several routes share one map.
            Map<String, Object> remaining = new LinkedHashMap<>(cast(perFilter));
            remaining.keySet().retainAll(kept);
            if (remaining.isEmpty()) {
                owner.remove("typed_per_filter_config");
            } else {
                owner.put("typed_per_filter_config", remaining);
            }
        }
    }

    @Override
    public void close() {
        envoy.close();
    }
}
