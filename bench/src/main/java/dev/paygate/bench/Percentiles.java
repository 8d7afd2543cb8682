package dev.paygate.bench;

import java.util.Arrays;

/** Latency percentiles by the nearest-rank method over every recorded sample (no histogram rounding). */
final class Percentiles {

    private final long[] sortedNanos;

    Percentiles(long[] nanos) {
        this.sortedNanos = nanos.clone();
        Arrays.sort(sortedNanos);
    }

    int count() {
        return sortedNanos.length;
    }

    /** The smallest sample that at least {@code fraction} of all samples do not exceed, in ms; 0 without samples. */
    double millis(double fraction) {
        if (sortedNanos.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(fraction * sortedNanos.length);
        return sortedNanos[Math.min(Math.max(rank, 1), sortedNanos.length) - 1] / 1e6;
    }
}
