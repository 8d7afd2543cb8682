package dev.paygate.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The ports ./paygate run --edges N gives its Envoys: the first keeps today's, the next ones step. */
class EdgePortsTest {

    private static final EdgePorts DEFAULTS = new EdgePorts(8443, 9901, 9902);

    @Test
    void oneEdge_keepsTheDefaultPorts() {
        assertThat(EdgePorts.numbered(DEFAULTS, 1)).containsExactly(DEFAULTS);
    }

    @Test
    void threeEdges_stepThePublicPortByOne_andAdminAndStatsByTen() {
        List<EdgePorts> edges = EdgePorts.numbered(DEFAULTS, 3);

        assertThat(edges).containsExactly(DEFAULTS, new EdgePorts(8444, 9911, 9912), new EdgePorts(8445, 9921, 9922));
        assertThat(edges.stream().flatMap(edge -> edge.all().stream())).doesNotHaveDuplicates();
    }
}
