package dev.paygate.devstack;

import dev.paygate.edge.FreePorts;
import java.util.ArrayList;
import java.util.List;

/** The ports of one Envoy: the public TLS listener, the admin API and the stats listener. */
public record EdgePorts(int port, int adminPort, int statsPort) {

    /** How far apart the admin (and the stats) ports of consecutive Envoys are: 9901, 9911, 9921, ... */
    public static final int ADMIN_STEP = 10;

    /**
     * {@code count} Envoys from {@code first}: Envoy i (from 0) listens on port + i, admin
     * adminPort + 10 i and stats statsPort + 10 i (8443, 9901, 9902; then 8444, 9911, 9912; ...).
     * Public ports step by one, as replicas' ports do; admin and stats by ten, so that the default
     * 9901 and 9902 stay paired and never meet the next Envoy's.
     */
    public static List<EdgePorts> numbered(EdgePorts first, int count) {
        List<EdgePorts> edges = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            edges.add(new EdgePorts(first.port + i, first.adminPort + ADMIN_STEP * i, first.statsPort + ADMIN_STEP * i));
        }
        return edges;
    }

    /** Three free ports, for tests. */
    public static EdgePorts free() {
        return new EdgePorts(FreePorts.next(), FreePorts.next(), FreePorts.next());
    }

    public List<Integer> all() {
        return List.of(port, adminPort, statsPort);
    }
}
