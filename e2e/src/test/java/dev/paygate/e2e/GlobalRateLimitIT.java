package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.devstack.GlobalRateLimitEdge;
import dev.paygate.devstack.LocalRateLimit;
import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.Repository;
import dev.paygate.edge.generate.RateLimitServiceConfig;
import dev.paygate.v1.AuthorizationServiceGrpc.AuthorizationServiceBlockingStub;
import dev.paygate.v1.CreateAuthorizationRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * One budget across two Envoys: one identity's writes, spread over both edges, are admitted at the
 * global rate (the rate-limit service on Redis counts them together), not at each Envoy's own.
 * Each Envoy's local bucket alone admits its burst plus its refill: about twice over two Envoys.
 */
@Tag("e2e")
class GlobalRateLimitIT {

    private static final Repository REPOSITORY = Repository.locate();
    private static final int CALLERS = 16;
    private static final long LOAD_MILLIS = 3_000;

    @Test
    void oneClientOverTwoEnvoys_getsTheGlobalWriteBudget_notTwice() throws Exception {
        long perSecond = RateLimitServiceConfig.perSecond(EnvoyConfig.load(REPOSITORY.envoyYaml())).get("writes");
        Path workDir = Files.createTempDirectory("paygate-e2e-global-rl-");
        try (LocalRateLimit limit = LocalRateLimit.start(REPOSITORY, workDir);
             Edge first = globalEdge("global-rl-1", limit);
             Edge second = globalEdge("global-rl-2", limit)) {
            // Empty writes, refused by the replica (INVALID_ARGUMENT): Envoy's answers to malformed
            // idempotency keys would not do, the ratelimit filter skips direct_response routes.
            List<AuthorizationServiceBlockingStub> stubs = List.of(writer(first), writer(second));
            AtomicInteger admitted = new AtomicInteger();
            AtomicInteger limited = new AtomicInteger();
            ExecutorService callers = Executors.newFixedThreadPool(CALLERS);
            long start = System.currentTimeMillis();
            long end = start + LOAD_MILLIS;
            List<Future<?>> running = new ArrayList<>();
            for (int i = 0; i < CALLERS; i++) {
                AuthorizationServiceBlockingStub stub = stubs.get(i % 2);
                running.add(callers.submit(() -> {
                    while (System.currentTimeMillis() < end) {
                        (limitedCall(stub) ? limited : admitted).incrementAndGet();
                    }
                }));
            }
            for (Future<?> caller : running) {
                caller.get(60, TimeUnit.SECONDS);
            }
            callers.shutdownNow();
            // The service counts in fixed one-second windows: the load touches every second from start to end.
            long windows = end / 1000 - start / 1000 + 1;
            System.out.printf("one identity over two Envoys for %d ms: %d writes admitted, %d refused (global %d/s, "
                    + "%d windows)%n", LOAD_MILLIS, admitted.get(), limited.get(), perSecond, windows);
            for (Edge edge : List.of(first, second)) {
                System.out.printf("  one Envoy: %d refused by its local bucket, %d by the global layer%n",
                        edge.stack().envoy().stat("paygate_ratelimit_writes.http_local_rate_limit.rate_limited"),
                        edge.stack().envoy().stat("cluster.paygate_service.ratelimit.global_ratelimit_writes.over_limit"));
            }
            assertThat(limited.get()).as("writes refused").isPositive();
            assertThat((long) admitted.get()).as("writes admitted: at most the global budget of each window touched")
                    .isBetween(perSecond * (windows - 2), perSecond * windows);
        }
    }

    private static Edge globalEdge(String suite, LocalRateLimit limit) {
        InetSocketAddress service = new InetSocketAddress("127.0.0.1", limit.grpcPort());
        return Edge.start(suite, options -> options.withEdgeChange(config -> GlobalRateLimitEdge.render(config, service)));
    }

    private static AuthorizationServiceBlockingStub writer(Edge edge) {
        return edge.authorizations(Map.of("authorization", Edge.bearer(edge.token("global-rl-writer"))));
    }

    private static boolean limitedCall(AuthorizationServiceBlockingStub stub) {
        try {
            stub.withDeadlineAfter(10, TimeUnit.SECONDS).createAuthorization(CreateAuthorizationRequest.getDefaultInstance());
            return false;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED;
        }
    }
}
