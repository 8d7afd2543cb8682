package dev.paygate.devstack;

import dev.paygate.edge.FreePorts;
import java.nio.file.Path;
import java.util.Map;

/** Stacks for tests (in this test jar, which e2e uses): free ports, fast-start replicas, header-driven faults. */
public final class TestStacks {

    private TestStacks() {
    }

    public static Stack.Options options(int replicas, Path workDir) {
        return new Stack.Options(replicas, FreePorts.next(), FreePorts.next(), FreePorts.next(), 0, 0, workDir,
                HeaderDrivenFaults::add, Map.of(), "256m", false);
    }
}
