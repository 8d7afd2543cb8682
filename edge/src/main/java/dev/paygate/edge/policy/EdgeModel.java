package dev.paygate.edge.policy;

import dev.paygate.contract.Contract;
import dev.paygate.edge.EnvoyConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What the rules see of an {@link EnvoyConfig}: its connection managers, filters, routes,
 * clusters, admin and runtime, as {@link Node}s that know their YAML path. It reads the same tree
 * by the same names as EnvoyConfig, but never fails on a missing part: an operator's edited config
 * may lack anything, and the rules judge exactly the file as written (no launcher rewrites).
 */
final class EdgeModel {

    private static final String HCM = EnvoyConfig.CONNECTION_MANAGER;
    private static final Set<String> LOOPBACK = Set.of("127.0.0.1", "::1", "localhost");

    private final Node root;

    EdgeModel(EnvoyConfig config) {
        this.root = Node.root(config.tree());
    }

    Node root() {
        return root;
    }

    List<Node> connectionManagers() {
        List<Node> managers = new ArrayList<>();
        for (Node listener : root.at("static_resources.listeners").items()) {
            for (Node chain : listener.get("filter_chains").items()) {
                for (Node filter : chain.get("filters").items()) {
                    if (HCM.equals(filter.name())) {
                        managers.add(filter.get("typed_config"));
                    }
                }
            }
        }
        return managers;
    }

    static List<Node> httpFilters(Node manager) {
        return manager.get("http_filters").items();
    }

    static Optional<Node> httpFilter(Node manager, String name) {
        return httpFilters(manager).stream().filter(f -> name.equals(f.name())).findFirst();
    }

    static int filterIndex(Node manager, String name) {
        List<Node> filters = httpFilters(manager);
        for (int i = 0; i < filters.size(); i++) {
            if (name.equals(filters.get(i).name())) {
                return i;
            }
        }
        return -1;
    }

    /** The filter's type URL, looking through an ExtensionWithMatcher to the filter it wraps. */
    static String filterType(Node filter) {
        return FilterMatcher.config(filter).get("@type").text();
    }

    static List<RouteRef> routes(Node manager) {
        List<RouteRef> routes = new ArrayList<>();
        for (Node host : manager.at("route_config.virtual_hosts").items()) {
            for (Node route : host.get("routes").items()) {
                routes.add(new RouteRef(manager, host, route));
            }
        }
        return routes;
    }

    /** Routes that forward API traffic: every forwarding route except those to Envoy's own admin. */
    List<RouteRef> apiRoutes() {
        return connectionManagers().stream().flatMap(m -> routes(m).stream())
                .filter(RouteRef::forwards)
                .filter(r -> r.clusters().stream().noneMatch(this::isAdminCluster))
                .toList();
    }

    /** Connection managers that carry API routes (the public listener; not a stats-only one). */
    List<Node> apiManagers() {
        return connectionManagers().stream()
                .filter(m -> routes(m).stream().anyMatch(r -> r.forwards()
                        && r.clusters().stream().noneMatch(this::isAdminCluster)))
                .toList();
    }

    /** The clusters API routes forward to. */
    List<String> apiClusters() {
        return apiRoutes().stream().flatMap(r -> r.clusters().stream()).distinct().toList();
    }

    Optional<Node> cluster(String name) {
        return root.at("static_resources.clusters").items().stream().filter(c -> name.equals(c.name())).findFirst();
    }

    /** A cluster whose every endpoint is this Envoy's admin address: Envoy calling itself. */
    boolean isAdminCluster(String name) {
        Node admin = root.at("admin.address.socket_address");
        return cluster(name).map(EdgeModel::endpoints)
                .filter(sockets -> !sockets.isEmpty())
                .map(sockets -> sockets.stream().allMatch(s -> isLoopback(s.get("address").text())
                        && s.get("port_value").number(-1) == admin.get("port_value").number(-2)))
                .orElse(false);
    }

    private static List<Node> endpoints(Node cluster) {
        List<Node> sockets = new ArrayList<>();
        for (Node locality : cluster.at("load_assignment.endpoints").items()) {
            for (Node endpoint : locality.get("lb_endpoints").items()) {
                sockets.add(endpoint.at("endpoint.address.socket_address"));
            }
        }
        return sockets;
    }

    static boolean isLoopback(String address) {
        return address != null && LOOPBACK.contains(address);
    }

    /** A value the static runtime layers give {@code key}, if any (the last layer wins). */
    Optional<Node> runtime(String key) {
        Optional<Node> value = Optional.empty();
        for (Node layer : root.at("layered_runtime.layers").items()) {
            Node candidate = layer.get("static_layer").get(key);
            if (candidate.present()) {
                value = Optional.of(candidate);
            }
        }
        return value;
    }

    /**
     * A runtime fractional percent as this file sets it: the static layers' value for its key,
     * else its default; absent is 0 %. (An admin or disk layer can change it at run time.)
     */
    long percent(Node fractional) {
        if (!fractional.present()) {
            return 0;
        }
        Node value = fractional.get("default_value");
        long denominator = switch (String.valueOf(value.get("denominator").text())) {
            case "TEN_THOUSAND" -> 10_000;
            case "MILLION" -> 1_000_000;
            default -> 100;
        };
        long numerator = value.get("numerator").number(0);
        String key = fractional.get("runtime_key").text();
        if (key != null) {
            numerator = runtime(key).map(v -> v.number(0)).orElse(numerator);
        }
        return numerator * 100 / denominator;
    }

    /** The contract methods whose gRPC path this route's path condition accepts. */
    static List<Contract.Method> served(RouteRef route, Contract contract) {
        return contract.methods().stream()
                .filter(m -> RouteMatch.pathMatches(route.route().get("match"), m.grpcPath())).toList();
    }
}
