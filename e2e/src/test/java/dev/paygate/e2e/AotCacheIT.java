package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.paygate.devstack.Stack;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * `./paygate run`'s AOT cache on Java 25: the first run of a build trains it and the JVM writes it
 * as that replica stops; the next run's replica maps it (README, "Which JVM").
 */
class AotCacheIT {

    @Test
    void theFirstRunTrainsTheCache_andTheNextRunsReplicaMapsIt() throws IOException {
        Path workDir = Files.createTempDirectory("paygate-e2e-aot-");
        try {
            trainThenUse(workDir);
        } finally {
            // The cache is about 85 MB.
            try (Stream<Path> files = Files.walk(workDir)) {
                for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(file);
                }
            }
        }
    }

    private static void trainThenUse(Path workDir) throws IOException {
        Path cacheDirectory = workDir.resolve("aot");
        try (Edge first = Edge.startIn(workDir, "aot", Stack.Options::withProductionJvmAndAotCache)) {
            assumeTrue(first.stack().serviceJava().release() >= 25, "the AOT cache needs Java 25");
            assertThat(new RestPayments(first).createAccount(100).get("name").asText()).startsWith("accounts/");
            assertThat(mapped(first, cacheDirectory)).as("the training run maps no cache").isEmpty();
        }
        List<Path> caches = files(cacheDirectory);
        assertThat(caches).as("the training replica's cache, written as it stopped").singleElement()
                .satisfies(cache -> assertThat(cache.getFileName().toString()).startsWith("service-"))
                .satisfies(cache -> assertThat(cache).isNotEmptyFile());

        try (Edge second = Edge.startIn(workDir, "aot", Stack.Options::withProductionJvmAndAotCache)) {
            assertThat(mapped(second, cacheDirectory)).containsExactly(caches.get(0).toAbsolutePath().toString());
            assertThat(new RestPayments(second).createAccount(100).get("name").asText()).startsWith("accounts/");
        }
        assertThat(files(cacheDirectory)).as("a run that used the cache leaves it as it was").isEqualTo(caches);
    }

    /** The files under {@code directory} that the stack's replica has mapped (/proc/PID/maps). */
    private static List<String> mapped(Edge edge, Path directory) throws IOException {
        long pid = edge.stack().replicas().get(0).pid();
        String prefix = directory.toAbsolutePath().toString();
        try (Stream<String> maps = Files.lines(Path.of("/proc", Long.toString(pid), "maps"))) {
            return maps.map(line -> line.substring(line.indexOf('/') < 0 ? line.length() : line.indexOf('/')))
                    .filter(file -> file.startsWith(prefix)).distinct().toList();
        }
    }

    private static List<Path> files(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.sorted().toList();
        }
    }
}
