package dev.paygate.devstack;

import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.Http;
import dev.paygate.edge.generate.RateLimitServiceConfig;
import dev.paygate.edge.policy.EdgeRules;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The global layer's shadow mode following the local layer's: every {@value #POLL_MILLIS} ms it
 * reads each budget's filter_enforced runtime key in the kept runtime layer ({@link KeptRuntime},
 * where ./paygate edge shadow|enforce write it; envoy.yaml's value when absent), and when one
 * changed, rewrites the rate-limit service's config with that budget's shadow_mode (below 100 %:
 * shadow, as {@link RateLimitServiceConfig} reads the file). Once the service's loaded config
 * (/rlconfig) shows it, the follower writes what is in force beside the layer
 * ({@link KeptRuntime#GLOBAL_LAYER}), which ops/edge waits for before it says the global layer
 * switched. A service that is down reads the file when it starts again.
 */
final class RuntimeFollower implements AutoCloseable {

    private static final long POLL_MILLIS = 200;

    private final Path keptRuntime;
    // Each budget's runtime key (by its value of RateLimitServiceConfig.BUDGET_KEY), and each key's value in envoy.yaml.
    private final Map<String, String> keys;
    private final Map<String, Long> defaults = new LinkedHashMap<>();
    private final LocalRateLimit service;
    private final ScheduledExecutorService poller;
    private Map<String, Long> written;
    private boolean confirmed;

    private RuntimeFollower(EnvoyConfig edge, Path keptRuntime, LocalRateLimit service) {
        this.keys = RateLimitServiceConfig.enforcedKeys(edge);
        RateLimitServiceConfig.budgetFilters().forEach((filter, budget) ->
                defaults.put(keys.get(budget), EdgeRules.enforcedPercent(edge, filter)));
        this.keptRuntime = keptRuntime;
        this.service = service;
        this.poller = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "paygate-ratelimit-follower");
            thread.setDaemon(true);
            return thread;
        });
    }

    static RuntimeFollower start(EnvoyConfig edge, Path keptRuntime, LocalRateLimit service) {
        RuntimeFollower follower = new RuntimeFollower(edge, keptRuntime, service);
        follower.follow();
        follower.poller.scheduleWithFixedDelay(follower::followQuietly, POLL_MILLIS, POLL_MILLIS, TimeUnit.MILLISECONDS);
        return follower;
    }

    private void followQuietly() {
        try {
            follow();
        } catch (RuntimeException e) {
            System.err.println("the rate-limit service's shadow mode could not follow " + keptRuntime + ": " + e.getMessage());
        }
    }

    /** Each budget's runtime key and its value in force, in percent enforced. */
    private Map<String, Long> enforced() {
        Map<String, Long> percent = new LinkedHashMap<>();
        defaults.forEach((key, fallback) -> percent.put(key,
                KeptRuntime.value(keptRuntime, key).map(value -> Long.parseLong(value.trim())).orElse(fallback)));
        return percent;
    }

    private synchronized void follow() {
        Map<String, Long> now = enforced();
        if (!now.equals(written)) {
            service.writeShadowMode(shadowMode(now));
            written = now;
            confirmed = false;
        }
        if (!confirmed && loaded(shadowMode(now))) {
            StringBuilder status = new StringBuilder("# the rate-limit service's shadow_mode follows these keys; loaded: "
                    + service.loadedConfigUrl() + "\n");
            now.forEach((key, percent) -> status.append(key).append('=').append(percent).append('\n'));
            write(keptRuntime.resolve(KeptRuntime.GLOBAL_LAYER), status.toString());
            confirmed = true;
        }
    }

    /** Each budget's shadow mode (by its value of RateLimitServiceConfig.BUDGET_KEY) for the keys' values. */
    private Map<String, Boolean> shadowMode(Map<String, Long> enforced) {
        Map<String, Boolean> shadow = new LinkedHashMap<>();
        keys.forEach((budget, key) -> shadow.put(budget, enforced.get(key) < 100));
        return shadow;
    }

    /** Whether the service's loaded config has every budget's limit in that shadow mode. */
    private boolean loaded(Map<String, Boolean> shadow) {
        String config;
        try {
            config = Http.body("GET", service.loadedConfigUrl());
        } catch (RuntimeException e) {
            return false;  // down: it reads the file when it starts
        }
        return shadow.entrySet().stream().allMatch(budget -> config.lines().anyMatch(line ->
                line.startsWith(RateLimitServiceConfig.limitKey(budget.getKey()) + ": ")
                        && line.contains("shadow_mode: " + budget.getValue() + ",")));
    }

    private static void write(Path file, String text) {
        try {
            Path pending = file.resolveSibling("." + file.getFileName() + ".pending");
            Files.writeString(pending, text);
            Files.move(pending, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** Stops following; the status goes, so that ops/edge does not wait for a service that no longer runs. */
    @Override
    public void close() {
        poller.shutdownNow();
        try {
            poller.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(keptRuntime.resolve(KeptRuntime.GLOBAL_LAYER));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
