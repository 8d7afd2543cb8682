package dev.paygate.edge.policy;

import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.Repository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.Yaml;

/**
 * The request headers a replica may receive, against what it accepts. grpc-java refuses a call
 * whose metadata passes its limit (grpc.server.max-inbound-metadata-size in the service's
 * application.yml), and Netty closes the whole connection, with every caller's calls on it, when an
 * encoded header block passes 1.25 times it. So the edge bounds request headers, and forwards only
 * the names on {@link ForwardedHeaders}' list.
 */
final class HeaderBudget {

    /** HTTP/2 counts 32 bytes per entry besides its name and value (RFC 9113, 6.5.2), as grpc-java does. */
    static final int ENTRY_OVERHEAD = 32;
    /**
     * What the transcoder and the router add after the bound is checked: the gRPC :path,
     * content-type, te, x-envoy-original-path/-method, grpc-timeout, x-envoy-expected-rq-timeout-ms
     * (under 200 bytes and 6 entries in the router's debug log of a transcoded write).
     */
    static final int ENVOY_ADDED_ENTRIES = 8;
    static final int ENVOY_ADDED_BYTES = 512;
    /** grpc-java's limit when the service sets none. */
    static final long GRPC_DEFAULT_LIMIT = 8192;

    private static final String FAULT_TYPE = "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault";
    private static final String CEL_MATCHER_TYPE = "type.googleapis.com/xds.type.matcher.v3.CelMatcher";
    private static final String SKIP_FILTER_TYPE =
            "type.googleapis.com/envoy.extensions.filters.common.matcher.action.v3.SkipFilter";
    private static final String UPSTREAM_HEADER_MUTATION =
            "type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation";

    private HeaderBudget() {
    }

    /** Finds connection managers whose bound lets a replica receive more than half its metadata limit. */
    static void checkBound(EdgeModel edge, Rule.Sink sink) {
        long limit = serviceLimit(Repository.locate().root());
        for (Node manager : edge.apiManagers()) {
            Node codec = manager.get("max_request_headers_kb");
            long bound = codec.number(60) * 1024;
            Optional<Long> filterBound = filterBound(edge, manager);
            if (filterBound.isPresent()) {
                bound = Math.min(bound, filterBound.get());
            }
            long entries = manager.at("common_http_protocol_options.max_headers_count").number(100);
            long worst = bound + ENTRY_OVERHEAD * (entries + ENVOY_ADDED_ENTRIES) + ENVOY_ADDED_BYTES;
            if (worst > limit / 2) {
                sink.report(manager.get("http_filters"),
                        "a replica may receive " + worst + " bytes of request headers (a " + bound + "-byte bound, "
                                + entries + " entries, Envoy's additions), over half the service's metadata limit of "
                                + limit + " (grpc.server.max-inbound-metadata-size)",
                        "bound request headers at 8 KiB in a first filter that answers 431 (fault abort, skipped while "
                                + "CEL request.total_size <= 8192), or raise the service's limit");
            }
        }
    }

    /** Finds API clusters that do not strip every header off {@link ForwardedHeaders}' list. */
    static void checkForwarded(EdgeModel edge, Rule.Sink sink) {
        String expected = ForwardedHeaders.removalRegex();
        for (String name : edge.apiClusters()) {
            Optional<Node> cluster = edge.cluster(name);
            if (cluster.isEmpty()) {
                continue;
            }
            Node filters = cluster.get().at("typed_extension_protocol_options")
                    .get("envoy.extensions.upstreams.http.v3.HttpProtocolOptions").get("http_filters");
            List<Node> regexes = filters.items().stream()
                    .filter(f -> UPSTREAM_HEADER_MUTATION.equals(f.at("typed_config.@type").text()))
                    .flatMap(f -> f.at("typed_config.mutations.request_mutations").items().stream())
                    .map(m -> m.at("remove_on_match.key_matcher.safe_regex.regex"))
                    .filter(Node::present).toList();
            if (regexes.stream().noneMatch(r -> expected.equals(r.text()))) {
                sink.report(regexes.isEmpty() ? filters : regexes.get(0), "cluster " + name
                                + " forwards request headers off the list in ForwardedHeaders",
                        "give it an upstream header_mutation (before upstream_codec) with remove_on_match "
                                + "key_matcher.safe_regex.regex '${edge.unforwarded_headers}' in edge/envoy.yaml, which "
                                + "the build renders as '" + expected + "'");
            }
        }
    }

