package dev.paygate.edge;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** A real Envoy process and its admin API. */
public final class EnvoyProcess implements AutoCloseable {

    private final Process process;
    private final int adminPort;

    private EnvoyProcess(Process process, int adminPort) {
        this.process = process;
        this.adminPort = adminPort;
    }

    /** Starts Envoy on a rendered configuration and waits until its admin says it is ready. */
    public static EnvoyProcess start(Path envoyBinary, Path config, int adminPort, Path log) {
        // A distinct base id per instance lets several Envoys (a run and a test) share the machine.
        ProcessBuilder builder = new ProcessBuilder(List.of(envoyBinary.toString(), "-c", config.toString(),
                "--base-id", Integer.toString(adminPort), "--log-level", "warn", "--concurrency", "2",
                // Access-log lines reach the log file within a quarter second (default 10 s).
                "--file-flush-interval-msec", "250"))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        try {
            EnvoyProcess envoy = new EnvoyProcess(builder.start(), adminPort);
            Http.await("envoy ready (log: " + log + ")", Duration.ofSeconds(30),
                    () -> Http.status("GET", envoy.adminUrl("/ready")) == 200, envoy.process);
            return envoy;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start envoy " + envoyBinary, e);
        }
    }

    /** Runs {@code envoy --mode validate}; returns its output, or throws with it on failure. */
    public static String validate(Path envoyBinary, Path config) {
        Command.Result result = Command.run(new ProcessBuilder(envoyBinary.toString(), "--mode", "validate", "-c",
                config.toString(), "--log-level", "error").redirectErrorStream(true), Duration.ofSeconds(60));
        if (result.exitCode() != 0) {
            throw new IllegalStateException("envoy --mode validate rejected " + config + ":\n" + result.output());
        }
        return result.output();
    }

    /**
     * Waits until Envoy's active health checks have found {@code hosts} healthy hosts in the
     * cluster: Envoy is ready before its first checks pass, and calls sent meanwhile get 503.
     */
    public void awaitHealthyHosts(String cluster, int hosts, Duration timeout) {
        String healthy = "::health_flags::healthy";
        Http.await(hosts + " healthy host(s) in " + cluster, timeout,
                () -> admin("/clusters").lines()
                        .filter(line -> line.startsWith(cluster + "::") && line.endsWith(healthy)).count() >= hosts,
                process);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The exit code of a process that has exited. */
    public int exitValue() {
        return process.exitValue();
    }

    /** The operating system's process id (the benchmark reads its CPU time and memory in /proc). */
    public long pid() {
        return process.pid();
    }

    public String adminUrl(String path) {
        return "http://127.0.0.1:" + adminPort + path;
    }

    /** GET on the admin API; returns the body. */
    public String admin(String path) {
        return Http.body("GET", adminUrl(path));
    }

    /** POST on the admin API (runtime_modify, healthcheck/fail, ...); returns the body. */
    public String adminPost(String path) {
        return Http.body("POST", adminUrl(path));
    }

    /**
     * Shadow mode for every rate limit, the identity buckets and the per-address floor (runtime
     * keys in envoy.yaml's layered_runtime): over-limit calls are counted, not refused.
     */
    public void shadowRateLimits() {
        adminPost("/runtime_modify?paygate.ratelimit.enforced=0&paygate.ratelimit.per_address.enforced=0");
    }

    /** Shadow mode for the per-address floor only, so that the identity buckets act alone. */
    public void shadowPerAddressFloor() {
        adminPost("/runtime_modify?paygate.ratelimit.per_address.enforced=0");
    }

    /** The value of one counter or gauge, 0 when Envoy has not created it yet. */
    public long stat(String name) {
        String pattern = "^" + name.replace(".", "\\.") + "$";
        String text = admin("/stats?filter=" + URLEncoder.encode(pattern, StandardCharsets.UTF_8));
        for (String line : text.split("\n")) {
            int colon = line.indexOf(": ");
            if (colon > 0 && line.substring(0, colon).equals(name)) {
                return Long.parseLong(line.substring(colon + 2).trim());
            }
        }
        return 0;
    }

    @Override
    public void close() {
        Command.stop(process);
    }
}
