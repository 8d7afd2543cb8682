package dev.paygate.edge.policy;

import static dev.paygate.edge.policy.EdgeRulesTest.cast;
import static dev.paygate.edge.policy.EdgeRulesTest.httpFilter;
import static dev.paygate.edge.policy.EdgeRulesTest.httpFilters;
import static dev.paygate.edge.policy.EdgeRulesTest.list;
import static dev.paygate.edge.policy.EdgeRulesTest.manager;
import static dev.paygate.edge.policy.EdgeRulesTest.map;
import static dev.paygate.edge.policy.EdgeRulesTest.serviceCluster;
import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.edge.Repository;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The header rules on the shipped envoy.yaml with one edit each: what a replica may receive
 * against the service's metadata limit (application.yml), and the forwarded-headers list.
 */
@Tag("static")
class HeaderBudgetTest {

    private static final Repository REPOSITORY = Repository.locate();
    private static final String BOUND = "paygate.filters.http.request_header_bound";

    @Test
    void serviceLimit_isReadFromApplicationYml() {
        assertThat(HeaderBudget.serviceLimit(REPOSITORY.root())).isEqualTo(32_768);
    }

    @Test
    void withoutTheBoundFilter_theCodecs16KiBAreTooCloseToTheServiceLimit_isFound() {
        List<Finding> found = check(tree -> httpFilters(tree).remove(httpFilter(tree, BOUND)));

        assertThat(found).extracting(Finding::rule).containsExactly("request-headers-unbounded");
        assertThat(found.get(0).what()).contains("19200 bytes", "32768");
    }

    @Test
    void theBoundFilter_isTheBound_whateverTheCodecAllows() {
        assertThat(check(tree -> manager(tree).put("max_request_headers_kb", 60))).isEmpty();
    }

    @Test
    void aBoundFilterThatAbortsHalfTheOversizedRequests_isNoBound() {
        List<Finding> found = check(tree -> map(map(fault(tree), "abort"), "percentage").put("numerator", 50));

        assertThat(found).extracting(Finding::rule).containsExactly("request-headers-unbounded");
    }

    @Test
    void aBoundOf16KiB_isFound() {
        List<Finding> found = check(tree -> cast(list(celCall(tree), "args").get(1))
                .put("const_expr", Map.of("int64_value", 16_384)));

        assertThat(found).extracting(Finding::rule).containsExactly("request-headers-unbounded");
    }

    @Test
    void clusterWithoutTheHeaderList_isFound() {
        List<Finding> found = check(tree -> protocolOptions(tree).remove("http_filters"));

        assertThat(found).extracting(Finding::rule).containsExactly("unlisted-headers-forwarded");
        assertThat(found.get(0).fix()).contains(ForwardedHeaders.removalRegex());
    }

    @Test
    void aRegexThatAlsoKeepsCookies_isFound() {
        List<Finding> found = check(tree -> {
            Map<String, Object> filter = cast(list(protocolOptions(tree), "http_filters").get(0));
            Map<String, Object> matcher = map(cast(list(map(map(filter, "typed_config"), "mutations"),
                    "request_mutations").get(0)), "remove_on_match");
            map(map(matcher, "key_matcher"), "safe_regex").put("regex", "(?!cookie)" + ForwardedHeaders.removalRegex());
        });

        assertThat(found).extracting(Finding::rule).containsExactly("unlisted-headers-forwarded");
    }

    private static Map<String, Object> fault(Map<String, Object> tree) {
        return map(map(map(httpFilter(tree, BOUND), "typed_config"), "extension_config"), "typed_config");
    }

    private static Map<String, Object> celCall(Map<String, Object> tree) {
        Map<String, Object> matcher = cast(list(map(map(map(httpFilter(tree, BOUND), "typed_config"), "xds_matcher"),
                "matcher_list"), "matchers").get(0));
        Map<String, Object> custom = map(map(map(matcher, "predicate"), "single_predicate"), "custom_match");
        return map(map(map(map(map(custom, "typed_config"), "expr_match"), "cel_expr_parsed"), "expr"), "call_expr");
    }

    private static Map<String, Object> protocolOptions(Map<String, Object> tree) {
        return map(map(serviceCluster(tree), "typed_extension_protocol_options"),
                "envoy.extensions.upstreams.http.v3.HttpProtocolOptions");
    }

    private static List<Finding> check(Consumer<Map<String, Object>> breakIt) {
        Map<String, Object> tree = EdgeRulesTest.passing();
        breakIt.accept(tree);
        List<Finding> found = EdgeRulesTest.findings(tree);
        found.forEach(f -> System.out.println(f.line()));
        return found;
    }
}
