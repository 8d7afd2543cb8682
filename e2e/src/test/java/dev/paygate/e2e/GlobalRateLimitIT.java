package dev.paygate.e2e;

import dev.paygate.devstack.LocalRateLimit;
import dev.paygate.edge.Repository;
import dev.paygate.edge.generate.GlobalRateLimitEdge;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * One budget across two Envoys of two separate stacks (each with its own replica): one identity's
 * writes, spread over both edges, are admitted at the global rate ({@link GlobalWriteBudget}).
 * Over gRPC and over REST: a REST call is a gRPC call only after the transcoder, and a global
 * filter placed before it would find no route and let every REST call through.
 */
@Tag("e2e")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GlobalRateLimitIT {

    private static final Repository REPOSITORY = Repository.locate();

    private LocalRateLimit limit;
    private Edge first;
    private Edge second;

    @BeforeAll
    void start() throws Exception {
        limit = LocalRateLimit.start(REPOSITORY, Files.createTempDirectory("paygate-e2e-global-rl-"));
        first = globalEdge("global-rl-1", limit);
        second = globalEdge("global-rl-2", limit);
    }

    @AfterAll
    void stop() {
        for (AutoCloseable part : new AutoCloseable[] {second, first, limit}) {
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
    void grpcClientOverTwoEnvoys_getsTheGlobalWriteBudget_notTwice() throws Exception {
        String subject = "global-rl-grpc-writer";
        List<BooleanSupplier> writers = List.of(GlobalWriteBudget.grpcWriter(first, subject),
                GlobalWriteBudget.grpcWriter(second, subject));
        GlobalWriteBudget.assertHeld("gRPC", writers, List.of(first.stack().envoy(), second.stack().envoy()));
    }

    @Test
    void restClientOverTwoEnvoys_getsTheGlobalWriteBudget_notTwice() throws Exception {
        String subject = "global-rl-rest-writer";
        List<BooleanSupplier> writers = List.of(GlobalWriteBudget.restWriter(first, subject),
                GlobalWriteBudget.restWriter(second, subject));
        GlobalWriteBudget.assertHeld("REST", writers, List.of(first.stack().envoy(), second.stack().envoy()));
    }

    private static Edge globalEdge(String suite, LocalRateLimit limit) {
        InetSocketAddress service = new InetSocketAddress("127.0.0.1", limit.grpcPort());
        return Edge.start(suite, options -> options.withEdgeChange(config -> GlobalRateLimitEdge.render(config, service)));
    }
}
