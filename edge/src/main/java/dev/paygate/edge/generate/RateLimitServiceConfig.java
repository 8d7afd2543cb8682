package dev.paygate.edge.generate;

import static dev.paygate.edge.EnvoyConfig.cast;
import static dev.paygate.edge.EnvoyConfig.list;
import static dev.paygate.edge.EnvoyConfig.map;

import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.policy.EdgeRules;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The envoyproxy/ratelimit service's configuration (domain {@value #DOMAIN}), derived from the
 * budgets envoy.yaml's local rate limiters hold, so the global and the local layer cannot drift:
 * one descriptor per budget, a counter per distinct value (client address, or verified subject
 * under the budget's name). The service counts in fixed windows of one unit, so only the
 * refill rate carries over; a bucket's burst has no equivalent there. A budget whose local
 * limiter is in shadow mode (filter_enforced below 100 %, as the file sets it: the checker's
 * reading) is in shadow mode here too ({@code shadow_mode}: the service counts it over the limit in
 * its {@code shadow_mode} stat and answers OK; config_impl.go reads it beside the rate_limit), so the
 * shadow -> enforce rollout covers both layers.
 * The service knows only on or off: a partly enforced local budget is all shadow here.
 */
public final class RateLimitServiceConfig {

    public static final String DOMAIN = "paygate";
    /** The per-address floor's descriptor key: Envoy's masked_remote_address action. */
    public static final String ADDRESS_KEY = "masked_remote_address";
    /** The identity budgets: a generic_key naming the budget, then the verified subject. */
    public static final String BUDGET_KEY = "budget";
    public static final String SUBJECT_KEY = "subject";

    /** Each budget: the local limiter holding it, and the value of its {@link #BUDGET_KEY} (none: per address). */
    private static final Map<String, String> BUDGETS = budgets();

    private RateLimitServiceConfig() {
    }

    private static Map<String, String> budgets() {
        Map<String, String> budgets = new LinkedHashMap<>();
        budgets.put("paygate.filters.http.per_address_ratelimit", "");
        budgets.put("paygate.filters.http.ratelimit_reads", "reads");
        budgets.put("paygate.filters.http.ratelimit_writes", "writes");
        return budgets;
    }

    /** Each budget's local limiter (an HTTP filter's name) and its value of {@link #BUDGET_KEY} ("": per address). */
    public static Map<String, String> budgetFilters() {
        return Collections.unmodifiableMap(BUDGETS);
    }

    /** Requests per second of each budget, by its value of {@link #BUDGET_KEY} ("" for the per-address floor). */
    public static Map<String, Long> perSecond(EnvoyConfig edge) {
        Map<String, Long> rates = new LinkedHashMap<>();
        BUDGETS.forEach((filter, budget) -> rates.put(budget, perSecond(limiter(edge.httpFilter(filter)), filter)));
        return rates;
    }

    /** Whether each budget (by its value of {@link #BUDGET_KEY}) counts without refusing: its local limiter's shadow mode. */
    public static Map<String, Boolean> shadowMode(EnvoyConfig edge) {
        Map<String, Boolean> shadow = new LinkedHashMap<>();
        BUDGETS.forEach((filter, budget) -> shadow.put(budget, EdgeRules.enforcedPercent(edge, filter) < 100));
        return shadow;
    }

    /**
     * Each budget's runtime key (by its value of {@link #BUDGET_KEY}): its local limiter's
     * filter_enforced key, which ./paygate edge shadow|enforce set; a follower of the runtime
     * (devstack's LocalRateLimit) switches the budget's shadow_mode with it.
     */
    public static Map<String, String> enforcedKeys(EnvoyConfig edge) {
        Map<String, String> keys = new LinkedHashMap<>();
        BUDGETS.forEach((filter, budget) -> keys.put(budget,
                map(limiter(edge.httpFilter(filter)), "filter_enforced").get("runtime_key").toString()));
        return keys;
    }

    /** The service's full key of a budget's limit, as its /rlconfig lists it (domain, then key_value per level). */
    public static String limitKey(String budget) {
        return budget.isEmpty() ? DOMAIN + "." + ADDRESS_KEY : DOMAIN + "." + BUDGET_KEY + "_" + budget + "." + SUBJECT_KEY;
    }

    public static String render(EnvoyConfig edge) {
        return render(edge, shadowMode(edge));
    }

    /** The same, with each budget's shadow mode from {@code shadow} (by its value of {@link #BUDGET_KEY}). */
    public static String render(EnvoyConfig edge, Map<String, Boolean> shadow) {
        List<Object> descriptors = new ArrayList<>();
        perSecond(edge).forEach((budget, rate) -> {
            Map<String, Object> limit = new LinkedHashMap<>();
            limit.put("unit", "second");
            limit.put("requests_per_unit", rate);
            if (budget.isEmpty()) {
                descriptors.add(descriptor(ADDRESS_KEY, null, limit, shadow.get(budget)));
            } else {
                Map<String, Object> byBudget = descriptor(BUDGET_KEY, budget, null, false);
                byBudget.put("descriptors", List.of(descriptor(SUBJECT_KEY, null, limit, shadow.get(budget))));
                descriptors.add(byBudget);
            }
        });
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("domain", DOMAIN);
        config.put("descriptors", descriptors);
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        return "# Generated from edge/envoy.yaml's local rate limits (RateLimitServiceConfig); edit those instead.\n"
                + new Yaml(options).dump(config);
    }

    /** A descriptor; {@code shadow} is written only beside a limit (the service reads it from the limit's descriptor). */
    private static Map<String, Object> descriptor(String key, String value, Map<String, Object> limit, boolean shadow) {
        Map<String, Object> descriptor = new LinkedHashMap<>();
        descriptor.put("key", key);
        if (value != null) {
            descriptor.put("value", value);
        }
        if (limit != null) {
            descriptor.put("rate_limit", limit);
            descriptor.put("shadow_mode", shadow);
        }
        return descriptor;
    }

    /** The LocalRateLimit config of a filter, whether wrapped in an ExtensionWithMatcher or not. */
    static Map<String, Object> limiter(Map<String, Object> filter) {
        Map<String, Object> config = map(filter, "typed_config");
        return config.containsKey("extension_config") ? map(map(config, "extension_config"), "typed_config") : config;
    }

    /** The refill rate of the limiter's one per-value descriptor (an entry with value ""). */
    private static long perSecond(Map<String, Object> limiter, String filter) {
        List<Object> descriptors = list(limiter, "descriptors");
        if (descriptors.size() != 1) {
            throw new IllegalStateException(filter + ": expected one descriptor (a bucket per value), found "
                    + descriptors.size());
        }
        Map<String, Object> bucket = map(cast(descriptors.get(0)), "token_bucket");
        Duration interval = Duration.parse("PT" + bucket.get("fill_interval").toString().toUpperCase());
        long tokens = ((Number) bucket.get("tokens_per_fill")).longValue();
        if (interval.toMillis() == 0 || 1000 % interval.toMillis() != 0) {
            throw new IllegalStateException(filter + ": fill_interval " + interval + " does not divide a second");
        }
        return tokens * (1000 / interval.toMillis());
    }
}
