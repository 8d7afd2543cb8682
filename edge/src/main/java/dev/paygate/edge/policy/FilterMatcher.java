package dev.paygate.edge.policy;

import java.util.Map;
import java.util.Optional;

/**
 * Whether an HTTP filter wrapped in an ExtensionWithMatcher runs for a request, judged from the
 * request's headers the way Envoy's xds matcher does: the first matcher in matcher_list whose
 * predicate holds decides, else on_no_match; its SkipFilter action skips the filter. Predicates
 * on request headers (HttpRequestHeaderMatchInput, pseudo-headers such as {@code :path}
 * included) with exact, prefix, suffix, contains and safe_regex values, combined by and/or/not,
 * are understood. Anything else (another input, a nested matcher tree) is unknown, and an
 * unknown decision counts as a skip, so a rule never credits a filter it cannot prove runs.
 */
final class FilterMatcher {

    static final String WITH_MATCHER = "type.googleapis.com/envoy.extensions.common.matching.v3.ExtensionWithMatcher";
    private static final String HEADER_INPUT = "type.googleapis.com/envoy.type.matcher.v3.HttpRequestHeaderMatchInput";
    private static final String SKIP = "type.googleapis.com/envoy.extensions.filters.common.matcher.action.v3.SkipFilter";

    private FilterMatcher() {
    }

    /** The filter's own typed_config: the wrapped extension's when a matcher wraps it. */
    static Node config(Node filter) {
        Node typed = filter.get("typed_config");
        return WITH_MATCHER.equals(typed.get("@type").text()) ? typed.at("extension_config.typed_config") : typed;
    }

    /** Whether the filter is skipped for a request with these headers (lower-case names). */
    static boolean skips(Node filter, Map<String, String> request) {
        Node typed = filter.get("typed_config");
        if (!WITH_MATCHER.equals(typed.get("@type").text())) {
            return false;
        }
        Node matcher = typed.get("xds_matcher").present() ? typed.get("xds_matcher") : typed.get("matcher");
        for (Node candidate : matcher.at("matcher_list.matchers").items()) {
            Optional<Boolean> holds = holds(candidate.get("predicate"), request);
            if (holds.isEmpty()) {
                return true;
            }
            if (holds.get()) {
                return skipAction(candidate.get("on_match"));
            }
        }
        return matcher.get("on_no_match").present() && skipAction(matcher.get("on_no_match"));
    }

    private static boolean skipAction(Node onMatch) {
        // A nested matcher is not evaluated here: unknown, so it counts as a skip.
        return !onMatch.get("action").present() || SKIP.equals(onMatch.at("action.typed_config.@type").text());
    }

    /** Whether the predicate holds; empty when it uses something this class does not understand. */
    static Optional<Boolean> holds(Node predicate, Map<String, String> request) {
        if (predicate.get("single_predicate").present()) {
            return single(predicate.get("single_predicate"), request);
        }
        if (predicate.get("not_matcher").present()) {
            return holds(predicate.get("not_matcher"), request).map(b -> !b);
        }
        boolean any = predicate.get("or_matcher").present();
        if (!any && !predicate.get("and_matcher").present()) {
            return Optional.empty();
        }
        Node list = predicate.get(any ? "or_matcher" : "and_matcher").get("predicate");
        boolean result = !any;
        for (Node each : list.items()) {
            Optional<Boolean> holds = holds(each, request);
            if (holds.isEmpty()) {
                return Optional.empty();
            }
            result = any ? result || holds.get() : result && holds.get();
        }
        return Optional.of(result);
    }

    private static Optional<Boolean> single(Node predicate, Map<String, String> request) {
        Node input = predicate.at("input.typed_config");
        Node value = predicate.get("value_match");
        if (!HEADER_INPUT.equals(input.get("@type").text()) || !value.present()) {
            return Optional.empty();
        }
        String header = request.get(input.get("header_name").text().toLowerCase());
        if (header == null) {
            return Optional.of(false);  // no input: a value matcher never holds
        }
        boolean ignoreCase = value.get("ignore_case").isTrue();
        String subject = ignoreCase ? header.toLowerCase() : header;
        for (String kind : new String[] {"exact", "prefix", "suffix", "contains"}) {
            String expected = value.get(kind).text();
            if (expected != null) {
                String wanted = ignoreCase ? expected.toLowerCase() : expected;
                return Optional.of(switch (kind) {
                    case "exact" -> subject.equals(wanted);
                    case "prefix" -> subject.startsWith(wanted);
                    case "suffix" -> subject.endsWith(wanted);
                    default -> subject.contains(wanted);
                });
            }
        }
        String regex = value.at("safe_regex.regex").text();
        return regex == null ? Optional.empty() : Optional.of(RouteMatch.fullMatch(regex, header));
    }
}
