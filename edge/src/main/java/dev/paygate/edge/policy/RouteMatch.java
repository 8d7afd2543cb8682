package dev.paygate.edge.policy;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Which paths a RouteMatch (or a jwt_authn rule's match) accepts, as Envoy's route matcher decides. */
final class RouteMatch {

    private RouteMatch() {
    }

    /** Whether the path condition (prefix, path, path_separated_prefix, safe_regex) accepts {@code path}. */
    static boolean pathMatches(Node match, String path) {
        boolean caseSensitive = !match.get("case_sensitive").present() || match.get("case_sensitive").isTrue();
        String subject = caseSensitive ? path : path.toLowerCase();
        if (match.get("prefix").present()) {
            return subject.startsWith(fold(match.get("prefix").text(), caseSensitive));
        }
        if (match.get("path").present()) {
            return subject.equals(fold(match.get("path").text(), caseSensitive));
        }
        if (match.get("path_separated_prefix").present()) {
            String prefix = fold(match.get("path_separated_prefix").text(), caseSensitive);
            return subject.equals(prefix) || subject.startsWith(prefix + "/");
        }
        if (match.at("safe_regex.regex").present()) {
            return fullMatch(match.at("safe_regex.regex").text(), path);
        }
        return false;
    }

    /** RE2 full match, approximated by java.util.regex (the patterns used at the edge mean the same in both). */
    static boolean fullMatch(String regex, String value) {
        try {
            return Pattern.compile(regex).matcher(value).matches();
        } catch (PatternSyntaxException e) {
            return false;
        }
    }

    /** A match with header or query conditions only takes some requests; a plain call may fall through it. */
    static boolean conditional(Node match) {
        return match.get("headers").present() || match.get("query_parameters").present()
                || match.get("runtime_fraction").present() || match.get("dynamic_metadata").present();
    }

    private static String fold(String text, boolean caseSensitive) {
        return caseSensitive ? text : text.toLowerCase();
    }
}
