package dev.paygate.edge.policy;

import dev.paygate.contract.Contract;
import java.util.List;

/** Envoy's admin API stays on loopback; a listener may proxy only its read-only scrape and readiness. */
final class AdminRules {

    /** What a stats listener may take from admin. */
    static final List<String> STATS_PATHS = List.of("/stats/prometheus", "/ready");

    static final Rule ADMIN_NOT_LOOPBACK = new Rule("admin-not-loopback",
            "Envoy's admin API is unauthenticated and can change runtime, drain listeners and stop Envoy",
            AdminRules::adminNotLoopback);

    static final List<Rule> ALL = List.of(ADMIN_NOT_LOOPBACK);

    private AdminRules() {
    }

    private static void adminNotLoopback(EdgeModel edge, Contract contract, Rule.Sink sink) {
        Node admin = edge.root().at("admin.address.socket_address");
        if (admin.present() && !EdgeModel.isLoopback(admin.get("address").text())) {
            sink.report(admin.get("address"), "admin listens on " + admin.get("address").text(),
                    "bind admin to 127.0.0.1; let Prometheus scrape the stats listener instead");
        }
        for (Node manager : edge.connectionManagers()) {
            for (RouteRef route : EdgeModel.routes(manager)) {
                if (route.forwards() && route.clusters().stream().anyMatch(edge::isAdminCluster)
                        && !readOnly(route)) {
                    sink.report(route.route().get("match"), route.label() + " forwards to Envoy's own admin for more than "
                                    + String.join(" and ", STATS_PATHS),
                            "match exactly path: /stats/prometheus (or /ready), without rewrites");
                }
            }
        }
    }

    /** An exact path of the two, unconditional, not rewritten into another admin path. */
    private static boolean readOnly(RouteRef route) {
        Node match = route.route().get("match");
        return match.get("path").present() && STATS_PATHS.contains(match.get("path").text())
                && !RouteMatch.conditional(match)
                && !route.action().get("prefix_rewrite").present()
                && !route.action().get("regex_rewrite").present()
                && !route.action().get("path_rewrite_policy").present();
    }
}
