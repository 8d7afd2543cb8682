package dev.paygate.risk;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.paygate.testing.ManualClock;
import dev.paygate.v1.Authorization.DeclineReason;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Shadow declines are logged as examples, one line per rule per interval, never one per payment. */
class ShadowDeclineLogTest {

    private static final String ACCOUNT = "accounts/00000000-0000-0000-0000-000000000001";

    private final ManualClock clock = new ManualClock();
    private final ShadowDeclineLog log = new ShadowDeclineLog(clock);
    private final Logger logger = (Logger) LoggerFactory.getLogger(RiskRules.class);
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();

    @BeforeEach
    void capture() {
        lines.start();
        logger.addAppender(lines);
    }

    @AfterEach
    void release() {
        logger.detachAppender(lines);
    }

    private long record(int times, DeclineReason rule) {
        return IntStream.range(0, times).filter(i -> log.record(rule, ACCOUNT, () -> "21 authorizations")).count();
    }

    @Test
    void record_thousandDeclinesWithinAnInterval_logsOneLine() {
        assertThat(record(1_000, DeclineReason.VELOCITY_LIMIT)).isEqualTo(1);

        assertThat(lines.list).hasSize(1);
        assertThat(lines.list.get(0).getFormattedMessage())
                .contains("VELOCITY_LIMIT", ACCOUNT, "21 authorizations", "(0 more not logged");
    }

    @Test
    void record_afterTheInterval_logsAgainWithHowManyWentUnlogged() {
        record(1_000, DeclineReason.VELOCITY_LIMIT);
        clock.advance(ShadowDeclineLog.INTERVAL.minusMillis(1));
        assertThat(record(1, DeclineReason.VELOCITY_LIMIT)).as("still within the interval").isZero();

        clock.advance(java.time.Duration.ofMillis(1));

        assertThat(record(1, DeclineReason.VELOCITY_LIMIT)).isEqualTo(1);
        assertThat(lines.list).hasSize(2);
        assertThat(lines.list.get(1).getFormattedMessage()).contains("(1000 more not logged");
    }

    @Test
    void record_eachRuleHasItsOwnInterval() {
        record(10, DeclineReason.VELOCITY_LIMIT);

        assertThat(record(10, DeclineReason.AMOUNT_LIMIT)).isEqualTo(1);
        assertThat(lines.list).hasSize(2);
    }
}
