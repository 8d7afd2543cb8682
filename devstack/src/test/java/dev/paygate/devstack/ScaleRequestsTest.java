package dev.paygate.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ./paygate scale without a launcher to answer it (ScaleIT has one that answers). */
class ScaleRequestsTest {

    @TempDir
    Path runDirectory;

    @Test
    void request_noLauncherEverRan_refusesAtOnce_andAsksForNothing() {
        assertThatThrownBy(() -> ScaleRequests.request(runDirectory, 2, Duration.ofSeconds(30)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no ./paygate run is running");
        assertThat(runDirectory.resolve("scale/request")).doesNotExist();
    }

    @Test
    void request_launcherGone_leftItsPid_refusesAtOnce() throws Exception {
        Process exited = new ProcessBuilder("true").start();
        exited.waitFor();
        Files.createDirectories(runDirectory.resolve("scale"));
        Files.writeString(runDirectory.resolve("scale/launcher.pid"), Long.toString(exited.pid()));

        assertThatThrownBy(() -> ScaleRequests.request(runDirectory, 2, Duration.ofSeconds(30)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no ./paygate run is running");
    }
}
