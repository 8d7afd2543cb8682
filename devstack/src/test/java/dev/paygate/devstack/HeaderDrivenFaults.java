package dev.paygate.devstack;

import dev.paygate.edge.EnvoyConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Test-only: Envoy's fault filter, driven by the {@code x-envoy-fault-delay-request} header, just
 * before the router, so end-to-end tests can make an upstream call really slow. In this test jar
 * only: shipped and launched configurations never contain it.
 */
public final class HeaderDrivenFaults {

    public static final String FILTER = "envoy.filters.http.fault";

    private HeaderDrivenFaults() {
    }

    public static EnvoyConfig add(EnvoyConfig config) {
        Map<String, Object> delay = new LinkedHashMap<>();
        delay.put("header_delay", Map.of());
        delay.put("percentage", Map.of("numerator", 100, "denominator", "HUNDRED"));
        Map<String, Object> typed = new LinkedHashMap<>();
        typed.put("@type", "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault");
        typed.put("delay", delay);
        typed.put("max_active_faults", 100);
        Map<String, Object> fault = new LinkedHashMap<>();
        fault.put("name", FILTER);
        fault.put("typed_config", typed);
        List<Object> filters = config.httpFilters();
        filters.add(config.httpFilterNames().indexOf(EnvoyConfig.ROUTER), fault);
        return config;
    }
}
