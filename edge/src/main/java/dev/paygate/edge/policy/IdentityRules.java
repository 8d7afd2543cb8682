package dev.paygate.edge.policy;

import dev.paygate.contract.Contract;
import dev.paygate.contract.Contract.Method;
import dev.paygate.edge.EnvoyConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Every call that reaches the service carries a token jwt_authn verified. */
final class IdentityRules {

    static final Rule ROUTE_WITHOUT_JWT = new Rule("route-without-jwt",
            "a call that reaches the service without a verified token has no identity: ownership checks and "
                    + "per-caller limits cannot hold",
            IdentityRules::routeWithoutJwt);

    static final List<Rule> ALL = List.of(ROUTE_WITHOUT_JWT);

    private IdentityRules() {
    }

    private static void routeWithoutJwt(EdgeModel edge, Contract contract, Rule.Sink sink) {
        for (RouteRef route : edge.apiRoutes()) {
            Optional<Node> jwt = EdgeModel.httpFilter(route.manager(), EnvoyConfig.JWT_AUTHN)
                    .filter(f -> !f.get("disabled").isTrue());
            if (jwt.isEmpty()) {
                sink.report(route.route(), route.label() + " forwards to " + String.join(",", route.clusters())
                                + " but no envoy.filters.http.jwt_authn filter verifies callers",
                        "add jwt_authn before the router with a rule requiring the provider on this route");
                continue;
            }
            jwtGap(route, jwt.get(), contract).ifPresent(why -> sink.report(route.route(), route.label() + " " + why,
                    "add a jwt_authn rule requiring the provider for it, and do not disable the filter per route"));
        }
    }

    /** Why this route is not covered by jwt_authn, or empty when every call it serves must carry a verified JWT. */
    private static Optional<String> jwtGap(RouteRef route, Node jwtFilter, Contract contract) {
        Node config = jwtFilter.get("typed_config");
        Node perRoute = route.perFilter(EnvoyConfig.JWT_AUTHN);
        if (perRoute.get("disabled").isTrue() || perRoute.at("config.disabled").isTrue()) {
            return Optional.of("disables jwt_authn in typed_per_filter_config");
        }
        String requirementName = perRoute.get("requirement_name").present() ? perRoute.get("requirement_name").text()
                : perRoute.at("config.requirement_name").text();
        if (requirementName != null) {
            return demandsProvider(config.at("requirement_map").get(requirementName)) ? Optional.empty()
                    : Optional.of("names jwt_authn requirement '" + requirementName + "', which does not require a provider");
        }
        // Before the transcoder, jwt_authn sees REST calls by their REST path; after it, by their gRPC path.
        boolean seesRestPaths = EdgeModel.filterIndex(route.manager(), EnvoyConfig.JWT_AUTHN)
                < EdgeModel.filterIndex(route.manager(), EnvoyConfig.TRANSCODER);
        List<String> paths = new ArrayList<>();
        for (Method method : EdgeModel.served(route, contract)) {
            paths.add(method.grpcPath());
            if (seesRestPaths) {
                method.bindings().forEach(b -> paths.add(b.samplePath()));
            }
        }
        List<String> uncovered = paths.stream().filter(path -> !required(config, path)).toList();
        return uncovered.isEmpty() ? Optional.empty()
                : Optional.of("lets " + String.join(", ", uncovered) + " through without a required JWT provider");
    }

    /** The first unconditional jwt_authn rule matching the path demands a provider. */
    private static boolean required(Node config, String path) {
        Optional<Node> rule = config.get("rules").items().stream()
                .filter(r -> !RouteMatch.conditional(r.get("match")))
                .filter(r -> RouteMatch.pathMatches(r.get("match"), path)).findFirst();
        if (rule.isEmpty()) {
            return false;
        }
        Node requirement = rule.get().get("requires").present() ? rule.get().get("requires")
                : config.at("requirement_map").get(String.valueOf(rule.get().get("requirement_name").text()));
        return demandsProvider(requirement);
    }

    /** A JwtRequirement that fails a call without a valid token from some provider. */
    private static boolean demandsProvider(Node requirement) {
        if (!requirement.present()) {
            return false;
        }
        if (requirement.get("provider_name").text() != null && !requirement.get("provider_name").text().isBlank()) {
            return true;
        }
        if (requirement.at("provider_and_audiences.provider_name").present()) {
            return true;
        }
        List<Node> any = requirement.at("requires_any.requirements").items();
        if (!any.isEmpty()) {
            return any.stream().allMatch(IdentityRules::demandsProvider);
        }
        return requirement.at("requires_all.requirements").items().stream().anyMatch(IdentityRules::demandsProvider);
    }
}
