package dev.paygate.edge.policy;

import dev.paygate.contract.Contract;
import dev.paygate.edge.EnvoyConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Every policy the edge must hold, by family, and the one way to run them on a config. */
public final class EdgeRules {

    /** Every rule, in the order findings are reported. */
    static final List<Rule> ALL = Stream.of(RetryRules.ALL, TimeoutRules.ALL, ContractRules.ALL,
            AdminRules.ALL, RequestBoundRules.ALL, RateLimitRules.ALL, ClusterRules.ALL, IdentityRules.ALL)
            .flatMap(List::stream).toList();

    private EdgeRules() {
    }

    /** The rules' ids, in order. */
    public static List<String> ids() {
        return ALL.stream().map(Rule::id).toList();
    }

    /**
     * The percent of over-limit requests the local rate limit filter {@code name} refuses, as this
     * file sets it and as rate-limit-not-enforced reads it: its filter_enforced, the static runtime
     * layers' value for the key, else the default (an admin layer can change it at run time). Below
     * 100 is shadow mode; the global layer's descriptors follow it (RateLimitServiceConfig).
     */
    public static long enforcedPercent(EnvoyConfig config, String name) {
        EdgeModel edge = new EdgeModel(config);
        Node filter = edge.apiManagers().stream().map(manager -> EdgeModel.httpFilter(manager, name))
                .flatMap(Optional::stream).findFirst()
                .orElseThrow(() -> new IllegalStateException("no HTTP filter " + name + " on an API listener"));
        return edge.percent(FilterMatcher.config(filter).get("filter_enforced"));
    }

    /** Runs every rule; findings in rule order, then config order. */
    public static List<Finding> check(EnvoyConfig config, Contract contract) {
        EdgeModel edge = new EdgeModel(config);
        List<Finding> findings = new ArrayList<>();
        for (Rule rule : ALL) {
            rule.check().run(edge, contract, (where, what, fix) ->
                    findings.add(new Finding(rule.id(), where.path(), what, rule.why(), fix)));
        }
        return findings;
    }
}
