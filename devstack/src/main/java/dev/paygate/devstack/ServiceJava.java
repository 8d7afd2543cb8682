package dev.paygate.devstack;

import dev.paygate.edge.Repository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The {@code java} that runs the service with its production flags, and those flags: the common
 * argfile {@code service/jvm.options} plus the one for that Java release,
 * {@code service/jvm-<release>.options} (the collector: its flags differ between releases, and a
 * flag one release does not know stops the JVM).
 *
 * <p>Found in this order, the first that applies: {@code PAYGATE_SERVICE_JAVA} (a {@code java}
 * executable); a Java {@value #PREFERRED} JDK under {@code /usr/lib/jvm} (the release the Docker
 * image runs); the JDK running this launcher. Its release is read from the JDK's {@code release}
 * file; a release without its own argfile is refused, with what to do.
 */
public record ServiceJava(Path executable, int release) {

    /** The release the service runs on in production (service/Dockerfile's base image). */
    public static final int PREFERRED = 25;

    private static final Path JVM_DIRECTORY = Path.of("/usr/lib/jvm");
    private static final Pattern JAVA_VERSION = Pattern.compile("(?m)^JAVA_VERSION=\"(\\d+)[^\"]*\"");

    /** The service's java on this machine (see the class comment). */
    public static ServiceJava find() {
        return find(System.getenv(), JVM_DIRECTORY, Path.of(System.getProperty("java.home")));
    }

    static ServiceJava find(Map<String, String> environment, Path jvmDirectory, Path launcherHome) {
        String configured = environment.get("PAYGATE_SERVICE_JAVA");
        if (configured != null && !configured.isBlank()) {
            Path executable = Path.of(configured);
            return new ServiceJava(executable, release(home(executable)).orElseThrow(() -> new IllegalStateException(
                    "PAYGATE_SERVICE_JAVA=" + configured + ": no JDK release file at " + home(executable).resolve("release"))));
        }
        return installed(jvmDirectory, PREFERRED)
                .orElseGet(() -> new ServiceJava(launcherHome.resolve("bin/java"), release(launcherHome).orElseThrow(
                        () -> new IllegalStateException("no JDK release file in " + launcherHome))));
    }

    /** A JDK of this release under the directory (the newest by name when there are several). */
    static Optional<ServiceJava> installed(Path jvmDirectory, int release) {
        if (!Files.isDirectory(jvmDirectory)) {
            return Optional.empty();
        }
        try (Stream<Path> homes = Files.list(jvmDirectory)) {
            return homes.filter(home -> Files.isExecutable(home.resolve("bin/java")))
                    .filter(home -> release(home).orElse(0) == release)
                    .max(Comparator.comparing(Path::toString))
                    .map(home -> new ServiceJava(home.resolve("bin/java"), release));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + jvmDirectory, e);
        }
    }

    /** The JVM arguments of the production flags: both argfiles, common first. */
    public List<String> productionArguments(Repository repository) {
        return productionFlagFiles(repository).stream().map(file -> "@" + file.toAbsolutePath()).toList();
    }

    /** The production flags' argfiles: the common one, then this release's. */
    List<Path> productionFlagFiles(Repository repository) {
        Path common = repository.serviceJvmOptions();
        Path perRelease = common.resolveSibling("jvm-" + release + ".options");
        if (!Files.isRegularFile(perRelease)) {
            throw new IllegalStateException("the service has no flags for Java " + release + " (" + executable
                    + "): no " + perRelease + "; install Java " + PREFERRED + " or set PAYGATE_SERVICE_JAVA to a Java "
                    + PREFERRED + " or 17 executable");
        }
        return List.of(common, perRelease);
    }

    private static Path home(Path executable) {
        return executable.toAbsolutePath().getParent().getParent();
    }

    /** The feature release of JAVA_VERSION in a JDK's {@code release} file (JDK 9+ writes it). */
    static Optional<Integer> release(Path home) {
        Path file = home.resolve("release");
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            Matcher version = JAVA_VERSION.matcher(Files.readString(file));
            return version.find() ? Optional.of(Integer.parseInt(version.group(1))) : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
