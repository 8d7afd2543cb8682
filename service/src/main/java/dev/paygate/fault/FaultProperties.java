package dev.paygate.fault;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;

/**
 * A drill, not a feature: the share of API calls this replica refuses with UNAVAILABLE, so that a
 * rollout's guard can be tried against a build that fails (docs/operations.md, "Rollout and
 * rollback"). Set only from the environment ({@code PAYGATE_FAULT_UNAVAILABLE_RATIO}); 0, the
 * default, turns it off. Never set in a production configuration.
 *
 * @param unavailableRatio 0 to 1: each API call is refused with this probability
 */
@ConfigurationProperties("paygate.fault")
public record FaultProperties(@Bindable(defaultValue = "0") double unavailableRatio) {

    public FaultProperties {
        if (!(unavailableRatio >= 0 && unavailableRatio <= 1)) {
            throw new IllegalArgumentException(
                    "paygate.fault.unavailable-ratio (PAYGATE_FAULT_UNAVAILABLE_RATIO) must be within 0 and 1, not "
                            + unavailableRatio);
        }
    }
}
