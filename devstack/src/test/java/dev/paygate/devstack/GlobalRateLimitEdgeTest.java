package dev.paygate.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.devstack.credentials.DevCredentials;
import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.EnvoyProcess;
import dev.paygate.edge.Repository;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The global layer's rendering loads in the real Envoy, each global filter right after its local budget. */
class GlobalRateLimitEdgeTest {

    private static final Repository REPOSITORY = Repository.locate();

    @TempDir
    Path workDir;

    @Test
    void renderedGlobalLayer_isAcceptedByEnvoy_afterEachLocalBudget() {
        EnvoyConfig config = GlobalRateLimitEdge.render(LocalEdge.render(EnvoyConfig.load(REPOSITORY.envoyYaml()),
                        REPOSITORY, DevCredentials.ensure(workDir), 8443, 9901, 9902,
                        List.of(new InetSocketAddress("127.0.0.1", 50051))),
                new InetSocketAddress("127.0.0.1", 8081));
        List<String> names = config.httpFilterNames();
        for (String local : List.of("paygate.filters.http.per_address_ratelimit", "paygate.filters.http.ratelimit_reads",
                "paygate.filters.http.ratelimit_writes")) {
            assertThat(names.indexOf(GlobalRateLimitEdge.globalFilter(local))).as(local).isEqualTo(names.indexOf(local) + 1);
        }
        EnvoyProcess.validate(REPOSITORY.envoyBinary(), config.writeTo(workDir.resolve("envoy.yaml")));
    }
}
