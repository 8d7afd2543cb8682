package dev.paygate.edge.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.contract.Contract;
import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.Repository;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * One broken config per rule, each made from the shipped envoy.yaml (which passes every rule) by
 * one small edit, and the finding it must produce.
 */
@Tag("static")
class EdgeRulesTest {

    private static final Repository REPOSITORY = Repository.locate();
    private static final Contract CONTRACT = Contract.load(REPOSITORY.descriptorSet());
    private static final String READS_BUDGET = "paygate.filters.http.ratelimit_reads";
    private static final String WRITES_BUDGET = "paygate.filters.http.ratelimit_writes";
    private static final String FLOOR = "paygate.filters.http.per_address_ratelimit";
    private static final String BUFFER = "envoy.filters.http.buffer";

    @Test
    void shippedConfig_hasNoFindings() {
        assertThat(findings(passing())).isEmpty();
    }

    @Test
    void everyRule_hasItsOwnId() {
        assertThat(EdgeRules.ids()).doesNotHaveDuplicates().hasSizeGreaterThanOrEqualTo(20);
    }

    // --- retries

    @Test
    void unkeyedWritesRoute_withRetries_isFound() {
        List<Finding> found = check(tree -> retryPolicy(route(tree, "writes")).putAll(Map.of(
                "retry_on", "unavailable,reset", "num_retries", 1, "per_try_timeout", "2s")));

        assertThat(found).extracting(Finding::rule).containsExactly("unkeyed-write-retried");
        assertThat(found.get(0).path()).endsWith("routes[writes].match");
        assertThat(found.get(0).what()).contains("CreateAuthorization");
    }

    @Test
    void unkeyedWritesRoute_retryingOnlyAttemptsThatNeverReachedAReplica_isNotFound() {
        assertThat(check(tree -> retryPolicy(route(tree, "writes")).put("retry_on", "connect-failure"))).isEmpty();
        assertThat(check(tree -> retryPolicy(route(tree, "writes")).put("retry_on", "connect-failure,reset")))
                .extracting(Finding::rule).containsExactly("unkeyed-write-retried");
    }

    @Test
    void keyedWritesRoute_matchingTheKeyWithPresentMatch_isFound_becauseAnEmptyKeyMatches() {
        List<Finding> found = check(tree -> {
            Map<String, Object> key = keyMatcher(tree);
            key.clear();
            key.put("name", "idempotency-key");
            key.put("present_match", true);
        });

        assertThat(found).extracting(Finding::rule).containsExactly("unkeyed-write-retried");
        assertThat(found.get(0).what()).contains("present_match also accepts an empty value");
        assertThat(found.get(0).path()).endsWith("routes[writes_idempotent].match.headers[idempotency-key]");
    }

    @Test
    void keyedWritesRoute_withARegexThatAcceptsBlank_isFound() {
        List<Finding> found = check(tree -> map(map(keyMatcher(tree), "string_match"), "safe_regex").put("regex", "^.*$"));

        assertThat(found).extracting(Finding::rule).containsExactly("unkeyed-write-retried");
    }

    @Test
    void retryOnRateLimitedOrNonRetryableOutcomes_isFound() {
        List<Finding> found = check(tree -> retryPolicy(route(tree, "reads"))
                .put("retry_on", "unavailable,resource-exhausted,retriable-4xx,deadline-exceeded"));

        assertThat(found).extracting(Finding::rule).containsOnly("unsafe-retry-condition").hasSize(3);
        assertThat(found).extracting(Finding::what).anySatisfy(w -> assertThat(w).contains("'resource-exhausted'"))
                .anySatisfy(w -> assertThat(w).contains("'retriable-4xx'"))
                .anySatisfy(w -> assertThat(w).contains("'deadline-exceeded'"));
    }

    @Test
    void retriableStatusCode429_isFound() {
        List<Finding> found = check(tree -> retryPolicy(route(tree, "reads")).put("retriable_status_codes", List.of(429)));

        assertThat(found).extracting(Finding::rule).containsExactly("unsafe-retry-condition");
    }

    // --- budgets

