package dev.paygate.edge.policy;

import dev.paygate.contract.Contract;
import dev.paygate.contract.Contract.Method;
import dev.paygate.contract.HttpBinding;
import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.Repository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Every call meets an enforced limit before it costs the edge any body work. Envoy's local rate
 * limit decides on the request headers (local_ratelimit.cc); a limit counts only while
 * filter_enabled and filter_enforced say so, each 0 % when unset (local_rate_limit.proto).
 */
final class RateLimitRules {

    static final Rule ROUTE_NOT_RATE_LIMITED = new Rule("route-not-rate-limited",
            "a public route without an enforced limit lets one client take the whole capacity of the service; "
                    + "a limit that is disabled or in shadow mode only counts",
            RateLimitRules::routeNotRateLimited);

    static final Rule RATE_LIMIT_AFTER_BODY = new Rule("rate-limit-after-body",
            "a limiter placed after a filter that waits for the whole body (buffer, Lua, transcoder) refuses only "
                    + "once the body is in: every refused call still costs a body read, a check and a transcode, "
                    + "and a client over its budget can hold streams open by withholding its bodies",
            RateLimitRules::rateLimitAfterBody);

    static final List<Rule> ALL = List.of(ROUTE_NOT_RATE_LIMITED, RATE_LIMIT_AFTER_BODY);

    private static final String LOCAL_RATELIMIT =
            "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit";
    private static final String LUA = "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua";
    /** Filters that wait for the whole request body before the filters after them see the request. */
    private static final List<String> BODY_READERS = List.of(
            "type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer",
            "type.googleapis.com/envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder");

    private RateLimitRules() {
    }

    /**
     * One way to call a method a route serves, as request headers: its gRPC form, and for a REST
     * binding the REST form too (what a filter before the transcoder sees); rest is null for gRPC.
     */
    private record Call(String label, Map<String, String> grpc, Map<String, String> rest) {
    }

    private static void routeNotRateLimited(EdgeModel edge, Contract contract, Rule.Sink sink) {
        for (RouteRef route : edge.apiRoutes()) {
            boolean global = EdgeModel.httpFilter(route.manager(), "envoy.filters.http.ratelimit").isPresent()
                    && (route.action().get("rate_limits").present() || route.virtualHost().get("rate_limits").present());
            if (global) {
                continue;
            }
            List<Node> limits = callerLimits(route.manager());
            int transcoder = EdgeModel.filterIndex(route.manager(), EnvoyConfig.TRANSCODER);
            Set<String> reported = new HashSet<>();
            for (Call call : calls(route, contract)) {
                List<Node> configs = new ArrayList<>();
                for (Node filter : limits) {
                    // Before the transcoder a REST call still has its REST path: neither this route
                    // nor its per-route config is what such a filter sees.
                    boolean restView = call.rest() != null && transcoder >= 0
                            && EdgeModel.httpFilters(route.manager()).indexOf(filter) < transcoder;
                    Node perRoute = restView ? new Node("", null) : route.perFilter(filter.name());
                    if (perRoute.get("disabled").isTrue() || FilterMatcher.skips(filter, restView ? call.rest() : call.grpc())) {
                        continue;
                    }
                    Node config = perRoute.get("token_bucket").present() ? perRoute : FilterMatcher.config(filter);
                    if (config.get("token_bucket").present()) {
                        configs.add(config);
                    }
                }
                if (configs.isEmpty() && reported.add("none")) {
                    sink.report(route.route(), route.label() + " has no rate limit for " + call.label()
                                    + (limits.isEmpty() ? " (no local_ratelimit filter in the chain)" : ""),
                            "add a local_ratelimit filter (or a token_bucket in typed_per_filter_config) that applies to it");
                }
                for (Node config : configs) {
                    for (String gate : List.of("filter_enabled", "filter_enforced")) {
                        long percent = edge.percent(config.get(gate));
                        if (percent < 100 && reported.add(config.path() + gate)) {
                            sink.report(config.get(gate), route.label() + "'s rate limit " + gate + " is " + percent
                                            + "% (absent means 0%)",
                                    "set " + gate + " to 100% (default_value numerator 100, and its runtime key to 100)");
                        }
                    }
                }
            }
        }
    }

    private static void rateLimitAfterBody(EdgeModel edge, Contract contract, Rule.Sink sink) {
        for (Node manager : edge.apiManagers()) {
            List<Node> filters = EdgeModel.httpFilters(manager);
            Optional<Node> firstBodyReader = filters.stream().filter(RateLimitRules::readsRequestBody).findFirst();
            if (firstBodyReader.isEmpty()) {
                continue;
            }
            int reader = filters.indexOf(firstBodyReader.get());
            for (Node limit : filters) {
                if (LOCAL_RATELIMIT.equals(EdgeModel.filterType(limit)) && filters.indexOf(limit) > reader) {
                    sink.report(limit, "rate limit " + limit.name() + " runs after " + firstBodyReader.get().name()
                                    + ", which reads the whole body first",
                            "move it before " + firstBodyReader.get().name()
                                    + " (after jwt_authn if it is keyed on the verified identity)");
                }
            }
        }
    }

    /**
     * Local rate limits that bound a caller: every local_ratelimit filter except one keyed on the
     * client address alone, whole or masked to a prefix (a per-address floor bounds an address, and
     * many callers can share one).
     */
    private static List<Node> callerLimits(Node manager) {
        return EdgeModel.httpFilters(manager).stream()
                .filter(f -> LOCAL_RATELIMIT.equals(EdgeModel.filterType(f)) && !f.get("disabled").isTrue())
                .filter(f -> !keyedOnAddressOnly(FilterMatcher.config(f)))
                .toList();
    }

    private static boolean keyedOnAddressOnly(Node config) {
        List<Node> actions = config.get("rate_limits").items().stream()
                .flatMap(limit -> limit.get("actions").items().stream()).toList();
        return !actions.isEmpty() && actions.stream()
                .allMatch(a -> a.get("remote_address").present() || a.get("masked_remote_address").present());
    }

    private static List<Call> calls(RouteRef route, Contract contract) {
        List<Call> calls = new ArrayList<>();
        for (Method method : EdgeModel.served(route, contract)) {
            Map<String, String> grpc = Map.of(":path", method.grpcPath(), ":method", "POST",
                    "content-type", "application/grpc");
            calls.add(new Call("gRPC " + method.name(), grpc, null));
            for (HttpBinding binding : method.bindings()) {
                calls.add(new Call("REST " + binding, grpc, Map.of(":path", binding.samplePath(),
                        ":method", binding.verb(), "content-type", "application/json")));
            }
        }
        return calls;
    }

    /**
     * Whether the filter waits for the whole request body: the buffer and the transcoder always; a
     * Lua filter when its program asks for the body ({@code handle:body()} buffers it,
     * {@code bodyChunks()} streams it); a program that only reads headers never waits. A program
     * the checker cannot read counts as reading the body.
     */
    private static boolean readsRequestBody(Node filter) {
        String type = EdgeModel.filterType(filter);
        if (!LUA.equals(type)) {
            return BODY_READERS.contains(type);
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
}
