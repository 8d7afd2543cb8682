package dev.paygate.edge.generate;

import static dev.paygate.edge.EnvoyConfig.cast;
import static dev.paygate.edge.EnvoyConfig.list;
import static dev.paygate.edge.EnvoyConfig.map;
import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.Repository;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every budget's local limiter divides by the Envoys of the local cluster, and that cluster lists
 * them: without local_cluster_rate_limit on a limiter, or without cluster_manager's local cluster,
 * each Envoy would keep a whole budget.
 */
@Tag("static")
class LocalBudgetShareTest {

    private static final Repository REPOSITORY = Repository.locate();

    @Test
    void everyBudget_dividesByTheEnvoysListed() {
        EnvoyConfig config = LocalBudgetShare.render(EnvoyConfig.load(REPOSITORY.envoyYaml()),
                List.of(new InetSocketAddress("127.0.0.1", 8443), new InetSocketAddress("127.0.0.1", 8444)));

        for (String budget : RateLimitServiceConfig.budgetFilters().keySet()) {
            assertThat(RateLimitServiceConfig.limiter(config.httpFilter(budget))).as(budget)
                    .containsEntry("local_cluster_rate_limit", Map.of());
        }
        assertThat(map(config.tree(), "cluster_manager")).containsEntry("local_cluster_name", LocalBudgetShare.CLUSTER);
        Map<String, Object> cluster = config.cluster(LocalBudgetShare.CLUSTER);
        assertThat(cluster).containsEntry("type", "STATIC");
        List<Object> hosts = list(cast(list(map(cluster, "load_assignment"), "endpoints").get(0)), "lb_endpoints");
        assertThat(hosts).extracting(host -> EnvoyConfig.socketAddress(map(cast(host), "endpoint")).get("port_value"))
                .containsExactly(8443, 8444);
    }

    @Test
    void theShippedEdge_keepsWholeBudgets() {
        EnvoyConfig shipped = EnvoyConfig.load(REPOSITORY.envoyYaml());
        for (String budget : RateLimitServiceConfig.budgetFilters().keySet()) {
            assertThat(RateLimitServiceConfig.limiter(shipped.httpFilter(budget))).doesNotContainKey("local_cluster_rate_limit");
        }
        assertThat(shipped.tree()).doesNotContainKey("cluster_manager");
    }
}
