package dev.paygate.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The AOT cache's life in ./paygate run: none before Java 25; the first replica without one trains,
 * its cache is used only once the JVM has written it whole; a new build (or JDK, or flags) trains again.
 */
class AotCacheTest {

    @TempDir
    Path dir;

    private ServiceJava java25;
    private Path jar;
    private List<Path> flags;
    private Path cacheDirectory;

    @BeforeEach
    void files() throws IOException {
        Path home = Files.createDirectories(dir.resolve("jdk-25/bin"));
        Files.writeString(dir.resolve("jdk-25/release"), "JAVA_VERSION=\"25.0.3\"\n");
        java25 = new ServiceJava(home.resolve("java"), 25);
        jar = Files.writeString(dir.resolve("paygate-service.jar"), "build 1");
        flags = List.of(Files.writeString(dir.resolve("jvm.options"), "-Xmx192m"),
                Files.writeString(dir.resolve("jvm-25.options"), "-XX:+UseZGC"));
        cacheDirectory = dir.resolve("aot");
    }

    @Test
    void java17_hasNoAotCache() {
        assertThat(AotCache.of(new ServiceJava(java25.executable(), 17), flags, jar, cacheDirectory)).isEmpty();
    }

    @Test
    void aFreshCache_trains_andIsUsedOnceTheTrainingReplicaWroteIt() throws IOException {
        AotCache cache = AotCache.of(java25, flags, jar, cacheDirectory).orElseThrow();
        assertThat(cache.ready()).isFalse();

        List<String> training = cache.trainArguments();
        assertThat(training).singleElement().asString().startsWith("-XX:AOTCacheOutput=" + cacheDirectory);
        Files.writeString(Path.of(training.get(0).substring("-XX:AOTCacheOutput=".length())), "cache");
        assertThat(cache.ready()).as("not while the JVM may still be writing it").isFalse();
        cache.adoptTraining();

        assertThat(cache.ready()).isTrue();
        assertThat(cache.useArguments()).containsExactly("-XX:AOTCache=" + cache.file().toAbsolutePath());
        assertThat(cacheDirectory).isDirectoryNotContaining("glob:**/training-*");
    }

    @Test
    void aTrainingReplicaThatExitedWithoutWritingTheCache_leavesItUntrained() {
        AotCache cache = AotCache.of(java25, flags, jar, cacheDirectory).orElseThrow();
        cache.trainArguments();

        cache.adoptTraining();

        assertThat(cache.ready()).isFalse();
    }

    @Test
    void aNewBuild_trainsAgain_andItsCacheReplacesTheEarlierOne() throws IOException {
        AotCache first = trained();
        Files.writeString(jar, "build 2");

        AotCache second = AotCache.of(java25, flags, jar, cacheDirectory).orElseThrow();
        assertThat(second.file()).isNotEqualTo(first.file());
        assertThat(second.ready()).isFalse();
        Files.writeString(Path.of(second.trainArguments().get(0).substring("-XX:AOTCacheOutput=".length())), "cache");
        second.adoptTraining();

        assertThat(second.ready()).isTrue();
        assertThat(first.file()).doesNotExist();
    }

    @Test
    void changedFlags_trainAgain() throws IOException {
        AotCache first = trained();
        Files.writeString(flags.get(1), "-XX:+UseG1GC");

        assertThat(AotCache.of(java25, flags, jar, cacheDirectory).orElseThrow().ready()).isFalse();
        assertThat(first.ready()).isTrue();
    }

    private AotCache trained() throws IOException {
        AotCache cache = AotCache.of(java25, flags, jar, cacheDirectory).orElseThrow();
        Files.writeString(Path.of(cache.trainArguments().get(0).substring("-XX:AOTCacheOutput=".length())), "cache");
        cache.adoptTraining();
        return cache;
    }
}
