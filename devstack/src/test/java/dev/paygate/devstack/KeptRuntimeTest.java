package dev.paygate.devstack;

import static dev.paygate.edge.EnvoyConfig.cast;
import static dev.paygate.edge.EnvoyConfig.list;
import static dev.paygate.edge.EnvoyConfig.map;
import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.Repository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runtime layer on disk that keeps ./paygate edge's changes across the restarts of one stack. */
class KeptRuntimeTest {

    @TempDir
    Path dir;

    @Test
    void add_putsTheDiskLayerJustBelowAdmin_readingItsSubdirectory() {
        EnvoyConfig config = KeptRuntime.add(EnvoyConfig.load(Repository.locate().envoyYaml()), dir);

        List<Object> layers = list(map(config.tree(), "layered_runtime"), "layers");
        assertThat(layers).extracting(layer -> cast(layer).get("name")).containsExactly("defaults", "disk", "admin");
        assertThat(map(cast(layers.get(1)), "disk_layer"))
                .containsEntry("symlink_root", dir.toAbsolutePath().toString()).containsEntry("subdirectory", "paygate");
        assertThat(dir.resolve("paygate")).isEmptyDirectory();
    }

    /** A shadow kept by an earlier ./paygate run must not switch a new one's rate limits off unseen. */
    @Test
    void add_onAnEarlierStacksLayer_dropsItsKeys_andLogsEach() throws IOException {
        Path kept = dir.resolve("paygate/paygate/ratelimit/enforced");
        Files.createDirectories(kept.getParent());
        Files.writeString(kept, "0");
        Files.writeString(dir.resolve("changes.log"), "earlier\n");

        KeptRuntime.add(EnvoyConfig.load(Repository.locate().envoyYaml()), dir);

        assertThat(dir.resolve("paygate")).isEmptyDirectory();
        List<String> log = Files.readAllLines(dir.resolve("changes.log"));
        assertThat(log).hasSize(2).first().isEqualTo("earlier");
        assertThat(log.get(1)).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\t[^\t]+@[^\t]+\t"
                + "paygate\\.ratelimit\\.enforced=\t\\./paygate run \\(a new stack starts from edge/envoy\\.yaml\\)");
    }
}