    /**
     * The bound of a filter before the router that answers 431 to every request a CEL matcher
     * does not skip, and skips exactly those with {@code request.total_size <= N}: N.
     */
    static Optional<Long> filterBound(EdgeModel edge, Node manager) {
        int router = EdgeModel.filterIndex(manager, EnvoyConfig.ROUTER);
        List<Node> filters = EdgeModel.httpFilters(manager);
        for (int i = 0; i < filters.size() && (router < 0 || i < router); i++) {
            Node filter = filters.get(i);
            Node fault = filter.at("typed_config.extension_config.typed_config");
            if (filter.get("disabled").isTrue() || !FAULT_TYPE.equals(fault.get("@type").text())
                    || fault.at("abort.http_status").number(0) != 431 || !alwaysAborts(edge, fault)) {
                continue;
            }
            Node matchers = filter.at("typed_config.xds_matcher.matcher_list");
            List<Node> list = matchers.get("matchers").items();
            if (list.size() != 1 || matchers.get("on_no_match").present()
                    || !SKIP_FILTER_TYPE.equals(list.get(0).at("on_match.action.typed_config.@type").text())) {
                continue;
            }
            Optional<Long> bound = totalSizeAtMost(list.get(0).at("predicate.single_predicate.custom_match"));
            if (bound.isPresent()) {
                return bound;
            }
        }
        return Optional.empty();
    }

    /** The abort percentage is 100, and its runtime key (if the static layers set it) says 100 too. */
    private static boolean alwaysAborts(EdgeModel edge, Node fault) {
        Node percentage = fault.at("abort.percentage");
        String denominator = percentage.get("denominator").text();
        boolean hundred = percentage.get("numerator").number(0) == 100
                && (denominator == null || denominator.equals("HUNDRED"));
        String key = fault.get("abort_percent_runtime").present() ? fault.get("abort_percent_runtime").text()
                : "fault.http.abort.abort_percent";
        return hundred && edge.runtime(key).map(v -> v.number(0) >= 100).orElse(true);
    }

    /** N for a CelMatcher whose parsed expression is {@code request.total_size <= N}. */
    private static Optional<Long> totalSizeAtMost(Node customMatch) {
        Node config = customMatch.get("typed_config");
        Node call = config.at("expr_match.cel_expr_parsed.expr.call_expr");
        List<Node> args = call.get("args").items();
        if (!CEL_MATCHER_TYPE.equals(config.get("@type").text()) || !"_<=_".equals(call.get("function").text())
                || args.size() != 2 || !"request".equals(args.get(0).at("select_expr.operand.ident_expr.name").text())
                || !"total_size".equals(args.get(0).at("select_expr.field").text())
                || !args.get(1).at("const_expr.int64_value").present()) {
            return Optional.empty();
        }
        return Optional.of(args.get(1).at("const_expr.int64_value").number(0));
    }

    /** grpc.server.max-inbound-metadata-size from the service's application.yml, else grpc-java's default. */
    static long serviceLimit(Path root) {
        Path file = root.resolve("service/src/main/resources/application.yml");
        try {
            Map<String, Object> yaml = new Yaml().load(Files.readString(file));
            Node limit = Node.root(yaml).at("grpc.server.max-inbound-metadata-size");
            return limit.present() ? limit.number(GRPC_DEFAULT_LIMIT) : GRPC_DEFAULT_LIMIT;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