    @Test
    void routeWithoutTimeout_isFound() {
        List<Finding> found = check(tree -> action(route(tree, "reads")).remove("max_stream_duration"));

        assertThat(found).extracting(Finding::rule).containsExactly("no-route-timeout");
    }

    @Test
    void routeWithAZeroStreamDuration_isFound() {
        List<Finding> found = check(tree -> map(action(route(tree, "reads")), "max_stream_duration")
                .put("max_stream_duration", "0s"));

        assertThat(found).extracting(Finding::rule).containsExactly("no-route-timeout");
    }

    @Test
    void routeTimeoutBesideMaxStreamDuration_isIgnored_asEnvoyIgnoresIt() {
        // With max_stream_duration set the router never reads `timeout` (config_impl.cc, router.cc):
        // 0s there switches nothing off, and 1s there shortens nothing.
        assertThat(check(tree -> action(route(tree, "reads")).put("timeout", "0s"))).isEmpty();
        assertThat(check(tree -> {
            action(route(tree, "reads")).put("timeout", "1s");
            retryPolicy(route(tree, "reads")).put("per_try_timeout", "1.5s");
        })).extracting(Finding::rule).containsExactly("retries-exceed-budget");
    }

    @Test
    void routeWithOnlyARouteTimeout_isTimedByIt() {
        List<Finding> found = check(tree -> {
            action(route(tree, "reads")).remove("max_stream_duration");
            action(route(tree, "reads")).put("timeout", "10s");
        });

        assertThat(found).extracting(Finding::rule).containsExactly("budget-over-method-policy");
    }

    @Test
    void grpcTimeoutCapAboveTheBudget_isFound_becauseAClientsDeadlineWouldReplaceIt() {
        List<Finding> found = check(tree -> map(action(route(tree, "reads")), "max_stream_duration")
                .put("grpc_timeout_header_max", "30s"));

        assertThat(found).extracting(Finding::rule).containsExactly("no-route-timeout");
        assertThat(found.get(0).what()).contains("caps a client's grpc-timeout at 30s, above its budget 2s");
    }

    @Test
    void perTryTimeoutNotBelowTheRouteTimeout_isFound_whereTheRouterDropsIt() {
        List<Finding> found = check(tree -> {
            action(route(tree, "reads")).remove("max_stream_duration");
            action(route(tree, "reads")).put("timeout", "2s");
            retryPolicy(route(tree, "reads")).put("per_try_timeout", "2s");
        });

        assertThat(found).extracting(Finding::rule).contains("per-try-timeout-ignored");
        assertThat(found).filteredOn(f -> f.rule().equals("per-try-timeout-ignored")).singleElement()
                .satisfies(f -> assertThat(f.path()).endsWith("routes[reads].route.retry_policy.per_try_timeout"));
    }

    @Test
    void perTryTimeoutNotBelowMaxStreamDuration_isKeptByEnvoy_soOnlyTheBudgetIsBroken() {
        // The router has no global timeout beside max_stream_duration and keeps every per-try timeout.
        List<Finding> found = check(tree -> retryPolicy(route(tree, "reads")).put("per_try_timeout", "2s"));

        assertThat(found).extracting(Finding::rule).containsExactly("retries-exceed-budget");
    }

    @Test
    void retriesThatCannotFitTheBudget_isFound() {
        List<Finding> found = check(tree -> retryPolicy(route(tree, "reads")).put("num_retries", 3));

        assertThat(found).extracting(Finding::rule).containsExactly("retries-exceed-budget");
        assertThat(found.get(0).what()).contains("4 attempts x 0.6s").contains("do not fit its budget 2s");
    }

    @Test
    void budgetLongerThanTheMethodsPolicy_isFound() {
        List<Finding> found = check(tree -> map(action(route(tree, "reads")), "max_stream_duration").putAll(Map.of(
                "max_stream_duration", "10s", "grpc_timeout_header_max", "10s")));

        assertThat(found).extracting(Finding::rule).containsExactly("budget-over-method-policy");
    }

    // --- contract coverage

