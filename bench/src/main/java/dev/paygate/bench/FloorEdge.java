package dev.paygate.bench;

import dev.paygate.devstack.LocalEdge;
import dev.paygate.devstack.Stack;
import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.EnvoyProcess;
import dev.paygate.edge.FreePorts;
import dev.paygate.edge.Repository;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A second Envoy in front of the same replicas, on its own ports, running the shipped config
 * reduced to transcoder + router ({@link EnvoyConfig#transcoderAndRouterOnly}): the floor the
 * full edge is compared with. It keeps the listener's TLS, so the only difference is the
 * policies (token check, rate limits, body cap, strict JSON, header hygiene).
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
        EnvoyConfig config = LocalEdge.render(EnvoyConfig.load(repository.envoyYaml()), repository,
                        stack.credentials(), port, adminPort, FreePorts.next(),
                        stack.replicas().stream().map(r -> new InetSocketAddress("127.0.0.1", r.grpcPort())).toList())
                .transcoderAndRouterOnly();
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

    @Override
    public void close() {
        envoy.close();
    }
}
