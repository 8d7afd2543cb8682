package dev.paygate.authorization;

import dev.paygate.idempotency.Outcome;
import dev.paygate.v1.AdjustAuthorizationResponse;
import dev.paygate.v1.Authorization;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;

/** The business counters of authorizations; each counts a committed change once, never a replay. */
@Singleton
class AuthorizationMetrics {

    private final MeterRegistry meters;

    AuthorizationMetrics(MeterRegistry meters) {
        this.meters = meters;
    }

    /** {@code paygate_authorizations_total{state,decline_reason}}. */
    void created(Outcome<Authorization> outcome) {
        if (!outcome.replayed()) {
            Authorization result = outcome.response();
            meters.counter("paygate.authorizations", "state", result.getState().name(),
                    "decline_reason", result.getDeclineReason().name()).increment();
        }
    }

    void captured(Outcome<Authorization> outcome) {
        if (!outcome.replayed()) {
            meters.counter("paygate.authorizations.captured").increment();
        }
    }

    void voided(Outcome<Authorization> outcome) {
        if (!outcome.replayed()) {
            meters.counter("paygate.authorizations.voided").increment();
        }
    }

    /** {@code paygate_authorizations_adjusted_total{decline_reason}}: made (UNSPECIFIED) or declined. */
    void adjusted(Outcome<AdjustAuthorizationResponse> outcome) {
        if (!outcome.replayed()) {
            meters.counter("paygate.authorizations.adjusted",
                    "decline_reason", outcome.response().getDeclineReason().name()).increment();
        }
    }

    /** {@code paygate_authorizations_extended_total}. */
    void extended(Outcome<Authorization> outcome) {
        if (!outcome.replayed()) {
            meters.counter("paygate.authorizations.extended").increment();
        }
    }

    /** {@code paygate_authorizations_reversed_total}: reversals of part of a hold or all of it. */
    void reversed(Outcome<Authorization> outcome) {
        if (!outcome.replayed()) {
            meters.counter("paygate.authorizations.reversed").increment();
        }
    }

    /** {@code paygate_holds_expired_total}: holds released past their expire_time. */
    void expired(int released) {
        if (released > 0) {
            meters.counter("paygate.holds.expired").increment(released);
        }
    }
}