    @Test
    void bindingThatNoRouteServes_isFound() {
        List<Finding> found = check(tree -> routes(tree).remove(route(tree, "reads")));

        // Every binding of every unary read: the reads route serves them all (streams have their own).
        assertThat(found).extracting(Finding::rule).containsOnly("binding-not-routed").hasSize(
                bindings(CONTRACT.methods().stream().filter(m -> m.reads() && !m.streams())));
        assertThat(found).extracting(Finding::what)
                .anySatisfy(w -> assertThat(w).contains("GET /v1/{name=accounts/*}").contains("route not_found"));
    }

    @Test
    void serviceMissingFromTheTranscoder_isFound() {
        List<Finding> found = check(tree -> transcoders(tree)
                .forEach(transcoder -> list(transcoder, "services").remove("paygate.v1.AccountService")));

        assertThat(found).extracting(Finding::rule).containsOnly("binding-not-routed").hasSize(
                bindings(CONTRACT.methods().stream().filter(m -> m.service().equals("paygate.v1.AccountService"))));
    }

    /** How many google.api.http bindings these rpcs have together. */
    private static int bindings(Stream<Contract.Method> methods) {
        return methods.mapToInt(method -> method.bindings().size()).sum();
    }

    @Test
    void routeMatchingNoMethod_isFound() {
        List<Finding> found = check(tree -> map(match(route(tree, "reads")), "safe_regex")
                .put("regex", "^/paygate\\.v1\\.AccountService/GetAcount$"));

        assertThat(found).extracting(Finding::rule).contains("route-matches-no-method");
    }

    // --- admin, transcoder, bodies, request timeouts

    @Test
    void adminOnEveryInterface_isFound() {
        List<Finding> found = check(tree -> socketAddress(map(tree, "admin")).put("address", "0.0.0.0"));

        assertThat(found).extracting(Finding::rule).containsExactly("admin-not-loopback");
    }

    @Test
    void statsListenerForwardingMoreThanTheScrapePath_isFound() {
        List<Finding> found = check(tree -> {
            Map<String, Object> prometheus = statsRoutes(tree).get(0);
            prometheus.put("match", new LinkedHashMap<>(Map.of("prefix", "/")));
        });

        assertThat(found).extracting(Finding::rule).containsExactly("admin-not-loopback");
        assertThat(found.get(0).path()).endsWith("routes[prometheus].match");
    }

    @Test
    void transcoderWithoutUnknownQueryRejection_isFound() {
        List<Finding> found = check(tree -> transcoders(tree).forEach(transcoder ->
                map(transcoder, "request_validation_options").remove("reject_unknown_query_parameters")));

        assertThat(found).extracting(Finding::rule).containsExactly("transcoder-lenient");
    }

    @Test
    void transcoderWithoutUnknownMethodRejection_isFound() {
        List<Finding> found = check(tree -> transcoders(tree).forEach(transcoder ->
                map(transcoder, "request_validation_options").put("reject_unknown_method", false)));

        assertThat(found).extracting(Finding::rule).containsExactly("transcoder-lenient");
    }

    @Test
    void sseRoutesTranscoder_weakerThanTheFilters_isFound_asAnAcceptHeaderWouldPickIt() {
        List<Finding> found = check(tree -> {
            // A copy: the shipped route shares the filter's options through a YAML anchor.
            Map<String, Object> options = new LinkedHashMap<>(map(sseTranscoder(tree), "request_validation_options"));
            options.put("reject_unknown_query_parameters", false);
            sseTranscoder(tree).put("request_validation_options", options);
        });

        assertThat(found).extracting(Finding::rule).containsExactly("transcoder-route-config-drifts");
    }

    @Test
    void sseRoutesTranscoder_withALargerBodyCap_isFound() {
        List<Finding> found = check(tree -> sseTranscoder(tree).put("max_request_body_size", 10_485_760));

        assertThat(found).extracting(Finding::rule).containsExactly("transcoder-route-config-drifts");
    }

    @Test
    void noBodySizeBound_isFound() {
        List<Finding> found = check(tree -> httpFilters(tree).remove(httpFilter(tree, BUFFER)));

        assertThat(found).extracting(Finding::rule).containsExactly("unbounded-request-body");
    }

    @Test
    void noRequestHeadersTimeout_isFound() {
        List<Finding> found = check(tree -> manager(tree).remove("request_headers_timeout"));

        assertThat(found).extracting(Finding::rule).containsExactly("no-request-timeout");
    }

