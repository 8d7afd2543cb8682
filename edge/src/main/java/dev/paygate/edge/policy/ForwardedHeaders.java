package dev.paygate.edge.policy;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The request headers the edge forwards to a replica, each with the reason, and the one regex
 * that removes every other header: the build writes it into edge/envoy.yaml's
 * {@code ${edge.unforwarded_headers}} (cluster paygate_service's upstream header_mutation,
 * remove_on_match). Pseudo-headers (":path", ":authority", ...) are never removed.
 *
 * <p>Envoy 1.40 has no "keep only these" mutation: remove_on_match takes a StringMatcher without
 * negation and RE2 has no lookahead, so the regex spells out the complement of this list as a
 * trie. Envoy's safe_regex must match the whole name. The upstream filters mutate the same header
 * map that the access log and local_reply_config read after the attempt, so the edge's own
 * headers stay on the list.
 */
public final class ForwardedHeaders {

    /** Name to why it is forwarded. */
    public static final Map<String, String> NAMES = names();

    private ForwardedHeaders() {
    }

    private static Map<String, String> names() {
        Map<String, String> names = new LinkedHashMap<>();
        names.put("authorization", "the bearer token: the service verifies it again and takes the caller from it");
        names.put("idempotency-key", "makes a write safe to repeat (the contract's key, AIP-155)");
        names.put("x-request-id", "ties the service's log lines to Envoy's access log");
        names.put("traceparent", "W3C trace context, into the service's log lines");
        names.put("grpc-timeout", "the caller's deadline");
        names.put("x-envoy-expected-rq-timeout-ms", "the attempt's budget, the deadline of calls without grpc-timeout");
        names.put("content-type", "grpc-java serves only application/grpc");
        names.put("te", "gRPC asks for te: trailers");
        names.put("grpc-encoding", "how the request message is compressed: without it a compressed message is unreadable");
        names.put("grpc-accept-encoding", "the compressions the caller reads");
        names.put("x-envoy-original-path", "the edge's own: the access log, and local_reply_config's test for REST");
        names.put("x-envoy-original-method", "the edge's own: the access log");
        names.put("user-agent", "the edge's own: the access log");
        return Map.copyOf(names);
    }

    /** RE2 (and java.util.regex) pattern whose whole match is any header name not forwarded. */
    public static String removalRegex() {
        Node trie = new Node();
        NAMES.keySet().forEach(trie::add);
        return "(?:" + trie.notIn(true) + ").*";
    }

    /** A character trie of the forwarded names. */
    private static final class Node {
        private final TreeMap<Character, Node> next = new TreeMap<>();
        private boolean end;

        void add(String name) {
            Node node = this;
            for (char c : name.toCharArray()) {
                node = node.next.computeIfAbsent(c, k -> new Node());
            }
            node.end = true;
        }

        /**
         * The names that, after this node's prefix, leave the trie: they stop short of a listed
         * name, or go on with a character no listed name has there. At the root a ':' starts a
         * pseudo-header, which is never removed.
         */
        String notIn(boolean root) {
            StringBuilder alternatives = new StringBuilder();
            if (!end && !root) {
                alternatives.append("$|");
            }
            StringBuilder others = new StringBuilder();
            next.keySet().forEach(c -> others.append(escape(c)));
            alternatives.append(others.isEmpty() && !root ? "." : "[^" + others + (root ? ":" : "") + "]");
            next.forEach((c, child) -> alternatives.append('|').append(escape(c)).append("(?:")
                    .append(child.notIn(false)).append(')'));
            return alternatives.toString();
        }

        private static String escape(char c) {
            return Character.isLetterOrDigit(c) ? String.valueOf(c) : "\\" + c;
        }
    }
}
