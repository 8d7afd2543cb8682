package dev.paygate.devstack;

import static dev.paygate.edge.EnvoyConfig.list;
import static dev.paygate.edge.EnvoyConfig.map;

import dev.paygate.edge.EnvoyConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Runtime changes that outlive an Envoy restart on this machine: a disk layer, below the admin
 * layer, that reads {@code <dir>/paygate}, where {@code ./paygate edge} (ops/edge) writes each
 * change it makes through the admin API, one file per key ({@code paygate/ratelimit/enforced}
 * holds paygate.ratelimit.enforced, as Envoy's runtime docs lay keys out), and logs who made it
 * and when in {@code <dir>/changes.log}; the launcher keeps its circuit-breaker bounds there the
 * same way ({@link ReplicaBreakers}). Envoy reads the layer whenever it builds a runtime
 * snapshot, at start included (runtime_impl.cc), so the supervisor's restarted Envoy keeps every
 * change. A new stack starts from envoy.yaml: the layer is emptied, the log says what went.
 */
public final class KeptRuntime {

    /** The layer's name, by which ops/edge finds it in Envoy's config dump. */
    public static final String LAYER = "disk";
    /** Beside the layer: the admin URLs of every Envoy that reads it, one a line, for ./paygate edge. */
    public static final String EDGES = "edges";
    /** Beside the layer: what the rate-limit service has loaded of its keys ({@link RuntimeFollower}), KEY=PERCENT a line. */
    public static final String GLOBAL_LAYER = "global-layer";
    private static final String SUBDIRECTORY = "paygate";

    private KeptRuntime() {
    }

    /** Adds the layer, emptied, to {@code config}, below its admin layer. */
    public static EnvoyConfig add(EnvoyConfig config, Path dir) {
        clear(dir);
        Map<String, Object> disk = new LinkedHashMap<>();
        disk.put("symlink_root", dir.toAbsolutePath().toString());
        disk.put("subdirectory", SUBDIRECTORY);
        Map<String, Object> layer = new LinkedHashMap<>();
        layer.put("name", LAYER);
        layer.put("disk_layer", disk);
        List<Object> layers = list(map(config.tree(), "layered_runtime"), "layers");
        int admin = layers.indexOf(layers.stream().filter(l -> EnvoyConfig.cast(l).containsKey("admin_layer"))
                .findFirst().orElseThrow(() -> new IllegalStateException("envoy.yaml has no admin runtime layer")));
        layers.add(admin, layer);
        return config;
    }

    /** The stack's layer: in its work directory, where every Envoy of it reads it. */
    public static Path dir(Path workDir) {
        return workDir.resolve("runtime");
    }

    /** The value of {@code key} kept in the layer {@code dir}, if ./paygate edge set one. */
    public static Optional<String> value(Path dir, String key) {
        Path file = dir.resolve(SUBDIRECTORY).resolve(key.replace('.', '/'));
        try {
            return Files.isRegularFile(file) ? Optional.of(Files.readString(file)) : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /**
     * Keeps these values in the layer {@code dir} and logs them, as ./paygate edge does for its
     * changes; the launcher's own changes name the {@code command} that made them.
     */
    public static void keep(Path dir, Map<String, ?> values, String command) {
        Path keys = dir.resolve(SUBDIRECTORY);
        try {
            StringBuilder what = new StringBuilder();
            for (Map.Entry<String, ?> value : values.entrySet()) {
                Path file = keys.resolve(value.getKey().replace('.', '/'));
                Files.createDirectories(file.getParent());
                Path pending = dir.resolve(".pending");
                Files.writeString(pending, String.valueOf(value.getValue()));
                Files.move(pending, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                what.append(what.isEmpty() ? "" : " ").append(value.getKey()).append('=').append(value.getValue());
            }
            Files.writeString(dir.resolve("changes.log"), Instant.now().truncatedTo(ChronoUnit.SECONDS) + "\t" + operator()
                    + "\t" + what + "\t" + command + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep " + values + " in the runtime layer in " + dir, e);
        }
    }

    /** Drops the keys an earlier stack kept, logging each (as ops/edge logs: time, who, key=value, command). */
    private static void clear(Path dir) {
        Path keys = dir.resolve(SUBDIRECTORY);
        try {
            Files.createDirectories(keys);
            StringBuilder log = new StringBuilder();
            try (Stream<Path> files = Files.walk(keys)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    if (Files.isRegularFile(file)) {
                        String key = keys.relativize(file).toString().replace('/', '.');
                        log.append(Instant.now().truncatedTo(ChronoUnit.SECONDS)).append('\t').append(operator())
                                .append('\t').append(key).append("=\t./paygate run (a new stack starts from edge/envoy.yaml)\n");
                    }
                    if (!file.equals(keys)) {
                        Files.delete(file);
                    }
                }
            }
            // A stack that was killed left it: no service follows this layer until one starts.
            Files.deleteIfExists(dir.resolve(GLOBAL_LAYER));
            if (!log.isEmpty()) {
                Files.writeString(dir.resolve("changes.log"), log, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot empty the kept runtime layer in " + dir, e);
        }
    }

    /** Who, as ops/edge names them: PAYGATE_OPERATOR or the login name, at this host. */
    private static String operator() throws IOException {
        String who = System.getenv().getOrDefault("PAYGATE_OPERATOR", System.getProperty("user.name"));
        return who + "@" + InetAddress.getLocalHost().getHostName();
    }
}
