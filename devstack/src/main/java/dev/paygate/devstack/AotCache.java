package dev.paygate.devstack;

import dev.paygate.edge.Repository;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The service's ahead-of-time cache (JEP 483/514/515, Java 25): the classes a replica loaded and
 * linked and the methods' profiles, recorded by one training run and mapped by later starts (README,
 * "Which JVM"). One file per service jar, JDK and flag files: a replica started while it is missing
 * trains (the JVM writes the cache as that replica exits), later replicas use it. Before Java 25
 * there is no AOT cache.
 */
public final class AotCache {

    static final int FIRST_RELEASE = 25;

    private final Path cache;
    private final Path training;

    private AotCache(Path cache, Path training) {
        this.cache = cache;
        this.training = training;
    }

    /**
     * The cache for the service jar on this java with its production flags, in {@code directory};
     * none before Java 25.
     */
    public static Optional<AotCache> forService(Repository repository, ServiceJava java, Path directory) {
        return of(java, java.productionFlagFiles(repository), repository.serviceJar(), directory);
    }

    /** The cache for this jar on this java with these flags, in {@code directory}; none before Java 25. */
    static Optional<AotCache> of(ServiceJava java, List<Path> flagFiles, Path jar, Path directory) {
        if (java.release() < FIRST_RELEASE) {
            return Optional.empty();
        }
        String key = key(java, flagFiles, jar);
        return Optional.of(new AotCache(directory.resolve("service-" + key + ".aot"),
                directory.resolve("training-" + key + ".aot")));
    }

    /** Whether a training run wrote the cache: replicas started now use it. */
    public boolean ready() {
        return Files.isRegularFile(cache);
    }

    /** Map the cache (the JVM goes on without it, and says so, if it does not match). */
    public List<String> useArguments() {
        return List.of("-XX:AOTCache=" + cache.toAbsolutePath());
    }

    /** Record this run; the JVM writes the cache when the replica exits. */
    public List<String> trainArguments() {
        try {
            Files.createDirectories(training.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return List.of("-XX:AOTCacheOutput=" + training.toAbsolutePath());
    }

    /**
     * After the training replica has exited: its cache becomes the one replicas use, in one rename,
     * so no replica maps a half-written file, and the caches of earlier builds go (about 85 MB
     * each). Nothing if it exited before writing one.
     */
    public void adoptTraining() {
        if (!Files.isRegularFile(training)) {
            return;
        }
        try (Stream<Path> files = Files.list(cache.getParent())) {
            Files.move(training, cache, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            for (Path earlier : files.filter(file -> file.getFileName().toString().matches("service-.*\\.aot"))
                    .filter(file -> !file.equals(cache)).toList()) {
                Files.deleteIfExists(earlier);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the AOT cache " + training, e);
        }
    }

    Path file() {
        return cache;
    }

    /** SHA-256 of the JDK's release file, the flag files and the jar: any change needs a new training. */
    private static String key(ServiceJava java, List<Path> flagFiles, Path jar) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            Path home = java.executable().toAbsolutePath().getParent().getParent();
            digest.update(Files.readAllBytes(home.resolve("release")));
            for (Path file : flagFiles) {
                digest.update(Files.readAllBytes(file));
            }
            try (InputStream in = Files.newInputStream(jar)) {
                byte[] buffer = new byte[1 << 16];
                for (int read; (read = in.read(buffer)) > 0; ) {
                    digest.update(buffer, 0, read);
                }
            }
            return HexFormat.of().formatHex(digest.digest(), 0, 8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read what the AOT cache depends on", e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
