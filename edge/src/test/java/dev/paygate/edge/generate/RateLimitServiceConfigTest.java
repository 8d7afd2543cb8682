package dev.paygate.edge.generate;

import static dev.paygate.edge.EnvoyConfig.cast;
import static dev.paygate.edge.EnvoyConfig.list;
import static dev.paygate.edge.EnvoyConfig.map;
import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.Repository;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The rate-limit service's descriptors follow the local budgets' shadow mode: a budget whose local
 * limiter refuses less than everything over its limit counts without refusing in the service too,
 * so one runtime key in envoy.yaml rolls out both layers.
 */
@Tag("static")
class RateLimitServiceConfigTest {

    private static final Repository REPOSITORY = Repository.locate();

    @Test
    void shippedBudgets_areEnforcedByTheServiceToo() {
        Map<String, Map<String, Object>> limits = limits(EnvoyConfig.load(REPOSITORY.envoyYaml()));
        assertThat(limits).containsOnlyKeys("", "reads", "writes");
        limits.values().forEach(limit -> assertThat(limit).containsEntry("shadow_mode", false));
    }

    @Test
    void identityBudgetsInShadowMode_areShadowDescriptors_theAddressFloorStaysEnforced() {
        EnvoyConfig edge = EnvoyConfig.load(REPOSITORY.envoyYaml());
        staticRuntime(edge).put("paygate.ratelimit.enforced", 0);
        Map<String, Map<String, Object>> limits = limits(edge);
        assertThat(limits.get("reads")).containsEntry("shadow_mode", true);
        assertThat(limits.get("writes")).containsEntry("shadow_mode", true);
        assertThat(limits.get("")).containsEntry("shadow_mode", false);
    }

    @Test
    void aPartlyEnforcedFloor_isAllShadowInTheService() {
        EnvoyConfig edge = EnvoyConfig.load(REPOSITORY.envoyYaml());
        staticRuntime(edge).put("paygate.ratelimit.per_address.enforced", 50);
        Map<String, Map<String, Object>> limits = limits(edge);
        assertThat(limits.get("")).containsEntry("shadow_mode", true);
        assertThat(limits.get("reads")).containsEntry("shadow_mode", false);
        assertThat(limits.get("writes")).containsEntry("shadow_mode", false);
    }

    /** What ./paygate edge shadow|enforce set at run time: the follower of the kept runtime switches the same budgets. */
    @Test
    void eachBudget_isSwitchedByItsLocalLimitersEnforcedKey() {
        assertThat(RateLimitServiceConfig.enforcedKeys(EnvoyConfig.load(REPOSITORY.envoyYaml()))).containsExactly(
                Map.entry("", "paygate.ratelimit.per_address.enforced"),
                Map.entry("reads", "paygate.ratelimit.enforced"),
                Map.entry("writes", "paygate.ratelimit.enforced"));
    }

    @Test
    void shadowModeGivenAtRunTime_overridesTheFilesPerBudget() {
        EnvoyConfig edge = EnvoyConfig.load(REPOSITORY.envoyYaml());
        Map<String, Object> config = new Yaml().load(RateLimitServiceConfig.render(edge,
                Map.of("", true, "reads", false, "writes", true)));
        Map<String, Map<String, Object>> limits = limits(config);
        assertThat(limits.get("")).containsEntry("shadow_mode", true);
        assertThat(limits.get("reads")).containsEntry("shadow_mode", false);
        assertThat(limits.get("writes")).containsEntry("shadow_mode", true);
    }

    /** Each budget's descriptor holding its rate_limit (where the service reads shadow_mode), by budget value. */
    private static Map<String, Map<String, Object>> limits(EnvoyConfig edge) {
        return limits(new Yaml().<Map<String, Object>>load(RateLimitServiceConfig.render(edge)));
    }

    private static Map<String, Map<String, Object>> limits(Map<String, Object> config) {
        Map<String, Map<String, Object>> limits = new LinkedHashMap<>();
        for (Object item : list(config, "descriptors")) {
            Map<String, Object> descriptor = cast(item);
            if (RateLimitServiceConfig.ADDRESS_KEY.equals(descriptor.get("key"))) {
                limits.put("", descriptor);
            } else {
                assertThat(descriptor).doesNotContainKey("rate_limit");
                limits.put((String) descriptor.get("value"), cast(list(descriptor, "descriptors").get(0)));
            }
        }
        limits.values().forEach(limit -> assertThat(limit).containsKey("rate_limit"));
        return limits;
    }

    private static Map<String, Object> staticRuntime(EnvoyConfig edge) {
        Map<String, Object> defaults = cast(list(map(edge.tree(), "layered_runtime"), "layers").get(0));
        assertThat(defaults).containsEntry("name", "defaults");
        return map(defaults, "static_layer");
    }
}
