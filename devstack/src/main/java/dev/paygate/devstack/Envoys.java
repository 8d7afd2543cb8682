package dev.paygate.devstack;

import dev.paygate.devstack.credentials.DevCredentials;
import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.EnvoyProcess;
import dev.paygate.edge.Http;
import dev.paygate.edge.Repository;
import java.net.InetSocketAddress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stack's Envoys, one or more, each rendered from envoy.yaml for its own ports and all in front
 * of the same replicas. The first keeps envoy.local.yaml and envoy.log in the work directory, the
 * next ones envoy-2.local.yaml, envoy-2.log and so on. Their admin URLs are listed beside their
 * kept runtime layer ({@link KeptRuntime#EDGES}) for ./paygate edge. Each one's circuit breakers
 * on the service clusters follow the replicas ({@link #boundFor}).
 */
final class Envoys implements AutoCloseable {

    private final Repository repository;
    private final Stack.Options options;
    private final DevCredentials credentials;
    private final ReplicaBreakers breakers;
    // In the order started; the supervisor thread replaces a dead one in place while callers read them.
    private final List<EdgePorts> ports = new CopyOnWriteArrayList<>();
    private final List<EnvoyProcess> processes = new CopyOnWriteArrayList<>();

    Envoys(Repository repository, Stack.Options options, DevCredentials credentials) {
        this.repository = repository;
        this.options = options;
        this.credentials = credentials;
        this.breakers = ReplicaBreakers.of(repository, options);
    }

    /**
     * Starts one more Envoy on {@code edge}, which reads the replicas of both service clusters from
     * {@code endpoints} (the stack keeps them current), and waits until its health checks found
     * {@code stable} and {@code canary} of them. Every Envoy gets the kept runtime layer's
     * directory, emptied ({@link KeptRuntime}): add them while the stack starts.
     */
    synchronized EnvoyProcess add(EdgePorts edge, EndpointFiles endpoints, int stable, int canary) {
        int index = processes.size();
        EnvoyConfig config = LocalEdge.render(EnvoyConfig.load(repository.envoyYaml()), repository, credentials,
                edge.port(), edge.adminPort(), edge.statsPort(), List.of());
        LocalEdge.discoverFrom(config, endpoints);
        if (options.mutualTls()) {
            MutualTlsEdge.requireClientCertificates(config, credentials.caCertificate());
        }
        KeptRuntime.add(config, KeptRuntime.dir(options.workDir()));
        breakers.render(config, stable, canary);
        options.edgeChanges().apply(config).writeTo(file(index, ".local.yaml"));
        EnvoyProcess envoy = start(index, edge);
        ports.add(edge);
        processes.add(envoy);
        writeAdmins();
        envoy.awaitHealthyHosts(EnvoyConfig.SERVICE_CLUSTER, stable, Duration.ofSeconds(30));
        envoy.awaitHealthyHosts(EnvoyConfig.CANARY_CLUSTER, canary, Duration.ofSeconds(30));
        return envoy;
    }

    /**
     * Every Envoy's service circuit breakers bound what {@code stable} and {@code canary} replicas
     * admit, from now on and after a restart ({@link ReplicaBreakers}).
     */
    void boundFor(int stable, int canary) {
        breakers.follow(processes, stable, canary);
    }

    /** Starts every Envoy whose process has exited again, from its config file. */
    synchronized void restartExited() {
        for (int i = 0; i < processes.size(); i++) {
            EnvoyProcess envoy = processes.get(i);
            if (!envoy.isAlive()) {
                System.err.println("envoy " + (i + 1) + " (port " + ports.get(i).port() + ") exited with "
                        + envoy.exitValue() + "; restarting it");
                try {
                    processes.set(i, start(i, ports.get(i)));
                } catch (RuntimeException e) {
                    System.err.println("restarting envoy " + (i + 1) + " failed, will try again: " + e.getMessage());
                }
            }
        }
    }

    /** Waits until every Envoy lists {@code host} in {@code cluster} as healthy: its health checks passed. */
    void awaitHealthy(String cluster, InetSocketAddress host, Duration timeout) {
        String healthy = cluster + "::" + host.getHostString() + ":" + host.getPort() + "::health_flags::healthy";
        for (EnvoyProcess envoy : processes) {
            Http.await(healthy + " on Envoy admin " + envoy.adminUrl(""), timeout,
                    () -> envoy.admin("/clusters").lines().anyMatch(healthy::equals), null);
        }
    }

    /** Waits until no Envoy lists {@code host} in {@code cluster} any more: it gets no new calls. */
    void awaitGone(String cluster, InetSocketAddress host, Duration timeout) {
        String listed = cluster + "::" + host.getHostString() + ":" + host.getPort() + "::";
        for (EnvoyProcess envoy : processes) {
            Http.await(host + " gone from " + cluster + " on Envoy admin " + envoy.adminUrl(""), timeout,
                    () -> envoy.admin("/clusters").lines().noneMatch(line -> line.startsWith(listed)), null);
        }
    }

    List<EnvoyProcess> processes() {
        return processes;
    }

    List<EdgePorts> ports() {
        return ports;
    }

    @Override
    public void close() {
        processes.forEach(EnvoyProcess::close);
        try {
            Files.deleteIfExists(adminsFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Every Envoy's admin URL, one a line in start order, beside the runtime layer they share: how
     * ./paygate edge (ops/edge), led there by any one admin's config dump, reaches all of them.
     */
    private void writeAdmins() {
        StringBuilder admins = new StringBuilder();
        ports.forEach(edge -> admins.append("http://127.0.0.1:").append(edge.adminPort()).append('\n'));
        try {
            Path pending = adminsFile().resolveSibling(".edges.pending");
            Files.writeString(pending, admins);
            Files.move(pending, adminsFile(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + adminsFile(), e);
        }
    }

    private Path adminsFile() {
        return KeptRuntime.dir(options.workDir()).resolve(KeptRuntime.EDGES);
    }

    /** Envoy {@code index} on its rendered config; it waits until Envoy's admin says it is ready. */
    private EnvoyProcess start(int index, EdgePorts edge) {
        return EnvoyProcess.start(repository.envoyBinary(), file(index, ".local.yaml"), edge.adminPort(),
                file(index, ".log"));
    }

    private Path file(int index, String suffix) {
        return options.workDir().resolve((index == 0 ? "envoy" : "envoy-" + (index + 1)) + suffix);
    }
}
