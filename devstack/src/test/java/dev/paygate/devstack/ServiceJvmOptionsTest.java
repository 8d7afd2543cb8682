package dev.paygate.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.paygate.edge.Repository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * service/jvm.options plus service/jvm-RELEASE.options are the one place for the service's
 * production JVM flags: the Docker image runs Java 25 with both (what `./paygate run` and `bench`
 * use through {@link ServiceJvm#PRODUCTION} when a Java 25 is installed), and each release's JDK
 * accepts every flag of its pair: a flag it does not know would stop the service at start.
 */
class ServiceJvmOptionsTest {

    private static final Repository REPOSITORY = Repository.locate();

    @Test
    void dockerfile_runsJava25_withBothArgFiles() throws IOException {
        String dockerfile = Files.readString(REPOSITORY.root().resolve("service/Dockerfile"));

        assertThat(dockerfile).contains("FROM eclipse-temurin:25-jre")
                .contains("COPY jvm.options jvm-25.options /app/")
                .contains("ENTRYPOINT [\"java\", \"@/app/jvm.options\", \"@/app/jvm-25.options\", \"-jar\"");
        assertThat(dockerfile).doesNotContain("-Xmx", "-XX:");
    }

    @Test
    void java17_acceptsItsArgFiles_andRunsG1WithTheHeap() throws Exception {
        String flags = finalFlags(new ServiceJava(Path.of(System.getProperty("java.home"), "bin", "java"), 17));

        assertThat(flags).containsPattern("UseG1GC\\s+=\\s+true\\s+\\{product\\} \\{command line\\}");
    }

    @Test
    void java25_acceptsItsArgFiles_andRunsGenerationalZgcWithTheHeap() throws Exception {
        Optional<ServiceJava> java25 = ServiceJava.installed(Path.of("/usr/lib/jvm"), 25);
        assumeTrue(java25.isPresent(), "no Java 25 under /usr/lib/jvm");

        String flags = finalFlags(java25.get());

        // Generational: since JDK 24 (JEP 490) ZGC has no other mode, and no ZGenerational flag.
        assertThat(flags).containsPattern("UseZGC\\s+=\\s+true\\s+\\{product\\} \\{command line\\}");
    }

    @Test
    void java25_writesAnAotCache_andMapsIt_withItsArgFiles(@TempDir Path dir) throws Exception {
        Optional<ServiceJava> java25 = ServiceJava.installed(Path.of("/usr/lib/jvm"), 25);
        assumeTrue(java25.isPresent(), "no Java 25 under /usr/lib/jvm");
        Path cache = dir.resolve("service.aot");

        run(java25.get(), "-XX:AOTCacheOutput=" + cache);
        assertThat(cache).isNotEmptyFile();

        // AOTMode=on: exit with an error, rather than go on without it, if the JVM cannot map the cache.
        run(java25.get(), "-XX:AOTCache=" + cache, "-XX:AOTMode=on");
    }

    /** That java with the production argfiles and these flags, on -version: it must exit 0 without a VM warning. */
    private static void run(ServiceJava java, String... flags) throws Exception {
        List<String> command = new ArrayList<>(List.of(java.executable().toString()));
        command.addAll(java.productionArguments(REPOSITORY));
        command.addAll(List.of(flags));
        command.add("-version");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());

        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).doesNotContain("VM warning", "error");
    }

    /** -XX:+PrintFlagsFinal of that java with the production argfiles: it must accept every flag. */
    private static String finalFlags(ServiceJava java) throws Exception {
        List<String> command = new ArrayList<>(List.of(java.executable().toString()));
        command.addAll(java.productionArguments(REPOSITORY));
        command.addAll(List.of("-XX:+PrintFlagsFinal", "-version"));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());

        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).as("no warning about an unknown or obsolete flag").doesNotContain("VM warning");
        // 192 MiB: the heap that keeps the service under its 512 MiB RSS budget (see jvm.options).
        assertThat(output).containsPattern("MaxHeapSize\\s+=\\s+201326592\\s+\\{product\\} \\{command line\\}");
        return output;
    }
}
