package dev.paygate.risk;

import dev.paygate.v1.Authorization.DeclineReason;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs what rules in shadow mode would have declined, at most one line per rule per interval,
 * naming one example and how many went unlogged since the previous line. A line per decline made
 * a busy account's every write pay for a JSON log line once a threshold was crossed; the counter
 * {@code paygate.risk.shadow.declines} still counts each one.
 */
final class ShadowDeclineLog {

    static final Duration INTERVAL = Duration.ofSeconds(10);
    private static final Logger LOG = LoggerFactory.getLogger(RiskRules.class);

    private final Clock clock;
    private final Map<DeclineReason, Window> windows = new ConcurrentHashMap<>();

    ShadowDeclineLog(Clock clock) {
        this.clock = clock;
    }

    /** Records one would-be decline; logs it unless this rule already logged within the interval. */
    boolean record(DeclineReason rule, String account, Supplier<String> why) {
        Window window = windows.computeIfAbsent(rule, r -> new Window());
        long now = clock.millis();
        long due = window.nextLineAt.get();
        if (now < due || !window.nextLineAt.compareAndSet(due, now + INTERVAL.toMillis())) {
            window.unlogged.incrementAndGet();
            return false;
        }
        long unlogged = window.unlogged.getAndSet(0);
        LOG.info("risk rule {} in shadow mode would have declined {}: {} ({} more not logged since the last line)",
                rule, account, why.get(), unlogged);
        return true;
    }

    private static final class Window {
        private final AtomicLong nextLineAt = new AtomicLong(Long.MIN_VALUE);
        private final AtomicLong unlogged = new AtomicLong();
    }
}
