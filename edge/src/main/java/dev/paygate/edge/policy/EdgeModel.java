package dev.paygate.edge.policy;

import dev.paygate.edge.Repository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The parts of an Envoy bootstrap that the edge rules reason about: HTTP connection managers,
 * their filters and routes, clusters, admin and runtime. Reads only what is there; it never
 * fills in the launcher's local rewrites, so it judges exactly the file an operator edits.
 */
final class EdgeModel {

    static final String HCM = "envoy.filters.network.http_connection_manager";
    static final String TRANSCODER = "envoy.filters.http.grpc_json_transcoder";
    static final String LOCAL_RATELIMIT_TYPE = "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit";
    /** Filters that wait for the whole request body before the filters after them see the request. */
    static final List<String> BODY_READING_TYPES = List.of(
            "type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer",
            "type.googleapis.com/envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder");
    static final String LUA_TYPE = "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua";
    static final String GLOBAL_RATELIMIT = "envoy.filters.http.ratelimit";
    static final String BUFFER = "envoy.filters.http.buffer";
    static final String JWT = "envoy.filters.http.jwt_authn";
    static final String ROUTER = "envoy.filters.http.router";
    private static final Set<String> LOOPBACK = Set.of("127.0.0.1", "::1", "localhost");

    /** A route with the connection manager and virtual host it belongs to (policies inherit from both). */
    record RouteRef(Node manager, Node virtualHost, Node route) {

        Node action() {
            return route.get("route");
        }

        boolean forwards() {
            return action().get("cluster").present() || action().get("weighted_clusters").present();
        }

        List<String> clusters() {
            if (action().get("cluster").present()) {
                return List.of(action().get("cluster").text());
            }
            return action().at("weighted_clusters.clusters").items().stream().map(Node::name).toList();
        }

        /** The route's own retry policy, else its virtual host's (Envoy applies the host's to routes without one). */
        Node retryPolicy() {
            Node own = action().get("retry_policy");
            return own.present() ? own : virtualHost.get("retry_policy");
        }

        /** Attempts after the first: none without retry_on (nothing qualifies), num_retries (default 1) otherwise. */
        long retries() {
            Node policy = retryPolicy();
            String retryOn = policy.get("retry_on").text();
            return retryOn == null || retryOn.isBlank() ? 0 : policy.get("num_retries").number(1);
        }

        /**
         * The whole budget of a call on this route: the shorter of max_stream_duration and
         * timeout where set and positive. Empty when neither is set (Envoy's implicit 15s
         * route timeout is not a decision anyone made) or when one is explicitly 0s (disabled).
         */
        Optional<Duration> budget() {
            Optional<Duration> stream = action().at("max_stream_duration.max_stream_duration").duration();
            Optional<Duration> timeout = action().get("timeout").duration();
            if (stream.filter(Duration::isZero).isPresent() || timeout.filter(Duration::isZero).isPresent()) {
                return Optional.empty();
            }
            return stream.isPresent() && timeout.isPresent()
                    ? Optional.of(stream.get().compareTo(timeout.get()) <= 0 ? stream.get() : timeout.get())
                    : stream.or(() -> timeout);
        }

        /** Per-filter config for {@code filter} on the route, else on its virtual host. */
        Node perFilter(String filter) {
            Node own = route.at("typed_per_filter_config").get(filter);
            return own.present() ? own : virtualHost.at("typed_per_filter_config").get(filter);
        }

        String label() {
            return route.name() != null ? "route " + route.name() : route.path();
        }
    }

    private final Node root;

