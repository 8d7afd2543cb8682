package dev.paygate.devstack;

import dev.paygate.edge.Command;
import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.FreePorts;
import dev.paygate.edge.Http;
import dev.paygate.edge.Repository;
import dev.paygate.edge.generate.RateLimitServiceConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;

/**
 * The global rate limit on this machine: Debian's redis-server and envoyproxy/ratelimit (built by
 * ./paygate into .tools/bin), their descriptors generated from envoy.yaml's budgets
 * ({@link RateLimitServiceConfig}). Both listen on loopback only, on free ports: their defaults
 * listen on every interface (ratelimit's HOST, GRPC_HOST, DEBUG_HOST and PROMETHEUS_ADDR,
 * src/settings/settings.go). Redis keeps nothing on disk: counters of one-second windows.
 */
public final class LocalRateLimit implements AutoCloseable {

    private static final String LOOPBACK = "127.0.0.1";

    private final ProcessBuilder redisCommand;
    private final ProcessBuilder ratelimitCommand;
    private final Path workDir;
    private final int redisPort;
    private final int grpcPort;
    private final int httpPort;
    private final int metricsPort;
    private final int debugPort;
    private final EnvoyConfig edge;
    private final Path configFile;
    private volatile Process redis;
    private volatile Process ratelimit;
    private RuntimeFollower follower;
    private boolean closed;

    private LocalRateLimit(ProcessBuilder redisCommand, ProcessBuilder ratelimitCommand, Path workDir, int redisPort,
                           int grpcPort, int httpPort, int metricsPort, int debugPort, EnvoyConfig edge, Path configFile) {
        this.redisCommand = redisCommand;
        this.ratelimitCommand = ratelimitCommand;
        this.workDir = workDir;
        this.redisPort = redisPort;
        this.grpcPort = grpcPort;
        this.httpPort = httpPort;
        this.metricsPort = metricsPort;
        this.debugPort = debugPort;
        this.edge = edge;
        this.configFile = configFile;
    }

    /** Starts Redis, then the rate-limit service on it (which exits if Redis does not answer yet), until healthy. */
    public static LocalRateLimit start(Repository repository, Path workDir) {
        return start(repository, workDir, EnvoyConfig.load(repository.envoyYaml()));
    }

    /** The same, with the descriptors of {@code edge}'s budgets (a test's edited envoy.yaml). */
    public static LocalRateLimit start(Repository repository, Path workDir, EnvoyConfig edge) {
        int redisPort = FreePorts.next();
        int grpcPort = FreePorts.next();
        int httpPort = FreePorts.next();
        int metricsPort = FreePorts.next();
        int debugPort = FreePorts.next();
        ProcessBuilder redis = new ProcessBuilder(Repository.debianTool("redis-server").toString(),
                "--bind", LOOPBACK, "--port", Integer.toString(redisPort), "--save", "", "--appendonly", "no",
                "--dir", workDir.toString());
        Path runtime = workDir.resolve("ratelimit-runtime");
        Path configFile = runtime.resolve("paygate/config/paygate.yaml");
        writeConfig(RateLimitServiceConfig.render(edge), configFile);
        ProcessBuilder ratelimit = new ProcessBuilder(repository.rateLimitBinary().toString());
        ratelimit.environment().putAll(Map.ofEntries(
                Map.entry("HOST", LOOPBACK), Map.entry("PORT", Integer.toString(httpPort)),
                Map.entry("GRPC_HOST", LOOPBACK), Map.entry("GRPC_PORT", Integer.toString(grpcPort)),
                Map.entry("DEBUG_HOST", LOOPBACK), Map.entry("DEBUG_PORT", Integer.toString(debugPort)),
                Map.entry("USE_STATSD", "false"), Map.entry("USE_PROMETHEUS", "true"),
                Map.entry("PROMETHEUS_ADDR", LOOPBACK + ":" + metricsPort),
                Map.entry("REDIS_SOCKET_TYPE", "tcp"), Map.entry("REDIS_URL", LOOPBACK + ":" + redisPort),
                // /healthcheck answers 200 only once a Redis connection opened and the config loaded (it
                // fails again only when every pooled connection closed: src/redis/driver_impl.go).
                Map.entry("REDIS_HEALTH_CHECK_ACTIVE_CONNECTION", "true"),
                Map.entry("HEALTHY_WITH_AT_LEAST_ONE_CONFIG_LOADED", "true"),
                Map.entry("RUNTIME_ROOT", runtime.toString()), Map.entry("RUNTIME_SUBDIRECTORY", "paygate"),
                Map.entry("RUNTIME_WATCH_ROOT", "false"), Map.entry("LOG_LEVEL", "info")));
        LocalRateLimit started = new LocalRateLimit(redis, ratelimit, workDir, redisPort, grpcPort, httpPort, metricsPort,
                debugPort, edge, configFile);
        try {
            started.startRedis();
            started.startService();
        } catch (RuntimeException e) {
            started.close();
            throw e;
        }
        return started;
    }

