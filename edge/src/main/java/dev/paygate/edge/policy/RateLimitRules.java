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
import java.util.stream.Stream;

/**
 * Every call meets an enforced limit before it costs the edge any body work. Envoy's local rate
 * limit decides on the request headers (local_ratelimit.cc); a limit counts only while
 * filter_enabled and filter_enforced say so, each 0 % when unset (local_rate_limit.proto).
 */
final class RateLimitRules {

    /**
     * A static runtime key whose text says why rate limits may be shadow-only: without it a config
     * in which a limit counts but refuses nothing does not pass (docs/operations.md, "Shadow mode").
     */
    static final String SHADOW_OPT_IN = "paygate.ratelimit.shadow_intended";

    static final Rule ROUTE_NOT_RATE_LIMITED = new Rule("route-not-rate-limited",
            "a public route without a limit lets one client take the whole capacity of the service",
            RateLimitRules::routeNotRateLimited);

    static final Rule RATE_LIMIT_NOT_ENFORCED = new Rule("rate-limit-not-enforced",
            "a limit that is switched off, or in shadow mode (it counts, refuses nothing), ships no protection; "
                    + "shadow mode is for sizing a bucket, on purpose, with " + SHADOW_OPT_IN + " saying why",
            RateLimitRules::rateLimitNotEnforced);

    static final Rule RATE_LIMIT_AFTER_BODY = new Rule("rate-limit-after-body",
            "a limiter placed after a filter that waits for the whole body (buffer, Lua, transcoder) refuses only "
                    + "once the body is in: every refused call still costs a body read, a check and a transcode, "
                    + "and a client over its budget can hold streams open by withholding its bodies",
            RateLimitRules::rateLimitAfterBody);

    static final List<Rule> ALL = List.of(ROUTE_NOT_RATE_LIMITED, RATE_LIMIT_NOT_ENFORCED, RATE_LIMIT_AFTER_BODY);

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
            for (Call call : calls(route, contract)) {
                // Before the transcoder a REST call still has its REST path: neither this route nor
                // its per-route config is what such a filter sees.
                boolean limited = limits.stream().anyMatch(filter -> {
                    boolean restView = call.rest() != null && transcoder >= 0
                            && EdgeModel.httpFilters(route.manager()).indexOf(filter) < transcoder;
                    Node perRoute = restView ? new Node("", null) : route.perFilter(filter.name());
                    return !perRoute.get("disabled").isTrue()
                            && !FilterMatcher.skips(filter, restView ? call.rest() : call.grpc())
                            && (perRoute.get("token_bucket").present()
                                    || FilterMatcher.config(filter).get("token_bucket").present());
                });
                if (!limited) {
                    sink.report(route.route(), route.label() + " has no rate limit for " + call.label()
                                    + (limits.isEmpty() ? " (no local_ratelimit filter in the chain)" : ""),
                            "add a local_ratelimit filter (or a token_bucket in typed_per_filter_config) that applies to it");
                    break;
                }
            }
        }
    }

    /** Every local limit of the API listeners, the per-address floor and per-route buckets included. */
    private static void rateLimitNotEnforced(EdgeModel edge, Contract contract, Rule.Sink sink) {
        boolean shadowIntended = edge.runtime(SHADOW_OPT_IN).map(Node::text)
                .filter(reason -> !reason.isBlank() && !reason.equals("false")).isPresent();
        Set<String> seen = new HashSet<>();
        for (Node manager : edge.apiManagers()) {
            List<Node> configs = new ArrayList<>();
            EdgeModel.httpFilters(manager).stream()
                    .filter(f -> LOCAL_RATELIMIT.equals(EdgeModel.filterType(f)) && !f.get("disabled").isTrue())
                    .forEach(f -> configs.add(FilterMatcher.config(f)));
            EdgeModel.routes(manager).stream()
                    .flatMap(route -> Stream.of(route.route(), route.virtualHost()))
                    .flatMap(owner -> owner.get("typed_per_filter_config").entries().stream())
                    .filter(c -> LOCAL_RATELIMIT.equals(c.get("@type").text()) && c.get("token_bucket").present())
                    .forEach(configs::add);
            for (Node config : configs) {
                if (!seen.add(config.path())) {
                    continue;
                }
                long enabled = edge.percent(config.get("filter_enabled"));
                long enforced = edge.percent(config.get("filter_enforced"));
                if (enabled < 100) {
                    sink.report(config.get("filter_enabled"), limitName(config) + " checks " + enabled
                                    + "% of requests (filter_enabled; unset is 0%)",
                            "set filter_enabled to 100% (default_value numerator 100, and its runtime key to 100)");
                } else if (enforced < 100 && !shadowIntended) {
                    sink.report(config.get("filter_enforced"), limitName(config) + " refuses only " + enforced
                                    + "% of what is over the limit (filter_enforced; unset is 0%): shadow mode",
                            "set filter_enforced to 100% (default_value numerator 100, and its runtime key to 100), "
                                    + "or, while sizing a bucket on purpose, say why in the static runtime key "
                                    + SHADOW_OPT_IN);
                }
            }
        }
    }

    private static String limitName(Node config) {
        String prefix = config.get("stat_prefix").text();
        return "rate limit " + (prefix != null ? prefix : config.path());
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
