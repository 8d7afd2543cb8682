package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.devstack.EdgePorts;
import dev.paygate.devstack.MultiEdgeStack;
import dev.paygate.devstack.TestStacks;
import dev.paygate.edge.Repository;
import java.nio.file.Files;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code ./paygate run --edges 2}'s stack ({@link MultiEdgeStack}): two Envoys in front of the
 * same replica, each with the global layer, one rate-limit service. One client spread over both
 * Envoys gets the global write budget, not twice it ({@link GlobalWriteBudget}).
 */
@Tag("e2e")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MultiEdgeIT {

    private MultiEdgeStack running;
    private Edge first;
    private Edge second;

    @BeforeAll
    void start() throws Exception {
        running = MultiEdgeStack.start(Repository.locate(),
                TestStacks.options(1, Files.createTempDirectory("paygate-e2e-multi-edge-")), List.of(EdgePorts.free()));
        List<EdgePorts> edges = running.stack().edges();
        first = Edge.through(running.stack(), edges.get(0).port(), "multi-edge");
        second = Edge.through(running.stack(), edges.get(1).port(), "multi-edge");
    }

    @AfterAll
    void stop() {
        for (AutoCloseable part : new AutoCloseable[] {second, first, running}) {
            if (part != null) {
                try {
                    part.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    @Test
    void anAccountMadeThroughOneEnvoy_isReadThroughTheOther() {
        String account = new RestPayments(first).createAccount(1_000).get("name").asText();

        Edge.Rest read = second.get("/v1/" + account);

        assertThat(read.status()).as(read.text()).isEqualTo(200);
        assertThat(read.json().get("name").asText()).isEqualTo(account);
    }

    @Test
    void grpcClientOverBothEnvoys_getsTheGlobalWriteBudget_notTwice() throws Exception {
        String subject = "multi-edge-grpc-writer";
        List<BooleanSupplier> writers = List.of(GlobalWriteBudget.grpcWriter(first, subject),
                GlobalWriteBudget.grpcWriter(second, subject));
        GlobalWriteBudget.assertHeld("gRPC", writers, running.stack().envoys());
    }

    @Test
    void restClientOverBothEnvoys_getsTheGlobalWriteBudget_notTwice() throws Exception {
        String subject = "multi-edge-rest-writer";
        List<BooleanSupplier> writers = List.of(GlobalWriteBudget.restWriter(first, subject),
                GlobalWriteBudget.restWriter(second, subject));
        GlobalWriteBudget.assertHeld("REST", writers, running.stack().envoys());
    }
}
