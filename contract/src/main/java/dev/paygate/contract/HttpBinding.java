package dev.paygate.contract;

import com.google.api.HttpRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One {@code google.api.http} binding of an rpc: the HTTP method ({@code GET}, or a custom kind),
 * the path template ({@code /v1/{name=accounts/*}}), and which part of the request the body
 * carries ("" none, "*" every field not in the path, or one field's name). The one place that
 * decodes an {@link HttpRule}; an rpc's additional bindings are bindings like its first.
 */
public record HttpBinding(String verb, String template, String body) {

    /** Every binding of a rule, its additional bindings included; none for an rpc without one. */
    public static List<HttpBinding> of(HttpRule rule) {
        List<HttpBinding> bindings = new ArrayList<>();
        single(rule).ifPresent(bindings::add);
        rule.getAdditionalBindingsList().forEach(extra -> single(extra).ifPresent(bindings::add));
        return List.copyOf(bindings);
    }

    private static Optional<HttpBinding> single(HttpRule rule) {
        String body = rule.getBody();
        return switch (rule.getPatternCase()) {
            case GET -> Optional.of(new HttpBinding("GET", rule.getGet(), body));
            case POST -> Optional.of(new HttpBinding("POST", rule.getPost(), body));
            case PUT -> Optional.of(new HttpBinding("PUT", rule.getPut(), body));
            case DELETE -> Optional.of(new HttpBinding("DELETE", rule.getDelete(), body));
            case PATCH -> Optional.of(new HttpBinding("PATCH", rule.getPatch(), body));
            case CUSTOM -> Optional.of(new HttpBinding(rule.getCustom().getKind(), rule.getCustom().getPath(), body));
            case PATTERN_NOT_SET -> Optional.empty();
        };
    }

    /** The template as the transcoder's path matcher sees it (segments, custom verb, bound fields). */
    public PathTemplate path() {
        return PathTemplate.parse(template);
    }

    /** A concrete path this template accepts, for matching against path rules. */
    public String samplePath() {
        String path = template.replaceAll("\\{[^}=]+=([^}]*)}", "$1").replaceAll("\\{[^}]+}", "x");
        return path.replace("**", "x/x").replace("*", "x");
    }

    @Override
    public String toString() {
        return verb + " " + template;
    }
}
