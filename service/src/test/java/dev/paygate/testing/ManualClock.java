package dev.paygate.testing;

import dev.paygate.ClockFactory;
import io.micronaut.context.annotation.Replaces;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The service's clock, moved by the test instead of by time. Active only in a service started
 * with {@code paygate.test.clock=manual}; everything else keeps the system clock.
 */
@Singleton
@Replaces(bean = Clock.class, factory = ClockFactory.class)
@Requires(property = "paygate.test.clock", value = "manual")
public class ManualClock extends Clock {

    /** Half past a whole second, so that second-granularity shortcuts show. */
    public static final Instant START = Instant.parse("2026-01-01T00:00:00.500Z");

    private volatile Instant now = START;

    public void advance(Duration duration) {
        now = now.plus(duration);
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return Clock.fixed(now, zone);
    }

    @Override
    public Instant instant() {
        return now;
    }
}
