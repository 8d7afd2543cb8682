package dev.paygate.devstack;

import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * An OpenTelemetry Collector on loopback (built by ./paygate into .tools/otelcol) that receives
 * OTLP/gRPC and writes every batch it gets as one line of OTLP JSON to {@link #spansFile()}: where
 * a local stack's edge and replicas send their spans when asked ({@link #edgeExport()},
 * {@link #serviceEnvironment()}).
 */
public final class LocalCollector implements AutoCloseable {

    private final Process process;
    private final int port;
    private final Path spansFile;

    private LocalCollector(Process process, int port, Path spansFile) {
        this.process = process;
        this.port = port;
        this.spansFile = spansFile;
    }

    public static LocalCollector start(Path binary, Path workDir) {
        int port = FreePorts.next();
        Path spans = workDir.resolve("spans.json");
        Path config = workDir.resolve("otelcol.yaml");
        try {
            Files.createDirectories(workDir);
            Files.deleteIfExists(spans);
            // Its own metrics off: they would listen on a fixed port (8888).
            Files.writeString(config, """
                    receivers:
                      otlp:
                        protocols:
                          grpc: {endpoint: "127.0.0.1:%d"}
                    exporters:
                      file: {path: "%s", flush_interval: 100ms}
                    service:
                      telemetry: {metrics: {level: none}}
                      pipelines:
                        traces: {receivers: [otlp], exporters: [file]}
                    """.formatted(port, spans.toAbsolutePath()));
            Process process = new ProcessBuilder(binary.toString(), "--config", config.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(workDir.resolve("otelcol.log").toFile()))
                    .start();
            LocalCollector collector = new LocalCollector(process, port, spans);
            collector.awaitListening(Duration.ofSeconds(30));
            return collector;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitListening(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the collector exited with " + process.exitValue() + "; see otelcol.log");
            }
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                sleep();
            }
        }
        close();
        throw new IllegalStateException("the collector did not listen on " + port + " within " + timeout);
    }

    private static void sleep() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** OTLP/gRPC on loopback. */
    public int port() {
        return port;
    }

    /** One line of OTLP JSON ({@code {"resourceSpans": [...]}}) per batch received. */
    public Path spansFile() {
        return spansFile;
    }

    /** The edge change that points Envoy's otel_collector cluster here. */
    public UnaryOperator<EnvoyConfig> edgeExport() {
        return config -> LocalEdge.exportSpansTo(config, List.of(new InetSocketAddress("127.0.0.1", port)));
    }

    /** The service settings that make a replica export here. */
    public Map<String, String> serviceEnvironment() {
        return Map.of("PAYGATE_TRACE_ENDPOINT", "http://127.0.0.1:" + port);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
