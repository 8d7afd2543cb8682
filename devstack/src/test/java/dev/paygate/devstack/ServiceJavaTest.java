package dev.paygate.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paygate.edge.Repository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which java runs the service: PAYGATE_SERVICE_JAVA, else a Java 25 under the JVM directory, else the launcher's. */
class ServiceJavaTest {

    @TempDir
    Path jvms;

    @Test
    void find_prefersAnInstalledJava25_overTheLaunchersJava17() throws IOException {
        Path java17 = jdk("java-17-openjdk-amd64", "17.0.15");
        Path java25 = jdk("temurin-25-jdk-amd64", "25.0.3");

        ServiceJava found = ServiceJava.find(Map.of(), jvms, java17);

        assertThat(found).isEqualTo(new ServiceJava(java25.resolve("bin/java"), 25));
    }

    @Test
    void find_withoutJava25_fallsBackToTheLaunchersJava() throws IOException {
        Path java17 = jdk("java-17-openjdk-amd64", "17.0.15");
        jdk("temurin-21-jdk-amd64", "21.0.8");

        ServiceJava found = ServiceJava.find(Map.of(), jvms, java17);

        assertThat(found).isEqualTo(new ServiceJava(java17.resolve("bin/java"), 17));
    }

    @Test
    void find_takesPaygateServiceJava_first() throws IOException {
        Path java17 = jdk("java-17-openjdk-amd64", "17.0.15");
        jdk("temurin-25-jdk-amd64", "25.0.3");

        ServiceJava found = ServiceJava.find(Map.of("PAYGATE_SERVICE_JAVA", java17.resolve("bin/java").toString()),
                jvms, java17);

        assertThat(found.release()).isEqualTo(17);
    }

    @Test
    void productionArguments_refuseAReleaseWithoutItsArgFile() throws IOException {
        ServiceJava java21 = new ServiceJava(jdk("temurin-21-jdk-amd64", "21.0.8").resolve("bin/java"), 21);

        assertThatThrownBy(() -> java21.productionArguments(Repository.locate()))
                .hasMessageContaining("no flags for Java 21").hasMessageContaining("jvm-21.options");
    }

    @Test
    void productionArguments_areTheCommonArgFileThenTheRelease() {
        ServiceJava java25 = new ServiceJava(Path.of("/opt/java/bin/java"), 25);

        assertThat(java25.productionArguments(Repository.locate())).satisfiesExactly(
                common -> assertThat(common).startsWith("@/").endsWith("/service/jvm.options"),
                release -> assertThat(release).startsWith("@/").endsWith("/service/jvm-25.options"));
    }

    /** A JDK home as the scan sees it: bin/java (executable) and the release file. */
    private Path jdk(String name, String version) throws IOException {
        Path home = Files.createDirectories(jvms.resolve(name));
        Path java = Files.createDirectories(home.resolve("bin")).resolve("java");
        Files.writeString(java, "#!/bin/sh\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(home.resolve("release"), "IMPLEMENTOR=\"test\"\nJAVA_VERSION=\"" + version + "\"\n");
        return home;
    }
}
