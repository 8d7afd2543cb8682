package dev.paygate.edge.policy;

import static dev.paygate.edge.policy.Wording.names;

import dev.paygate.contract.Contract;
import dev.paygate.contract.Contract.Method;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What Envoy may repeat: a write only when a repeat cannot charge twice, and only failures worth a retry. */
final class RetryRules {

    static final Rule UNKEYED_WRITE_RETRIED = new Rule("unkeyed-write-retried",
            "a repeated write without a key the service recognises can authorize or capture twice; only a "
                    + "non-empty idempotency-key makes the service answer a repeat with the first result",
            RetryRules::unkeyedWriteRetried);

    static final Rule UNSAFE_RETRY_CONDITION = new Rule("unsafe-retry-condition",
            "only failures that prove the call never ran, or cannot help when repeated, are worth a retry; "
                    + "retrying anything else repeats work, amplifies overload or spends a budget already gone",
            RetryRules::unsafeRetryCondition);

    static final List<Rule> ALL = List.of(UNKEYED_WRITE_RETRIED, UNSAFE_RETRY_CONDITION);

    /** retry_on conditions that are never safe or useful at this edge, with the reason. */
    private static final Map<String, String> UNSAFE_RETRY_ON = Map.of(
            "5xx", "includes 500 (a bug fails the same way) and 504 (the call may have run; the budget is gone)",
            "gateway-error", "includes 504: the budget is gone and the first attempt may have committed",
            "retriable-4xx", "409 is a conflict only the client can resolve",
            "envoy-ratelimited", "a call the limiter refused, retried, spends more of what was refused",
            "resource-exhausted", "RESOURCE_EXHAUSTED means slow down; a retry adds load to an overloaded service",
            "cancelled", "the caller gave up; nobody waits for the retry",
            "deadline-exceeded", "the budget is spent and the first attempt may have committed",
            "internal", "INTERNAL is a bug or a broken invariant; it fails the same way again");

    private RetryRules() {
    }

    private static void unkeyedWriteRetried(EdgeModel edge, Contract contract, Rule.Sink sink) {
        for (RouteRef route : edge.apiRoutes()) {
            List<Method> writes = EdgeModel.served(route, contract).stream().filter(Method::writes).toList();
            Node match = route.route().get("match");
            if (route.retries() == 0 || writes.isEmpty() || requiresWellFormedKey(match)
                    || retriesOnlyCallsNeverSent(route)) {
                continue;
            }
            Optional<Node> keyMatcher = keyHeaderMatcher(match);
            String how = keyMatcher.map(m -> m.get("present_match").present()
                    ? " (its idempotency-key present_match also accepts an empty value)"
                    : " (its idempotency-key matcher accepts an empty or blank value)").orElse("");
            sink.report(keyMatcher.orElse(match), route.label() + " retries (" + route.retries() + "x) the writes "
                            + names(writes) + " without requiring a well-formed idempotency-key" + how,
                    "match the key with string_match.safe_regex that refuses empty and blank values "
                            + "(e.g. '^[A-Za-z0-9][A-Za-z0-9_.:-]{7,127}$'), or set num_retries: 0 on this route");
        }
    }

    private static void unsafeRetryCondition(EdgeModel edge, Contract contract, Rule.Sink sink) {
        for (RouteRef route : edge.apiRoutes()) {
            if (route.retries() == 0) {
                continue;
            }
            Node retryOn = route.retryPolicy().get("retry_on");
            for (String condition : retryOn.text().split(",")) {
                String reason = UNSAFE_RETRY_ON.get(condition.trim());
                if (reason != null) {
                    sink.report(retryOn, route.label() + " retries on '" + condition.trim() + "': " + reason,
                            "retry only on unavailable,reset,connect-failure,refused-stream");
                }
            }
            for (Node code : route.retryPolicy().get("retriable_status_codes").items()) {
                long status = code.number(0);
                if (status < 500 || status == 500 || status == 501 || status == 504) {
                    sink.report(code, route.label() + " retries HTTP " + status
                                    + ": a client error, a bug or a spent budget fails the same way again",
                            "drop " + status + " from retriable_status_codes");
                }
            }
        }
    }

    /**
     * Whether a route retries only attempts that provably never reached a replica: a failed
     * connect sent nothing, and HTTP/2 REFUSED_STREAM means the server did not process the stream
     * (RFC 9113 section 8.7). Repeating those is safe even for a write without a key.
     */
    private static boolean retriesOnlyCallsNeverSent(RouteRef route) {
        Node policy = route.retryPolicy();
        String retryOn = policy.get("retry_on").text();
        return retryOn != null && !policy.get("retriable_status_codes").present()
                && !policy.get("retriable_headers").present()
                && Arrays.stream(retryOn.split(",")).map(String::trim)
                        .allMatch(condition -> condition.equals("connect-failure") || condition.equals("refused-stream"));
    }

    private static Optional<Node> keyHeaderMatcher(Node match) {
        return match.get("headers").items().stream()
                .filter(h -> "idempotency-key".equalsIgnoreCase(h.name())).findFirst();
    }

    /**
     * The route only takes requests whose idempotency-key is non-empty and not blank: a
     * string_match (or the older safe_regex_match / exact_match) that refuses "", " " and a tab.
     * present_match does not qualify: it accepts an empty value.
     */
    private static boolean requiresWellFormedKey(Node match) {
        Optional<Node> header = keyHeaderMatcher(match);
        if (header.isEmpty() || header.get().get("invert_match").isTrue()) {
            return false;
        }
        Node matcher = header.get();
        String regex = matcher.at("string_match.safe_regex.regex").present()
                ? matcher.at("string_match.safe_regex.regex").text() : matcher.at("safe_regex_match.regex").text();
        if (regex != null) {
            return List.of("", " ", "\t", "   ").stream().noneMatch(blank -> RouteMatch.fullMatch(regex, blank));
        }
        for (String kind : List.of("exact", "prefix", "suffix", "contains")) {
            String value = matcher.get("string_match").get(kind).text();
            if (value != null) {
                return !value.isBlank();
            }
        }
        String exact = matcher.get("exact_match").text();
        return exact != null && !exact.isBlank();
    }
}