    // --- rate limits

    @Test
    void publicRouteWithoutRateLimit_isFound() {
        // The writes' budget skips reads; without the reads' own budget they have none.
        List<Finding> found = check(tree -> httpFilters(tree).remove(httpFilter(tree, READS_BUDGET)));

        assertThat(found).extracting(Finding::rule).containsOnly("route-not-rate-limited");
        assertThat(found).extracting(Finding::path).anySatisfy(path -> assertThat(path).endsWith("routes[reads]"));
    }

    @Test
    void readsBudgetWhoseMatcherMissesRestReads_isFound() {
        // Before the transcoder a REST read still has its REST path: a matcher that knows only the
        // gRPC paths lets every REST read through unlimited.
        List<Finding> found = check(tree -> {
            Map<String, Object> restGet = cast(list(map(notMatcher(tree), "or_matcher"), "predicate").get(1));
            Map<String, Object> underV1 = cast(list(map(restGet, "and_matcher"), "predicate").get(1));
            map(map(underV1, "single_predicate"), "value_match").put("prefix", "/v2/");
        });

        // Once per route of reads: the unary reads' and the streams'.
        assertThat(found).extracting(Finding::rule).containsOnly("route-not-rate-limited").hasSize(2);
        assertThat(found).allSatisfy(f -> assertThat(f.what()).contains("REST GET"));
    }

    @Test
    void rateLimitAfterTheBodyBuffer_isFound() {
        List<Finding> found = check(tree -> {
            List<Object> filters = httpFilters(tree);
            Map<String, Object> writes = httpFilter(tree, WRITES_BUDGET);
            filters.remove(writes);
            filters.add(filters.indexOf(httpFilter(tree, BUFFER)) + 1, writes);
        });

        assertThat(found).extracting(Finding::rule).containsExactly("rate-limit-after-body");
        assertThat(found.get(0).path()).endsWith("http_filters[" + WRITES_BUDGET + "]");
    }

    @Test
    void identityBudgetsLeftInShadowModeByTheRuntimeLayer_areFound() {
        List<Finding> found = check(tree -> staticLayer(tree).put("paygate.ratelimit.enforced", 0));

        assertThat(found).extracting(Finding::rule).containsOnly("rate-limit-not-enforced").hasSize(2);
        assertThat(found).extracting(Finding::what)
                .anySatisfy(w -> assertThat(w).contains("paygate_ratelimit_reads refuses only 0%"))
                .anySatisfy(w -> assertThat(w).contains("paygate_ratelimit_writes refuses only 0%"));
    }

    @Test
    void perAddressFloorInShadowMode_isFound() {
        List<Finding> found = check(tree -> staticLayer(tree).put("paygate.ratelimit.per_address.enforced", 0));

        assertThat(found).extracting(Finding::rule).containsExactly("rate-limit-not-enforced");
        assertThat(found.get(0).path()).endsWith("http_filters[" + FLOOR + "].typed_config.filter_enforced");
        assertThat(found.get(0).what()).contains("paygate_ratelimit_per_address refuses only 0%");
    }

    @Test
    void everyRateLimitShadowOnly_isFound_oncePerLimit_floorIncluded() {
        List<Finding> found = check(EdgeRulesTest::everyLimitShadowOnly);

        assertThat(found).extracting(Finding::rule).containsOnly("rate-limit-not-enforced").hasSize(3);
        assertThat(found).extracting(Finding::path).anySatisfy(p -> assertThat(p).contains(FLOOR));
    }

    @Test
    void everyRateLimitShadowOnly_withTheVisibleOptIn_isNotAFinding() {
        assertThat(check(tree -> {
            everyLimitShadowOnly(tree);
            staticLayer(tree).put("paygate.ratelimit.shadow_intended", "sizing the write buckets, until 2026-12-01");
        })).isEmpty();
    }

