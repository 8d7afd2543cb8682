package dev.paygate.edge.capacity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paygate.edge.Repository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServiceAdmissionTest {

    private static final ServiceAdmission SHIPPED = ServiceAdmission.read(Repository.locate().serviceConfig());

    @Test
    void shippedConfig_namesTheVariablesTheServiceReads() {
        assertThat(SHIPPED.workers().variable()).isEqualTo("PAYGATE_WORKERS");
        assertThat(SHIPPED.queueCapacity().variable()).isEqualTo("PAYGATE_QUEUE_CAPACITY");
        assertThat(SHIPPED.perReplica(Map.of()))
                .isEqualTo(SHIPPED.workers().defaultValue() + SHIPPED.queueCapacity().defaultValue()).isPositive();
    }

    @Test
    void perReplica_followsTheReplicasEnvironment() {
        assertThat(SHIPPED.perReplica(Map.of("PAYGATE_WORKERS", "8", "PAYGATE_QUEUE_CAPACITY", "80"))).isEqualTo(88);
        assertThat(SHIPPED.perReplica(Map.of("PAYGATE_WORKERS", "8")))
                .isEqualTo(8 + SHIPPED.queueCapacity().defaultValue());
    }

    @Test
    void perReplica_refusesAValueTheServiceCouldNotStartWith() {
        assertThatThrownBy(() -> SHIPPED.perReplica(Map.of("PAYGATE_WORKERS", "lots")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PAYGATE_WORKERS").hasMessageContaining("lots");
        assertThatThrownBy(() -> SHIPPED.perReplica(Map.of("PAYGATE_QUEUE_CAPACITY", "-1")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PAYGATE_QUEUE_CAPACITY");
    }

    @Test
    void read_refusesAnAdmissionWithoutItsPlaceholder(@TempDir Path dir) throws IOException {
        Path fixed = Files.writeString(dir.resolve("application.yml"),
                "paygate:\n  admission:\n    workers: 32\n    queue-capacity: ${PAYGATE_QUEUE_CAPACITY:64}\n");
        assertThatThrownBy(() -> ServiceAdmission.read(fixed)).hasMessageContaining("paygate.admission.workers");
        Path none = Files.writeString(dir.resolve("other.yml"), "paygate:\n  auth: {}\n");
        assertThatThrownBy(() -> ServiceAdmission.read(none)).hasMessageContaining("admission");
    }
}
