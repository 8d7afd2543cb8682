package dev.paygate.devstack;

import dev.paygate.edge.Http;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** One Paygate service replica as its own JVM process. */
public final class ServiceProcess implements AutoCloseable {

    private final Process process;
    private final int grpcPort;
    private final int managementPort;
    private final Path log;
    private final long startedNanos = System.nanoTime();
    private Duration startToHealthy;

    private ServiceProcess(Process process, int grpcPort, int managementPort, Path log) {
        this.process = process;
        this.grpcPort = grpcPort;
        this.managementPort = managementPort;
        this.log = log;
    }

    /**
     * Starts a replica and waits until it reports healthy.
     *
     * @param environment PAYGATE_* settings on top of the ports (database URL, flags)
     */
    public static ServiceProcess start(ServiceJava java, Path jar, int grpcPort, int managementPort,
                                       Map<String, String> environment, String heap, Path log) {
        // Fast start for the end-to-end tests, which start many short-lived replicas: C1 only and
        // the serial collector (both releases accept these). `run` and `bench` use the production
        // flags instead (ServiceJava#productionArguments).
        return start(java, jar, grpcPort, managementPort, environment,
                List.of("-Xmx" + heap, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"), log);
    }

    /**
     * Starts a replica with these JVM arguments (for example the production argfiles of
     * {@link ServiceJava#productionArguments}) and waits until it reports healthy.
     */
    public static ServiceProcess start(ServiceJava java, Path jar, int grpcPort, int managementPort,
                                       Map<String, String> environment, List<String> jvmArguments, Path log) {
        ServiceProcess service = launch(java, jar, grpcPort, managementPort, environment, jvmArguments, log);
        service.awaitHealthy(Duration.ofSeconds(60));
        return service;
    }

    /**
     * Starts a replica with these JVM arguments and returns at once, without waiting for it to be
     * healthy: for a caller that measures its start-up (the bench's startup part).
     */
    public static ServiceProcess launch(ServiceJava java, Path jar, int grpcPort, int managementPort,
                                        Map<String, String> environment, List<String> jvmArguments, Path log) {
        List<String> command = new ArrayList<>();
        command.add(java.executable().toString());
        command.addAll(jvmArguments);
        command.addAll(List.of("-jar", jar.toString()));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(environment);
        builder.environment().put("PAYGATE_GRPC_PORT", Integer.toString(grpcPort));
        builder.environment().put("PAYGATE_MANAGEMENT_PORT", Integer.toString(managementPort));
        try {
            return new ServiceProcess(builder.start(), grpcPort, managementPort, log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the service", e);
        }
    }

    public void awaitHealthy(Duration timeout) {
        Http.await("service on gRPC port " + grpcPort + " healthy (log: " + log + ")", timeout,
                () -> Http.status("GET", "http://127.0.0.1:" + managementPort + "/health") == 200, process);
        if (startToHealthy == null) {
            startToHealthy = Duration.ofNanos(System.nanoTime() - startedNanos);
        }
    }

    /** From starting the process to its first healthy answer (polled every 50 ms): its start-up time. */
    public Duration startToHealthy() {
        return startToHealthy;
    }

    /** Where its output goes. */
    public Path log() {
        return log;
    }

    /**
     * Waits until its gRPC health service answers SERVING for the whole server (service ""), what
     * Envoy's health check asks, on a plaintext loopback channel.
     */
    public void awaitServing(Duration timeout) {
        io.grpc.ManagedChannel channel = io.grpc.ManagedChannelBuilder.forAddress("127.0.0.1", grpcPort)
                .usePlaintext().build();
        try {
            io.grpc.health.v1.HealthGrpc.HealthBlockingStub health = io.grpc.health.v1.HealthGrpc.newBlockingStub(channel);
            Http.await("service on gRPC port " + grpcPort + " SERVING (log: " + log + ")", timeout, () -> {
                try {
                    return health.withDeadlineAfter(1, TimeUnit.SECONDS)
                            .check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance()).getStatus()
                            == io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING;
                } catch (io.grpc.StatusRuntimeException notYet) {
                    return false;
                }
            }, process);
        } finally {
            channel.shutdownNow();
        }
    }

    public int grpcPort() {
        return grpcPort;
    }

    public int managementPort() {
        return managementPort;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The exit code of a process that has exited. */
    public int exitValue() {
        return process.exitValue();
    }

    /** SIGKILL: the process gets no chance to finish anything. */
    public void kill() {
        process.destroyForcibly();
        waitFor(Duration.ofSeconds(10));
    }

    /** SIGTERM: graceful shutdown (NOT_SERVING, drain, stop). */
    @Override
    public void close() {
        stop(Duration.ofSeconds(30));
    }

    /** SIGTERM, then SIGKILL if it has not exited within {@code grace}. */
    public void stop(Duration grace) {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        if (!waitFor(grace)) {
            kill();
        }
    }

    private boolean waitFor(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