    @Test
    void shadowOptIn_thatSaysNothing_orALimitSwitchedOff_isStillFound() {
        assertThat(check(tree -> {
            everyLimitShadowOnly(tree);
            staticLayer(tree).put("paygate.ratelimit.shadow_intended", " ");
        })).extracting(Finding::rule).containsOnly("rate-limit-not-enforced").hasSize(3);
        // The opt-in excuses counting without refusing, not a limit that does not even count.
        List<Finding> off = check(tree -> {
            staticLayer(tree).put("paygate.ratelimit.per_address.enabled", 0);
            staticLayer(tree).put("paygate.ratelimit.shadow_intended", "sizing");
        });
        assertThat(off).extracting(Finding::rule).containsExactly("rate-limit-not-enforced");
        assertThat(off.get(0).what()).contains("checks 0% of requests");
    }

    @Test
    void rateLimitWithoutFilterEnforced_isShadowOnly_asEnvoyDefaultsItTo0() {
        List<Finding> found = check(tree -> typedConfig(httpFilter(tree, FLOOR)).remove("filter_enforced"));

        assertThat(found).extracting(Finding::rule).containsExactly("rate-limit-not-enforced");
        assertThat(found.get(0).what()).contains("unset is 0%");
    }

    // --- clusters

    @Test
    void clusterWithoutHealthChecks_isFound() {
        List<Finding> found = check(tree -> serviceCluster(tree).remove("health_checks"));

        assertThat(found).extracting(Finding::rule).containsExactly("cluster-unguarded");
    }

    @Test
    void clusterWithoutCircuitBreakers_isFound() {
        List<Finding> found = check(tree -> serviceCluster(tree).remove("circuit_breakers"));

        assertThat(found).extracting(Finding::rule).containsExactly("cluster-unguarded");
    }

    @Test
    void clusterWithoutOutlierDetection_isNotAFinding_theHealthCheckDecides() {
        assertThat(check(tree -> serviceCluster(tree).remove("outlier_detection"))).isEmpty();
    }

    @Test
    void circuitBreakerLeavingABoundAtEnvoysDefault_isFound() {
        List<Finding> found = check(tree -> cast(list(map(serviceCluster(tree), "circuit_breakers"), "thresholds").get(0))
                .remove("max_requests"));

        assertThat(found).extracting(Finding::rule).containsExactly("cluster-unguarded");
        assertThat(found.get(0).what()).contains("max_requests");
    }

    @Test
    void outlierDetectionThatMayEjectEveryReplica_isFound() {
        List<Finding> found = check(tree -> map(serviceCluster(tree), "outlier_detection").putAll(Map.of(
                "max_ejection_percent", 100, "enforcing_consecutive_gateway_failure", 100)));

        assertThat(found).extracting(Finding::rule).containsExactly("outlier-ejection-client-driven");
        assertThat(found.get(0).path())
                .endsWith("clusters[paygate_service].outlier_detection.enforcing_consecutive_gateway_failure");
        assertThat(found.get(0).what()).contains("lets it eject every replica");
    }

    @Test
    void canaryClusterWithoutCircuitBreakers_isFound() {
        // The routes' second weighted cluster: a build that gets a share of payments needs every guard too.
        List<Finding> found = check(tree -> canaryCluster(tree).remove("circuit_breakers"));

        assertThat(found).extracting(Finding::rule).containsExactly("cluster-unguarded");
        assertThat(found.get(0).what()).contains("paygate_canary");
    }

    @Test
    void canaryClusterEnforcingEjection_isFound() {
        List<Finding> found = check(tree -> map(canaryCluster(tree), "outlier_detection")
                .put("enforcing_consecutive_5xx", 100));

        assertThat(found).extracting(Finding::rule).containsExactly("outlier-ejection-client-driven");
        assertThat(found.get(0).path()).endsWith("clusters[paygate_canary].outlier_detection.enforcing_consecutive_5xx");
    }

    @Test
    void enforcedConsecutive5xx_isFound_evenWhenAtMostHalfTheReplicasMayGo() {
        // A client's own DEADLINE_EXCEEDED counts as a 504 against the replica (EjectionIT).
        List<Finding> found = check(tree -> map(serviceCluster(tree), "outlier_detection")
                .put("enforcing_consecutive_5xx", 100));

        assertThat(found).extracting(Finding::rule).containsExactly("outlier-ejection-client-driven");
        assertThat(found.get(0).what()).contains("consecutive_5xx").doesNotContain("every replica");
    }

