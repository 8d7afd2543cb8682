package dev.paygate.devstack;

import static dev.paygate.edge.EnvoyConfig.cast;
import static dev.paygate.edge.EnvoyConfig.list;
import static dev.paygate.edge.EnvoyConfig.map;

import dev.paygate.edge.EnvoyConfig;
import java.util.Map;

/**
 * Test-only: the edge as if behind one trusted proxy, so that a test on loopback can be any
 * client address. The connection manager takes the client's address from the last
 * {@code x-forwarded-for} entry (xff_num_trusted_hops 1, conn_manager_utility.cc) and that is the
 * address masked_remote_address reads (router_ratelimit.cc). The per-address floor keeps its keys
 * and holds {@link #FLOOR_CALLS} calls an hour, so one address runs dry on its next call.
 */
public final class ForwardedClients {

    public static final String FLOOR = "paygate.filters.http.per_address_ratelimit";
    public static final int FLOOR_CALLS = 3;

    private ForwardedClients() {
    }

    public static EnvoyConfig add(EnvoyConfig config) {
        config.connectionManager().put("xff_num_trusted_hops", 1);
        Map<String, Object> floor = map(config.httpFilter(FLOOR), "typed_config");
        floor.put("token_bucket", smallBucket());
        for (Object descriptor : list(floor, "descriptors")) {
            cast(descriptor).put("token_bucket", smallBucket());
        }
        return config;
    }

    private static Map<String, Object> smallBucket() {
        return Map.of("max_tokens", FLOOR_CALLS, "tokens_per_fill", FLOOR_CALLS, "fill_interval", "3600s");
    }
}
