package dev.paygate.edge.generate;

import dev.paygate.contract.Contract;
import dev.paygate.contract.HttpBinding;
import dev.paygate.edge.policy.ForwardedHeaders;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * edge/envoy.yaml as the repository keeps it: Envoy's config with a placeholder where a value
 * mirrors the contract, filled in from the {@link Contract} by the build (edge/target/envoy.yaml),
 * or comes from the edge's own tables: the headers a replica receives ({@link ForwardedHeaders})
 * and the error replies (edge/local_replies.yaml, {@link LocalReplies}).
 * Reads and writes are told apart by {@code idempotency_level}, as the service's AccessPolicy
 * tells their scopes; server-streaming reads are apart from the unary ones (their route has no
 * budget and no retry). The substitution is textual, so the rendered file keeps every comment.
 */
public final class EnvoyTemplate {

    /** The gRPC paths of the unary reads (NO_SIDE_EFFECTS), as an RE2 regex for a full match. */
    public static final String READS = "${contract.reads}";
    /** The gRPC paths of the server-streaming rpcs (reads too, with a route of their own). */
    public static final String STREAMS = "${contract.streams}";
    /** The gRPC paths of every other rpc. */
    public static final String WRITES = "${contract.writes}";
    /** The services the JSON transcoder serves: every service of the contract, as a YAML flow list. */
    public static final String SERVICES = "${contract.services}";
    /** Every request header name off {@link ForwardedHeaders}' list, as an RE2 regex for a full match. */
    public static final String UNFORWARDED_HEADERS = "${edge.unforwarded_headers}";
    /** The HTTP methods of every binding, for an Allow header: {@code GET, POST}. */
    public static final String HTTP_METHODS = "${contract.http_methods}";
    /** The same as an RE2 regex for a full match: {@code ^(GET|POST)$}. */
    public static final String HTTP_METHODS_REGEX = "${contract.http_methods_regex}";
    /** The local_reply_config block, generated from edge/local_replies.yaml (alone on its line after a key). */
    public static final String LOCAL_REPLIES = "${edge.local_replies}";

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{(?:contract|edge)\\.[a-z_]+}");
    private static final String READ_VERB = "GET";

    private EnvoyTemplate() {
    }

    /**
     * The template with every placeholder filled in, the local replies generated from
     * {@code localReplies} (edge/local_replies.yaml, whose own placeholders are filled in first).
     * Fails when either has a placeholder this class does not know, or when the contract binds a
     * read to anything but GET or a write to GET: before the transcoder runs, the edge's rate
     * limiter tells a REST read by its GET.
     */
    public static String render(String template, Contract contract, String localReplies) {
        checkRestVerbs(contract);
        Map<String, String> values = values(contract);
        values.put(LOCAL_REPLIES, LocalReplies.yaml(substitute(localReplies, values)));
        return substitute(template, values);
    }

    private static String substitute(String text, Map<String, String> values) {
        Matcher placeholder = PLACEHOLDER.matcher(text);
        StringBuilder rendered = new StringBuilder();
        while (placeholder.find()) {
            String value = values.get(placeholder.group());
            if (value == null) {
                throw new IllegalArgumentException("unknown placeholder " + placeholder.group() + "; known: "
                        + values.keySet());
            }
            placeholder.appendReplacement(rendered, Matcher.quoteReplacement(indented(value, text, placeholder)));
        }
        return placeholder.appendTail(rendered).toString();
    }

    /** A value of several lines becomes a YAML block under the placeholder's key, one level deeper. */
    private static String indented(String value, String text, Matcher placeholder) {
        if (!value.contains("\n")) {
            return value;
        }
        String line = text.substring(text.lastIndexOf('\n', placeholder.start()) + 1, placeholder.start());
        String indent = " ".repeat(line.length() - line.stripLeading().length() + 2);
        return "\n" + value.lines().map(each -> indent + each).collect(Collectors.joining("\n"));
    }

    /** Whether the text has any placeholder, i.e. is a template rather than a rendered config. */
    public static boolean isTemplate(String text) {
        return PLACEHOLDER.matcher(text).find();
    }

    /**
     * Placeholders that neither the template nor the local replies' table has: each is a value
     * kept by hand, which can drift from proto/ or the edge's tables.
     */
    public static List<String> missing(String template, String localReplies) {
        return List.of(READS, STREAMS, WRITES, SERVICES, HTTP_METHODS, HTTP_METHODS_REGEX, UNFORWARDED_HEADERS, LOCAL_REPLIES)
                .stream().filter(p -> !template.contains(p) && !localReplies.contains(p)).toList();
    }

    private static Map<String, String> values(Contract contract) {
        Map<String, String> values = new LinkedHashMap<>();
        values.put(READS, grpcPathRegex(contract.methods().stream().filter(m -> m.reads() && !m.streams()).toList()));
        values.put(STREAMS, grpcPathRegex(contract.methods().stream().filter(Contract.Method::streams).toList()));
        values.put(WRITES, grpcPathRegex(contract.methods().stream().filter(Contract.Method::writes).toList()));
        values.put(SERVICES, contract.services().stream().map(s -> s.getFullName())
                .collect(Collectors.joining(", ", "[", "]")));
        List<String> verbs = contract.methods().stream().flatMap(m -> m.bindings().stream())
                .map(HttpBinding::verb).distinct().sorted().toList();
        values.put(HTTP_METHODS, String.join(", ", verbs));
        values.put(HTTP_METHODS_REGEX, verbs.stream().map(v -> v.replaceAll("[^A-Za-z0-9]", "\\\\$0"))
                .collect(Collectors.joining("|", "^(", ")$")));
        values.put(UNFORWARDED_HEADERS, ForwardedHeaders.removalRegex());
        return values;
    }

    /** {@code ^/(?:pkg\.Service/(?:A|B)|pkg\.Other/(?:C))$}: one alternative per service, in contract order. */
    static String grpcPathRegex(List<Contract.Method> methods) {
        if (methods.isEmpty()) {
            throw new IllegalArgumentException("the contract has no such rpc; a regex matching nothing would hide it");
        }
        Map<String, List<String>> byService = new LinkedHashMap<>();
        methods.forEach(m -> byService.computeIfAbsent(m.service(), s -> new ArrayList<>()).add(m.name()));
        return byService.entrySet().stream()
                .map(e -> e.getKey().replace(".", "\\.") + "/(?:" + String.join("|", e.getValue()) + ")")
                .collect(Collectors.joining("|", "^/(?:", ")$"));
    }

    private static void checkRestVerbs(Contract contract) {
        for (Contract.Method method : contract.methods()) {
            for (HttpBinding binding : method.bindings()) {
                if (method.reads() != binding.verb().equals(READ_VERB)) {
                    throw new IllegalArgumentException(method.descriptor().getFullName() + " is "
                            + (method.reads() ? "a read (idempotency_level NO_SIDE_EFFECTS)" : "a write")
                            + " bound to " + binding + ": edge/envoy.yaml's rate limiter counts a REST call as a read"
                            + " exactly when it is a GET, so bind reads to GET and writes to another verb in proto/"
                            + " (or change the read_request matcher in edge/envoy.yaml)");
                }
            }
        }
    }
}
