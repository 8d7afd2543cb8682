package dev.paygate.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ServiceJvmProbeTest {

    @Test
    void histogramTotal_isTheBytesOfItsTotalLine() {
        String histogram = """
                 num     #instances         #bytes  class name (module)
                -------------------------------------------------------
                   1:         52147        4046232  [B (java.base@25.0.3)
                   2:         49830        1195920  java.lang.String (java.base@25.0.3)
                Total        101977        5242152
                """;

        assertThat(ServiceJvmProbe.histogramTotalBytes(histogram)).isEqualTo(5242152);
    }

    @Test
    void histogramWithoutATotal_isRefused() {
        assertThatThrownBy(() -> ServiceJvmProbe.histogramTotalBytes("GC.class_histogram failed"))
                .isInstanceOf(IllegalStateException.class);
    }
}
