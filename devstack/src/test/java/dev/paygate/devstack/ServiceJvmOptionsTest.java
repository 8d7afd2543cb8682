package dev.paygate.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.edge.Repository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * service/jvm.options is the one place for the service's production JVM flags: the Docker image
 * runs with it (what `./paygate run` and `bench` use through {@link ServiceJvm#PRODUCTION}), and
 * this JDK accepts every flag in it.
 */
class ServiceJvmOptionsTest {

    private static final Repository REPOSITORY = Repository.locate();

    @Test
    void dockerfile_copiesAndRunsWithTheArgFile() throws IOException {
        String dockerfile = Files.readString(REPOSITORY.root().resolve("service/Dockerfile"));

        assertThat(dockerfile).contains("COPY jvm.options /app/jvm.options")
                .contains("ENTRYPOINT [\"java\", \"@/app/jvm.options\", \"-jar\"");
        assertThat(dockerfile).doesNotContain("-Xmx", "-XX:");
    }

    @Test
    void argFile_isAcceptedByThisJdk_andSetsTheHeapAndCollector() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(List.of(java.toString(), "@" + REPOSITORY.serviceJvmOptions(),
                "-XX:+PrintFlagsFinal", "-version")).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());

        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        // 192 MiB: the heap that keeps the service under its 512 MiB RSS budget (see the file).
        assertThat(output).containsPattern("MaxHeapSize\\s+=\\s+201326592\\s+\\{product\\} \\{command line\\}")
                .containsPattern("UseG1GC\\s+=\\s+true\\s+\\{product\\} \\{command line\\}");
    }
}
