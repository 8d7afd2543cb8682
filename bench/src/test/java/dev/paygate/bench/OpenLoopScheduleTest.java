package dev.paygate.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class OpenLoopScheduleTest {

    @Test
    void fixedRate_callsAreEvenlySpacedFromTheStart() {
        OpenLoopSchedule schedule = new OpenLoopSchedule(1_000, 500);

        assertThat(schedule.intendedNanos(0)).isEqualTo(1_000);
        assertThat(schedule.intendedNanos(1)).isEqualTo(1_000 + 2_000_000);
        assertThat(schedule.intendedNanos(500)).isEqualTo(1_000 + 1_000_000_000);
    }

    @Test
    void rateThatDoesNotDivideASecond_doesNotDriftOverALongRun() {
        OpenLoopSchedule schedule = new OpenLoopSchedule(0, 3);

        // 1/3 s rounded to 333,333,333 ns per call would be 1 ns short per call, 1 s short after 3e9 calls.
        assertThat(schedule.intendedNanos(3_000_000)).isEqualTo(1_000_000L * 1_000_000_000L);
        assertThat(schedule.intendedNanos(1)).isEqualTo(333_333_333);
    }

    @Test
    void callsInAWindow_areRateTimesSeconds() {
        assertThat(new OpenLoopSchedule(0, 2000).callsIn(6_000_000_000L)).isEqualTo(12_000);
        assertThat(new OpenLoopSchedule(0, 250).callsIn(1_500_000_000L)).isEqualTo(375);
    }

    @Test
    void zeroRate_isRefused() {
        assertThatThrownBy(() -> new OpenLoopSchedule(0, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