    @Test
    void outlierDetectionLeavingEnforcementAtEnvoysDefault_isFound() {
        List<Finding> found = check(tree -> map(serviceCluster(tree), "outlier_detection")
                .remove("enforcing_consecutive_local_origin_failure"));

        assertThat(found).extracting(Finding::rule).containsExactly("outlier-ejection-client-driven");
        assertThat(found.get(0).what()).contains("consecutive_local_origin_failure");
    }

    @Test
    void ejectingEveryReplica_onlyForCountersNoClientDrives_isNotAFinding() {
        List<Finding> found = check(tree -> map(serviceCluster(tree), "outlier_detection").putAll(Map.of(
                "max_ejection_percent", 100, "enforcing_consecutive_5xx", 0, "enforcing_consecutive_gateway_failure", 0)));

        assertThat(found).isEmpty();
    }

    // --- JWT

    @Test
    void noJwtFilter_everyForwardingRouteIsFound_butNotTheDirectResponse() {
        List<Finding> found = check(tree -> httpFilters(tree).remove(httpFilter(tree, EnvoyConfig.JWT_AUTHN)));

        assertThat(found).extracting(Finding::rule).containsOnly("route-without-jwt").hasSize(4);
        assertThat(found).extracting(Finding::path).noneMatch(p -> p.endsWith("routes[not_found]"));
    }

    @Test
    void routeDisablingJwtPerRoute_isFound() {
        List<Finding> found = check(tree -> cast(route(tree, "reads").computeIfAbsent("typed_per_filter_config",
                        key -> new LinkedHashMap<>()))
                .put(EnvoyConfig.JWT_AUTHN, new LinkedHashMap<>(Map.of(
                        "@type", "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig",
                        "disabled", true))));

        assertThat(found).extracting(Finding::rule).containsExactly("route-without-jwt");
        assertThat(found.get(0).path()).endsWith("routes[reads]");
    }

    @Test
    void jwtRuleThatAllowsAMissingToken_isFound() {
        List<Finding> found = check(tree -> {
            Map<String, Object> rule = cast(list(typedConfig(httpFilter(tree, EnvoyConfig.JWT_AUTHN)), "rules").get(0));
            rule.put("requires", new LinkedHashMap<>(Map.of("requires_any", Map.of("requirements",
                    List.of(Map.of("provider_name", "paygate"), Map.of("allow_missing", Map.of()))))));
        });

        assertThat(found).extracting(Finding::rule).containsOnly("route-without-jwt").hasSize(4);
    }

    // --- the passing base

    /** The shipped envoy.yaml, deep-copied (YAML aliases share objects, and one edit must change one place). */
    static Map<String, Object> passing() {
        return deepCopy(EnvoyConfig.load(REPOSITORY.envoyYaml()).tree());
    }

    private static List<Finding> check(Consumer<Map<String, Object>> breakIt) {
        Map<String, Object> tree = passing();
        breakIt.accept(tree);
        List<Finding> found = findings(tree);
        found.forEach(f -> System.out.println(f.line()));
        return found;
    }

    static List<Finding> findings(Map<String, Object> tree) {
        return EdgeRules.check(EnvoyConfig.of(tree), CONTRACT);
    }

    // --- navigating the tree (by the names envoy.yaml gives things)

    static Map<String, Object> manager(Map<String, Object> tree) {
        return managerOf(listener(tree, "paygate_public"));
    }

    private static Map<String, Object> managerOf(Map<String, Object> listener) {
        Map<String, Object> chain = cast(list(listener, "filter_chains").get(0));
        return map(named(list(chain, "filters"), EnvoyConfig.CONNECTION_MANAGER), "typed_config");
    }

    private static Map<String, Object> listener(Map<String, Object> tree, String name) {
        return named(list(map(tree, "static_resources"), "listeners"), name);
    }

    static List<Object> httpFilters(Map<String, Object> tree) {
        return list(manager(tree), "http_filters");
    }

    static Map<String, Object> httpFilter(Map<String, Object> tree, String name) {
        return named(httpFilters(tree), name);
    }

    private static List<Object> routes(Map<String, Object> tree) {
        return list(cast(list(map(manager(tree), "route_config"), "virtual_hosts").get(0)), "routes");
    }

