package dev.paygate.deploy;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the rendered NetworkPolicies admit between pods of one namespace, by Kubernetes' rules: a
 * pod no policy selects for a direction is open in it; a selected pod admits only what some rule
 * of a selecting policy admits. Peers are podSelector / namespaceSelector / ipBlock, selectors by
 * matchLabels (all the chart uses); a namespaceSelector peer or an ipBlock never matches a pod
 * of this namespace here, which is all the tests ask.
 */
record NetworkPolicies(List<Map<String, Object>> policies) {

    static NetworkPolicies of(List<Map<String, Object>> objects) {
        return new NetworkPolicies(objects.stream().filter(o -> "NetworkPolicy".equals(o.get("kind"))).toList());
    }

    /** Whether a pod labelled {@code from} may open a connection to a pod labelled {@code to} on {@code port}. */
    boolean allows(Map<String, String> from, Map<String, String> to, int port) {
        return admits(to, "Ingress", "ingress", "from", from, port) && admits(from, "Egress", "egress", "to", to, port);
    }

    private boolean admits(Map<String, String> pod, String type, String rulesKey, String peersKey,
                           Map<String, String> peer, int port) {
        List<Map<String, Object>> selecting = policies.stream().map(p -> map(p, "spec"))
                .filter(spec -> list(spec, "policyTypes").contains(type))
                .filter(spec -> matches(map(spec, "podSelector"), pod)).toList();
        if (selecting.isEmpty()) {
            return true;
        }
        for (Map<String, Object> spec : selecting) {
            for (Object rule : list(spec, rulesKey)) {
                Map<String, Object> r = cast(rule);
                boolean portOk = !r.containsKey("ports") || list(r, "ports").stream()
                        .anyMatch(p -> Objects.equals(((Number) cast(p).get("port")).intValue(), port));
                boolean peerOk = !r.containsKey(peersKey) || list(r, peersKey).stream()
                        .map(NetworkPolicies::cast)
                        .anyMatch(p -> p.size() == 1 && p.containsKey("podSelector") && matches(map(p, "podSelector"), peer));
                if (portOk && peerOk) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean matches(Map<String, Object> selector, Map<String, String> labels) {
        Map<String, Object> required = selector.containsKey("matchLabels") ? map(selector, "matchLabels") : Map.of();
        return required.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
    }

    static Map<String, Object> map(Map<String, Object> owner, String key) {
        return cast(owner.getOrDefault(key, Map.of()));
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Map<String, Object> owner, String key) {
        return (List<Object>) owner.getOrDefault(key, List.of());
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> cast(Object value) {
        return (Map<String, Object>) value;
    }
}
