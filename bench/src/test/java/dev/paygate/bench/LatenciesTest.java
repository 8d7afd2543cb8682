package dev.paygate.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class LatenciesTest {

    private static long[] millisToNanos(long... millis) {
        return LongStream.of(millis).map(ms -> ms * 1_000_000).toArray();
    }

    @Test
    void oneToHundred_givesTheRankedSample_withinThePrecision() {
        Latencies latencies = Latencies.of(millisToNanos(LongStream.rangeClosed(1, 100).toArray()));

        assertThat(latencies.millis(0.50)).isCloseTo(50, within(0.05));
        assertThat(latencies.millis(0.90)).isCloseTo(90, within(0.09));
        assertThat(latencies.millis(0.99)).isCloseTo(99, within(0.1));
        assertThat(latencies.millis(0.999)).isCloseTo(100, within(0.1));
        assertThat(latencies.millis(1.0)).isCloseTo(100, within(0.1));
        assertThat(latencies.count()).isEqualTo(100);
    }

    @Test
    void oneSlowCallInAThousand_showsAtMaxNotAtP99() {
        long[] samples = new long[1000];
        Arrays.fill(samples, 1_000_000);
        samples[999] = 500_000_000;
        Latencies latencies = Latencies.of(samples);

        assertThat(latencies.millis(0.99)).isCloseTo(1, within(0.001));
        assertThat(latencies.millis(0.999)).isCloseTo(1, within(0.001));
        assertThat(latencies.millis(1.0)).isCloseTo(500, within(0.5));
    }

    @Test
    void tenSlowCallsInAThousand_showAtP999() {
        long[] samples = new long[1000];
        Arrays.fill(samples, 1_000_000);
        Arrays.fill(samples, 990, 1000, 40_000_000);
        Latencies latencies = Latencies.of(samples);

        assertThat(latencies.millis(0.99)).isCloseTo(1, within(0.001));
        assertThat(latencies.millis(0.999)).isCloseTo(40, within(0.04));
    }

    @Test
    void recorder_keepsEveryCall_fromConcurrentReplyThreads() throws InterruptedException {
        Recorder recorder = new Recorder();
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(() -> {
                for (int i = 0; i < 10_000; i++) {
                    recorder.record(2_000_000, Reply.OK);
                }
            });
            threads[t].start();
        }
        for (Thread thread : threads) {
            thread.join();
        }

        assertThat(recorder.latencies().count()).isEqualTo(40_000);
        assertThat(recorder.ok()).isEqualTo(40_000);
    }

    @Test
    void noSamples_givesZero() {
        assertThat(Latencies.of().millis(0.99)).isZero();
    }
}