    EdgeModel(Map<String, Object> tree) {
        this.root = Node.root(tree);
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

    /** The filter's type URL, looking through an ExtensionWithMatcher to the filter it wraps. */
    static String filterType(Node filter) {
        return FilterMatcher.config(filter).get("@type").text();
    }

    /**
     * Local rate limits that bound a caller: every local_ratelimit filter except one keyed on the
     * client address alone, whole or masked to a prefix (a per-address floor bounds an address, and
     * many callers can share one).
     */
    static List<Node> callerRateLimits(Node manager) {
        return httpFilters(manager).stream()
                .filter(f -> LOCAL_RATELIMIT_TYPE.equals(filterType(f)) && !f.get("disabled").isTrue())
                .filter(f -> !keyedOnAddressOnly(FilterMatcher.config(f)))
                .toList();
    }

    private static boolean keyedOnAddressOnly(Node config) {
        List<Node> actions = config.get("rate_limits").items().stream()
                .flatMap(limit -> limit.get("actions").items().stream()).toList();
        return !actions.isEmpty() && actions.stream()
                .allMatch(a -> a.get("remote_address").present() || a.get("masked_remote_address").present());
    }

    /**
     * Whether the filter waits for the whole request body: the buffer and the transcoder always; a
     * Lua filter when its program asks for the body ({@code handle:body()} buffers it,
     * {@code bodyChunks()} streams it); a program that only reads headers never waits. A program
     * the checker cannot read counts as reading the body.
     */
    static boolean readsRequestBody(Node filter) {
        String type = filterType(filter);
        if (!LUA_TYPE.equals(type)) {
            return BODY_READING_TYPES.contains(type);
        }
        return luaProgram(FilterMatcher.config(filter))
                .map(program -> program.contains(":body(") || program.contains(":bodyChunks(")).orElse(true);
    }

    /**
     * A Lua filter's program: inline, or its file, found as named or, for a config that names its
     * compose mount (/etc/envoy/...), under edge/src/main/lua of this checkout.
     */
    private static Optional<String> luaProgram(Node config) {
        String inline = config.at("default_source_code.inline_string").text();
        if (inline != null) {
            return Optional.of(inline);
        }
        String filename = config.at("default_source_code.filename").text();
        if (filename == null) {
            return Optional.empty();
        }
        for (Path candidate : List.of(Path.of(filename), Repository.locate().root().resolve("edge/src/main/lua")
                .resolve(Path.of(filename).getFileName().toString()))) {
            try {
                return Optional.of(Files.readString(candidate));
            } catch (IOException | RuntimeException unreadable) {
                // try the next place
            }
        }
        return Optional.empty();
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

    Optional<Node> cluster(String name) {
        return root.at("static_resources.clusters").items().stream().filter(c -> name.equals(c.name())).findFirst();
    }

    List<Node> endpoints(Node cluster) {
        List<Node> sockets = new ArrayList<>();
        for (Node locality : cluster.at("load_assignment.endpoints").items()) {
            for (Node endpoint : locality.get("lb_endpoints").items()) {
                sockets.add(endpoint.at("endpoint.address.socket_address"));
            }
        }
        return sockets;
    }

    /** A cluster whose every endpoint is this Envoy's admin address: Envoy calling itself. */
    boolean isAdminCluster(String name) {
        Node admin = root.at("admin.address.socket_address");
        return cluster(name).map(this::endpoints)
                .filter(sockets -> !sockets.isEmpty())
                .map(sockets -> sockets.stream().allMatch(s -> isLoopback(s.get("address").text())
                        && s.get("port_value").number(-1) == admin.get("port_value").number(-2)))
                .orElse(false);
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

    /** Whether a RouteMatch's path condition (prefix, path, safe_regex, path_separated_prefix) accepts {@code path}. */
    static boolean pathMatches(Node match, String path) {
        boolean caseSensitive = !match.get("case_sensitive").present() || match.get("case_sensitive").isTrue();
        String subject = caseSensitive ? path : path.toLowerCase();
        if (match.get("prefix").present()) {
            return subject.startsWith(fold(match.get("prefix").text(), caseSensitive));
        }
        if (match.get("path").present()) {
            return subject.equals(fold(match.get("path").text(), caseSensitive));
        }
        if (match.get("path_separated_prefix").present()) {
            String prefix = fold(match.get("path_separated_prefix").text(), caseSensitive);
            return subject.equals(prefix) || subject.startsWith(prefix + "/");
        }
        if (match.at("safe_regex.regex").present()) {
            return fullMatch(match.at("safe_regex.regex").text(), path);
        }
        return false;
    }

    /** RE2 full match, approximated by java.util.regex (the patterns used at the edge mean the same in both). */
    static boolean fullMatch(String regex, String value) {
        try {
            return Pattern.compile(regex).matcher(value).matches();
        } catch (PatternSyntaxException e) {
            return false;
        }
    }

    /** A match with header or query conditions only takes some requests; a plain call may fall through it. */
    static boolean conditional(Node match) {
        return match.get("headers").present() || match.get("query_parameters").present()
                || match.get("runtime_fraction").present() || match.get("dynamic_metadata").present();
    }

    private static String fold(String text, boolean caseSensitive) {
        return caseSensitive ? text : text.toLowerCase();
    }
}
