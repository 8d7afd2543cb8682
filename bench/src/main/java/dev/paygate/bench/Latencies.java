package dev.paygate.bench;

import org.HdrHistogram.Histogram;

/**
 * The latencies of one window as an HdrHistogram (nanoseconds, 3 significant digits: a figure is
 * within 0.1 % of the sample it stands for), read in milliseconds.
 */
record Latencies(Histogram histogram) {

    static final int SIGNIFICANT_DIGITS = 3;

    static Latencies of(long... nanos) {
        Histogram histogram = new Histogram(SIGNIFICANT_DIGITS);
        for (long sample : nanos) {
            histogram.recordValue(sample);
        }
        return new Latencies(histogram);
    }

    long count() {
        return histogram.getTotalCount();
    }

    /** The latency at or under which {@code fraction} of the calls completed, in ms; 0 without calls. */
    double millis(double fraction) {
        return count() == 0 ? 0 : histogram.getValueAtPercentile(fraction * 100) / 1e6;
    }
}
