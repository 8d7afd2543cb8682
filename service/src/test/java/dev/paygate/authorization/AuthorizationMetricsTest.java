package dev.paygate.authorization;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.idempotency.Outcome;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.Authorization.DeclineReason;
import dev.paygate.v1.Authorization.State;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/** The created counter, kept per (state, decline reason) after its first use, counts each pair on its own. */
class AuthorizationMetricsTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AuthorizationMetrics metrics = new AuthorizationMetrics(registry);

    @Test
    void created_countsEachStateAndDeclineReasonApart_andNeverAReplay() {
        metrics.created(Outcome.applied(approved()));
        metrics.created(Outcome.applied(approved()));
        metrics.created(Outcome.applied(declined(DeclineReason.INSUFFICIENT_FUNDS)));
        metrics.created(Outcome.applied(declined(DeclineReason.VELOCITY_LIMIT)));
        metrics.created(Outcome.applied(declined(DeclineReason.VELOCITY_LIMIT)));
        metrics.created(new Outcome<>(approved(), true));

        assertThat(count("APPROVED", "DECLINE_REASON_UNSPECIFIED")).isEqualTo(2);
        assertThat(count("DECLINED", "INSUFFICIENT_FUNDS")).isEqualTo(1);
        assertThat(count("DECLINED", "VELOCITY_LIMIT")).isEqualTo(2);
        assertThat(registry.find("paygate.authorizations").counters()).as("a series appears once it counts").hasSize(3);
    }

    private double count(String state, String declineReason) {
        Counter counter = registry.find("paygate.authorizations").tags("state", state, "decline_reason", declineReason)
                .counter();
        return counter == null ? 0 : counter.count();
    }

    private static Authorization approved() {
        return Authorization.newBuilder().setState(State.APPROVED).build();
    }

    private static Authorization declined(DeclineReason reason) {
        return Authorization.newBuilder().setState(State.DECLINED).setDeclineReason(reason).build();
    }
}
