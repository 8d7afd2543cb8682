package dev.paygate.edge.policy;

import dev.paygate.contract.Contract;
import dev.paygate.contract.Contract.Method;
import dev.paygate.contract.HttpBinding;
import dev.paygate.edge.EnvoyConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The edge serves the contract, all of it and nothing else, and transcodes it strictly. */
final class ContractRules {

    static final Rule BINDING_NOT_ROUTED = new Rule("binding-not-routed",
            "a method the contract publishes (and clients are told to call) that the edge answers with 404 "
                    + "or never transcodes is an outage the contract tests cannot see",
            ContractRules::bindingNotRouted);

    static final Rule ROUTE_MATCHES_NO_METHOD = new Rule("route-matches-no-method",
            "a forwarding route that no contract method reaches is dead policy at best; at worst it forwards "
                    + "paths the contract does not define to the service, past the transcoder's checks",
            ContractRules::routeMatchesNoMethod);

    static final Rule TRANSCODER_LENIENT = new Rule("transcoder-lenient",
            "without these the transcoder passes an unbound path through as if it were gRPC, and silently "
                    + "drops a misspelt query parameter, so the client's intent is lost without an error",
            ContractRules::transcoderLenient);

    static final Rule TRANSCODER_ROUTE_CONFIG_DRIFTS = new Rule("transcoder-route-config-drifts",
            "a route's own transcoder config replaces the filter's whole (Envoy has no per-route print options): "
                    + "any other difference is a weaker transcoder a client picks with a header, such as "
                    + "Accept: text/event-stream, to skip a body cap or the strict query check",
            ContractRules::transcoderRouteConfigDrifts);

    static final List<Rule> ALL = List.of(BINDING_NOT_ROUTED, ROUTE_MATCHES_NO_METHOD, TRANSCODER_LENIENT,
            TRANSCODER_ROUTE_CONFIG_DRIFTS);

    /** How a stream's messages are delimited: the one thing a route may set differently. */
    private static final List<String> STREAM_DELIMITING = List.of("stream_newline_delimited", "stream_sse_style_delimited");

    private ContractRules() {
    }

    private static void bindingNotRouted(EdgeModel edge, Contract contract, Rule.Sink sink) {
        List<Node> managers = edge.apiManagers();
        if (managers.isEmpty()) {
            sink.report(edge.root().at("static_resources.listeners"), "no listener routes any contract method",
                    "add a listener whose routes forward /<package>.<Service>/<Method> paths to the service");
            return;
        }
        for (Node manager : managers) {
            Optional<Node> transcoder = EdgeModel.httpFilter(manager, EnvoyConfig.TRANSCODER);
            for (Method method : contract.methods()) {
                method.bindings().forEach(binding -> checkTranscoded(manager, transcoder, method, binding, sink));
                Optional<RouteRef> first = EdgeModel.routes(manager).stream()
                        .filter(r -> !RouteMatch.conditional(r.route().get("match")))
                        .filter(r -> RouteMatch.pathMatches(r.route().get("match"), method.grpcPath()))
                        .findFirst();
                if (!method.bindings().isEmpty() && (first.isEmpty() || !first.get().forwards())) {
                    sink.report(manager.get("route_config"), method.bindings().get(0) + " (" + method.grpcPath()
                                    + ") reaches no forwarding route: a plain call ends at "
                                    + first.map(r -> r.label() + " (not forwarded)").orElse("no route (404)"),
                            "add a route matching " + method.grpcPath() + " without header conditions, before any catch-all");
                }
            }
        }
    }

    private static void checkTranscoded(Node manager, Optional<Node> transcoder, Method method, HttpBinding binding,
                                        Rule.Sink sink) {
        if (transcoder.isEmpty()) {
            sink.report(manager.get("http_filters"), binding + " (" + method.grpcPath()
                            + ") is not transcoded: there is no grpc_json_transcoder filter",
                    "add envoy.filters.http.grpc_json_transcoder with the built descriptor set");
            return;
        }
        Node services = transcoder.get().at("typed_config.services");
        List<String> names = services.items().stream().map(Node::text).toList();
        if (!names.isEmpty() && !names.contains(method.service())) {
            sink.report(services, binding + " (" + method.grpcPath() + ") is not transcoded: " + method.service()
                    + " is not in the transcoder's services", "add " + method.service() + " to services");
        }
    }

    private static void routeMatchesNoMethod(EdgeModel edge, Contract contract, Rule.Sink sink) {
        for (RouteRef route : edge.apiRoutes()) {
            if (EdgeModel.served(route, contract).isEmpty()) {
                sink.report(route.route().get("match"), route.label() + " forwards to "
                                + String.join(",", route.clusters()) + " but matches no method of the contract",
                        "match the gRPC paths (/package.Service/Method) of the methods it should serve, or remove it");
            }
        }
    }

    /**
     * reject_unknown_query_parameters makes a parameter that names no field a 400; without it the
     * transcoder ignores it. An unknown JSON body key is dropped either way (measured on 1.40:
     * docs/edge.md, "Strict JSON"), which the strict-JSON filter refuses instead.
     */
    private static void transcoderLenient(EdgeModel edge, Contract contract, Rule.Sink sink) {
        for (Node manager : edge.apiManagers()) {
            EdgeModel.httpFilter(manager, EnvoyConfig.TRANSCODER).ifPresent(transcoder -> {
                Node options = transcoder.at("typed_config.request_validation_options");
                for (String flag : List.of("reject_unknown_method", "reject_unknown_query_parameters")) {
                    if (!options.get(flag).isTrue()) {
                        sink.report(options.get(flag), "the transcoder does not set " + flag,
                                "set request_validation_options." + flag + ": true");
                    }
                }
            });
        }
    }

    private static void transcoderRouteConfigDrifts(EdgeModel edge, Contract contract, Rule.Sink sink) {
        for (Node manager : edge.apiManagers()) {
            Optional<Node> transcoder = EdgeModel.httpFilter(manager, EnvoyConfig.TRANSCODER);
            if (transcoder.isEmpty()) {
                continue;
            }
            Node typedConfig = transcoder.get().get("typed_config");
            Map<?, ?> filter = withoutStreamDelimiting(typedConfig.value());
            for (RouteRef route : EdgeModel.routes(manager)) {
                Node own = route.route().at("typed_per_filter_config").get(EnvoyConfig.TRANSCODER);
                // A FilterConfig wrapper that only disables the filter (the docs routes) replaces nothing.
                if (own.get("config").present()) {
                    own = own.get("config");
                }
                boolean replacesIt = typedConfig.get("@type").text() != null
                        && typedConfig.get("@type").text().equals(own.get("@type").text());
                if (replacesIt && !withoutStreamDelimiting(own.value()).equals(filter)) {
                    sink.report(own, route.label() + " has its own transcoder config that differs from the filter's "
                                    + "in more than " + String.join("/", STREAM_DELIMITING),
                            "repeat the filter's transcoder config exactly (YAML anchors), changing only the stream delimiting");
                }
            }
        }
    }

    private static Map<?, ?> withoutStreamDelimiting(Object config) {
        if (!(config instanceof Map<?, ?> map)) {
            return Map.of();
        }
        Map<Object, Object> copy = new LinkedHashMap<>(map);
        if (copy.get("print_options") instanceof Map<?, ?> options) {
            Map<Object, Object> rest = new LinkedHashMap<>(options);
            STREAM_DELIMITING.forEach(rest::remove);
            copy.put("print_options", rest);
        }
        return copy;
    }
}
