package dev.paygate.edge.policy;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

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
     * Whether Envoy uses "new timeouts" here: once the route has max_stream_duration (even empty),
     * the router ignores {@code timeout} and {@code max_grpc_timeout} and starts no global timer
     * (config_impl.cc, using_new_timeouts_; router.cc, finalTimeout).
     */
    boolean usesStreamDuration() {
        return action().get("max_stream_duration").present();
    }

    /**
     * The router's own timer on the whole call, when it has one: none under new timeouts; else,
     * since every call on an API route is gRPC by then, the caller's grpc-timeout capped by
     * max_grpc_timeout where that is set (0s: no cap, so no bound), or {@code timeout}. Empty also
     * when {@code timeout} is unset (Envoy's implicit 15 s is not a decision anyone made) or 0s.
     */
    Optional<Duration> routerTimeout() {
        if (usesStreamDuration()) {
            return Optional.empty();
        }
        Node grpcCap = action().get("max_grpc_timeout");
        return (grpcCap.present() ? grpcCap : action().get("timeout")).duration().filter(d -> !d.isZero());
    }

    /**
     * The connection manager's stream timer on this route: the route's max_stream_duration (0s
     * switches it off), else the manager's common_http_protocol_options.max_stream_duration
     * (conn_manager_impl.cc, refreshDurationTimeout).
     */
    Optional<Duration> streamTimeout() {
        Node own = action().at("max_stream_duration.max_stream_duration");
        Node limit = own.present() ? own : manager.at("common_http_protocol_options.max_stream_duration");
        return limit.duration().filter(d -> !d.isZero());
    }

    /** The whole budget of a call: the shorter of the timers that bound it, empty when none does. */
    Optional<Duration> budget() {
        return Stream.of(routerTimeout(), streamTimeout()).flatMap(Optional::stream).min(Duration::compareTo);
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
