package dev.paygate.contract;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A google.api.http path template ({@code /v1/{name=accounts/*}/authorizations:verb}) as the
 * transcoder's path matcher sees it: literal and {@code *} segments with the variables expanded,
 * the custom verb, and the field paths the variables bind. Refuses {@code **}: the strict-JSON
 * filter matches one segment per {@code *}.
 */
public record PathTemplate(List<String> segments, String verb, Set<String> variables) {

    public static PathTemplate parse(String template) {
        if (!template.startsWith("/")) {
            throw new IllegalArgumentException("template must start with '/': " + template);
        }
        String path = template;
        String verb = "";
        int colon = path.lastIndexOf(':');
        if (colon > path.lastIndexOf('/') && colon > path.lastIndexOf('}')) {
            verb = path.substring(colon + 1);
            path = path.substring(0, colon);
        }
        List<String> segments = new ArrayList<>();
        Set<String> variables = new LinkedHashSet<>();
        int i = 1;
        while (i <= path.length()) {
            if (i < path.length() && path.charAt(i) == '{') {
                int close = path.indexOf('}', i);
                if (close < 0) {
                    throw new IllegalArgumentException("unclosed variable in " + template);
                }
                String variable = path.substring(i + 1, close);
                int equals = variable.indexOf('=');
                variables.add(equals < 0 ? variable : variable.substring(0, equals));
                for (String segment : (equals < 0 ? "*" : variable.substring(equals + 1)).split("/", -1)) {
                    segments.add(checked(segment, template));
                }
                i = close + 2;  // past "}/"
            } else {
                int slash = path.indexOf('/', i);
                int end = slash < 0 ? path.length() : slash;
                segments.add(checked(path.substring(i, end), template));
                i = end + 1;
            }
        }
        return new PathTemplate(List.copyOf(segments), verb, Set.copyOf(variables));
    }

    private static String checked(String segment, String template) {
        if (segment.equals("**") || segment.isEmpty() || segment.contains("{") || segment.contains("}")) {
            // "**" matches a variable number of segments; the strict-JSON filter matches one each.
            throw new IllegalArgumentException("unsupported segment '" + segment + "' in " + template);
        }
        return segment;
    }
}
