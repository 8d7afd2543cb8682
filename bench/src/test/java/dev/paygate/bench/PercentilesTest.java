package dev.paygate.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class PercentilesTest {

    private static long[] millisToNanos(long... millis) {
        return LongStream.of(millis).map(ms -> ms * 1_000_000).toArray();
    }

    @Test
    void oneToHundred_nearestRank_givesTheRankedSample() {
        Percentiles percentiles = new Percentiles(millisToNanos(LongStream.rangeClosed(1, 100).toArray()));

        assertThat(percentiles.millis(0.50)).isEqualTo(50);
        assertThat(percentiles.millis(0.90)).isEqualTo(90);
        assertThat(percentiles.millis(0.99)).isEqualTo(99);
        assertThat(percentiles.millis(0.999)).isEqualTo(100);
        assertThat(percentiles.millis(1.0)).isEqualTo(100);
    }

    @Test
    void unsortedSamples_areSortedFirst_andTheCallersArrayIsLeftAlone() {
        long[] samples = millisToNanos(30, 10, 20);

        assertThat(new Percentiles(samples).millis(0.5)).isEqualTo(20);
        assertThat(samples).containsExactly(millisToNanos(30, 10, 20));
    }

    @Test
    void oneSlowCallInAThousand_showsAtP999NotAtP99() {
        long[] samples = new long[1000];
        java.util.Arrays.fill(samples, 1_000_000);
        samples[999] = 500_000_000;
        Percentiles percentiles = new Percentiles(samples);

        assertThat(percentiles.millis(0.99)).isEqualTo(1);
        assertThat(percentiles.millis(0.999)).isEqualTo(1);
        assertThat(percentiles.millis(1.0)).isEqualTo(500);
    }

    @Test
    void noSamples_givesZero() {
        assertThat(new Percentiles(new long[0]).millis(0.99)).isZero();
    }
}
