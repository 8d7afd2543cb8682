package dev.paygate.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StartupTimelineTest {

    private static final long SECOND = 1_000_000_000L;
    private static final long START = 5 * SECOND;

    /** A timeline whose second i got counts[i] answered writes. */
    static StartupTimeline timeline(int warmSeconds, long... counts) {
        StartupTimeline timeline = new StartupTimeline(START, counts.length, warmSeconds);
        for (int second = 0; second < counts.length; second++) {
            for (long n = 0; n < counts[second]; n++) {
                timeline.answered(START + second * SECOND + SECOND / 2);
            }
        }
        return timeline;
    }

    @Test
    void writesAreCountedInTheSecondSinceProcessStartTheyWereAnsweredIn_andNothingOutsideTheWindow() {
        StartupTimeline timeline = new StartupTimeline(START, 3, 1);
        timeline.answered(START - 1);
        timeline.answered(START);
        timeline.answered(START + SECOND - 1);
        timeline.answered(START + SECOND);
        timeline.answered(START + 3 * SECOND);

        assertThat(timeline.perSecond()).containsExactly(2, 1, 0);
    }

    @Test
    void warm_isTheMedianOfTheLastSeconds_andTheReplicaIsWarmAtTheEndOfTheFirstSecondAtNinetyPercent() {
        // Seconds 6-9 (the warm ones): median of 500, 520, 480, 600 = 510; 0.9 x 510 = 459.
        StartupTimeline timeline = timeline(4, 0, 0, 50, 200, 458, 470, 500, 520, 480, 600);

        assertThat(timeline.warmPerSecond()).isEqualTo(510);
        assertThat(timeline.secondsToWarm()).hasValue(6);
    }

    @Test
    void oneFastSecondAmongTheWarmOnes_doesNotRaiseTheBar() {
        StartupTimeline timeline = timeline(3, 0, 100, 100, 100, 5000);

        assertThat(timeline.warmPerSecond()).isEqualTo(100);
        assertThat(timeline.secondsToWarm()).hasValue(2);
    }

    @Test
    void aReplicaThatNeverAnswered_isNeverWarm() {
        assertThat(timeline(2, 0, 0, 0).secondsToWarm()).isEmpty();
    }

    @Test
    void warmSecondsOutsideTheWindow_areRefused() {
        assertThatThrownBy(() -> new StartupTimeline(START, 5, 6)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new StartupTimeline(START, 5, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