    /** Starts Redis (again) on its port, empty: every window's count starts at 0. */
    public void startRedis() {
        redis = launch(redisCommand, workDir.resolve("redis.log"));
        Http.await("redis-server on port " + redisPort, Duration.ofSeconds(10), () -> listening(redisPort), redis);
    }

    /** Stops Redis: the rate-limit service answers every check with an error until it is back. */
    public void stopRedis() {
        Command.stop(redis);
    }

    /** Starts the rate-limit service (again) on its ports, until its /healthcheck answers 200 (Redis up). */
    public void startService() {
        ratelimit = launch(ratelimitCommand, workDir.resolve("ratelimit.log"));
        Http.await("the rate-limit service's /healthcheck", Duration.ofSeconds(30),
                () -> Http.status("GET", httpUrl() + "/healthcheck") == 200, ratelimit);
    }

    /** Stops the rate-limit service: Envoy's calls to it fail to connect until it is back. */
    public void stopService() {
        Command.stop(ratelimit);
    }

    /** SIGKILL for the rate-limit service, as a crash ends it: no shutdown of its own. */
    public void killService() throws InterruptedException {
        ratelimit.destroyForcibly().waitFor();
    }

    /** Whether the rate-limit service runs and answers its /healthcheck with 200 (Redis up, config loaded). */
    public boolean serviceHealthy() {
        return ratelimit != null && ratelimit.isAlive() && Http.status("GET", httpUrl() + "/healthcheck") == 200;
    }

    /**
     * Starts Redis, then the rate-limit service, again where it exited, as {@link Stack#supervise}
     * does replicas and Envoys: a development convenience (in production the platform supervises).
     * A restarted Redis is empty: the windows in progress start again from 0.
     */
    synchronized void restartExited() {
        if (closed) {
            return;
        }
        if (!redis.isAlive()) {
            System.err.println("redis-server (port " + redisPort + ") exited with " + redis.exitValue() + "; restarting it");
            startRedis();
        }
        if (!ratelimit.isAlive()) {
            System.err.println("the rate-limit service (gRPC port " + grpcPort + ") exited with " + ratelimit.exitValue()
                    + "; restarting it");
            startService();
        }
    }

    /** Envoy's ratelimit filter calls this (envoy.service.ratelimit.v3). */
    public int grpcPort() {
        return grpcPort;
    }

    /** Redis, where the service keeps its counters. */
    public int redisPort() {
        return redisPort;
    }

    /** /healthcheck, and /json: the same check as gRPC with the request as JSON (429 when over). */
    public String httpUrl() {
        return "http://" + LOOPBACK + ":" + httpPort;
    }

    /** The service's Prometheus metrics (per descriptor: total_hits, over_limit, shadow_mode, ...). */
    public String metricsUrl() {
        return "http://" + LOOPBACK + ":" + metricsPort + "/metrics";
    }

    /** The config the service has loaded, one line per limit with its shadow_mode (its debug listener's /rlconfig). */
    public String loadedConfigUrl() {
        return "http://" + LOOPBACK + ":" + debugPort + "/rlconfig";
    }

    /**
     * Keeps each budget's shadow_mode in step with its local limiter's runtime key in the kept
     * runtime layer {@code keptRuntime} ({@link KeptRuntime}), where ./paygate edge shadow|enforce
     * write it, until {@link #close()}: shadow -> enforce switches both layers at run time.
     */
    public void followRuntime(Path keptRuntime) {
        follower = RuntimeFollower.start(edge, keptRuntime, this);
    }

    /** Writes the service's config, whole, by a rename into its watched directory, which makes it reload. */
    void writeShadowMode(Map<String, Boolean> shadow) {
        writeConfig(RateLimitServiceConfig.render(edge, shadow), configFile);
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (follower != null) {
            follower.close();
        }
        if (ratelimit != null) {
            Command.stop(ratelimit);
        }
        if (redis != null) {
            Command.stop(redis);
        }
    }

    /**
     * The service reloads when a file in its config directory is written, created, changed or
     * removed (RUNTIME_WATCH_ROOT=false: goruntime's DirectoryRefresher, Remove added by
     * envoyproxy/ratelimit's src/provider/file_provider.go; a rename into it is a Create to
     * fsnotify): the file is written beside that directory and renamed into it, so a reload never
     * reads half of it, and the temporary file is never a config there.
     */
    private static void writeConfig(String text, Path file) {
        try {
            Files.createDirectories(file.getParent());
            Path pending = file.getParent().resolveSibling(".pending-" + file.getFileName());
            Files.writeString(pending, text);
            Files.move(pending, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static Process launch(ProcessBuilder builder, Path log) {
        try {
            return builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + builder.command().get(0), e);
        }
    }

    private static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(LOOPBACK, port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
