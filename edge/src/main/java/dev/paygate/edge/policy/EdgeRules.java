package dev.paygate.edge.policy;

import dev.paygate.contract.Contract;
import dev.paygate.edge.EnvoyConfig;
import java.util.ArrayList;
import java.util.List;
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
