package dev.paygate.e2e;

import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One budget across two Envoys of two separate stacks (each with its own replica): one identity's
 * writes, spread over both edges, are admitted at the global rate ({@link GlobalWriteBudget}).
 * Over gRPC and over REST: a REST call is a gRPC call only after the transcoder, and a global
 * filter placed before it would find no route and let every REST call through.
 */
@Tag("e2e")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GlobalRateLimitIT {

    @RegisterExtension
    static final GlobalEdges EDGES = GlobalEdges.separateStacks("global-rl", 2, UnaryOperator.identity());

    private Edge first;
    private Edge second;

    @BeforeAll
    void start() {
        first = EDGES.edge(0);
        second = EDGES.edge(1);
    }

    @Test
    void grpcClientOverTwoEnvoys_getsTheGlobalWriteBudget_notTwice() throws Exception {
        String subject = "global-rl-grpc-writer";
        List<BooleanSupplier> writers = List.of(GlobalWriteBudget.grpcWriter(first, subject),
                GlobalWriteBudget.grpcWriter(second, subject));
        GlobalWriteBudget.assertHeld("gRPC", writers, EDGES.envoys());
    }

    @Test
    void restClientOverTwoEnvoys_getsTheGlobalWriteBudget_notTwice() throws Exception {
        String subject = "global-rl-rest-writer";
        List<BooleanSupplier> writers = List.of(GlobalWriteBudget.restWriter(first, subject),
                GlobalWriteBudget.restWriter(second, subject));
        GlobalWriteBudget.assertHeld("REST", writers, EDGES.envoys());
    }
}