    private static List<Map<String, Object>> statsRoutes(Map<String, Object> tree) {
        Map<String, Object> manager = managerOf(listener(tree, "paygate_stats"));
        return list(cast(list(map(manager, "route_config"), "virtual_hosts").get(0)), "routes").stream()
                .map(EdgeRulesTest::cast).toList();
    }

    static Map<String, Object> route(Map<String, Object> tree, String name) {
        return named(routes(tree), name);
    }

    private static Map<String, Object> action(Map<String, Object> route) {
        return map(route, "route");
    }

    private static Map<String, Object> match(Map<String, Object> route) {
        return map(route, "match");
    }

    private static Map<String, Object> retryPolicy(Map<String, Object> route) {
        return map(action(route), "retry_policy");
    }

    private static Map<String, Object> keyMatcher(Map<String, Object> tree) {
        return named(list(match(route(tree, "writes_idempotent")), "headers"), "idempotency-key");
    }

    static Map<String, Object> serviceCluster(Map<String, Object> tree) {
        return named(list(map(tree, "static_resources"), "clusters"), "paygate_service");
    }

    private static Map<String, Object> canaryCluster(Map<String, Object> tree) {
        return named(list(map(tree, "static_resources"), "clusters"), "paygate_canary");
    }

    /** The reads' budget's "not a read" predicate. */
    private static Map<String, Object> notMatcher(Map<String, Object> tree) {
        Map<String, Object> matcher = map(map(typedConfig(httpFilter(tree, READS_BUDGET)), "xds_matcher"), "matcher_list");
        return map(map(cast(list(matcher, "matchers").get(0)), "predicate"), "not_matcher");
    }

    /** Shadow mode for the identity budgets and the floor alike, as `./paygate edge shadow` sets it live. */
    private static void everyLimitShadowOnly(Map<String, Object> tree) {
        staticLayer(tree).put("paygate.ratelimit.enforced", 0);
        staticLayer(tree).put("paygate.ratelimit.per_address.enforced", 0);
    }

    private static Map<String, Object> staticLayer(Map<String, Object> tree) {
        return map(named(list(map(tree, "layered_runtime"), "layers"), "defaults"), "static_layer");
    }

    private static Map<String, Object> socketAddress(Map<String, Object> owner) {
        return map(map(owner, "address"), "socket_address");
    }

    /** The transcoder's config and the rest_sse route's copy of it: a change to one belongs in both. */
    private static List<Map<String, Object>> transcoders(Map<String, Object> tree) {
        return List.of(typedConfig(httpFilter(tree, EnvoyConfig.TRANSCODER)), sseTranscoder(tree));
    }

    /** The rest_sse route's own transcoder config (SSE instead of NDJSON). */
    private static Map<String, Object> sseTranscoder(Map<String, Object> tree) {
        return map(map(route(tree, "rest_sse"), "typed_per_filter_config"), EnvoyConfig.TRANSCODER);
    }

    private static Map<String, Object> typedConfig(Map<String, Object> filter) {
        return map(filter, "typed_config");
    }

    private static Map<String, Object> named(List<Object> items, String name) {
        return items.stream().map(EdgeRulesTest::cast).filter(i -> name.equals(i.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("nothing named " + name));
    }

    static Map<String, Object> map(Map<String, Object> owner, String key) {
        Object value = owner.get(key);
        assertThat(value).as("mapping at %s", key).isInstanceOf(Map.class);
        return cast(value);
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Map<String, Object> owner, String key) {
        Object value = owner.get(key);
        assertThat(value).as("list at %s", key).isInstanceOf(List.class);
        return (List<Object>) value;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> cast(Object value) {
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static <T> T deepCopy(T value) {
        if (value instanceof Map<?, ?> map) {
            Map<Object, Object> copy = new LinkedHashMap<>();
            map.forEach((k, v) -> copy.put(k, deepCopy(v)));
            return (T) copy;
        }
        if (value instanceof List<?> list) {
            List<Object> copy = new ArrayList<>();
            list.forEach(v -> copy.add(deepCopy(v)));
            return (T) copy;
        }
        return value;
    }
}
