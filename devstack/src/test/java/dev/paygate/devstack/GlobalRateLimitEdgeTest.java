package dev.paygate.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.devstack.credentials.DevCredentials;
import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.EnvoyProcess;
import dev.paygate.edge.Repository;
import dev.paygate.edge.generate.GlobalRateLimitEdge;
import dev.paygate.edge.generate.LocalBudgetShare;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The global layer's rendering loads in the real Envoy, its filters right after the transcoder
 * (before it a REST call has no route, and the ratelimit filter then asks nothing), in the local
 * budgets' order, with grpc_stats still last before the router; the local budgets' share of
 * several Envoys loads too.
 */
class GlobalRateLimitEdgeTest {

    private static final Repository REPOSITORY = Repository.locate();

    @TempDir
    Path workDir;

    @Test
    void renderedGlobalLayer_isAcceptedByEnvoy_afterTheTranscoder() {
        EnvoyConfig config = GlobalRateLimitEdge.render(LocalEdge.render(EnvoyConfig.load(REPOSITORY.envoyYaml()),
                        REPOSITORY, DevCredentials.ensure(workDir), 8443, 9901, 9902,
                        List.of(new InetSocketAddress("127.0.0.1", 50051))),
                new InetSocketAddress("127.0.0.1", 8081));
        List<String> names = config.httpFilterNames();
        assertThat(names.subList(names.indexOf("envoy.filters.http.grpc_json_transcoder") + 1,
                names.indexOf("envoy.filters.http.router"))).containsExactly(
                GlobalRateLimitEdge.globalFilter("paygate.filters.http.per_address_ratelimit"),
                GlobalRateLimitEdge.globalFilter("paygate.filters.http.ratelimit_reads"),
                GlobalRateLimitEdge.globalFilter("paygate.filters.http.ratelimit_writes"),
                "envoy.filters.http.grpc_stats");
        EnvoyProcess.validate(REPOSITORY.envoyBinary(), config.writeTo(workDir.resolve("envoy.yaml")));
    }

    @Test
    void localBudgetsSharedOverTwoEnvoys_areAcceptedByEnvoy() {
        EnvoyConfig config = LocalBudgetShare.render(GlobalRateLimitEdge.render(LocalEdge.render(
                        EnvoyConfig.load(REPOSITORY.envoyYaml()), REPOSITORY, DevCredentials.ensure(workDir), 8443, 9901,
                        9902, List.of(new InetSocketAddress("127.0.0.1", 50051))), new InetSocketAddress("127.0.0.1", 8081)),
                List.of(new InetSocketAddress("127.0.0.1", 8443), new InetSocketAddress("127.0.0.1", 8444)));
        EnvoyProcess.validate(REPOSITORY.envoyBinary(), config.writeTo(workDir.resolve("envoy.yaml")));
    }
}
