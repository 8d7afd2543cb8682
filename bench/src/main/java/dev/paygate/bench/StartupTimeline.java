package dev.paygate.bench;

import java.util.Arrays;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Keyed writes answered by a starting replica, per second since its process started (second i
 * holds the replies that came in [i, i + 1) s). Its <b>warm throughput</b> is the median of the
 * per-second counts in the last {@code warmSeconds} of the window (seconds 20-30 of a 30 s window):
 * by then the JIT has compiled the write path (README, "AOT cache"). The replica is warm at the
 * end of the first second whose count reaches {@value #WARM_SHARE} of that.
 */
final class StartupTimeline {

    static final double WARM_SHARE = 0.9;

    private final long processStartNanos;
    private final AtomicLongArray answered;
    private final int warmSeconds;

    StartupTimeline(long processStartNanos, int windowSeconds, int warmSeconds) {
        if (warmSeconds < 1 || warmSeconds > windowSeconds) {
            throw new IllegalArgumentException("warm seconds " + warmSeconds + " not within the window of " + windowSeconds);
        }
        this.processStartNanos = processStartNanos;
        this.answered = new AtomicLongArray(windowSeconds);
        this.warmSeconds = warmSeconds;
    }

    /** One answered write at {@code nanoTime}; replies after the window are not counted. */
    void answered(long nanoTime) {
        long second = Math.floorDiv(nanoTime - processStartNanos, 1_000_000_000L);
        if (second >= 0 && second < answered.length()) {
            answered.incrementAndGet((int) second);
        }
    }

    int windowSeconds() {
        return answered.length();
    }

    long[] perSecond() {
        long[] counts = new long[answered.length()];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = answered.get(i);
        }
        return counts;
    }

    /** The median of the last {@code warmSeconds} seconds' counts. */
    double warmPerSecond() {
        long[] counts = perSecond();
        long[] warm = Arrays.copyOfRange(counts, counts.length - warmSeconds, counts.length);
        Arrays.sort(warm);
        int middle = warm.length / 2;
        return warm.length % 2 == 1 ? warm[middle] : (warm[middle - 1] + warm[middle]) / 2.0;
    }

    /** Seconds from process start to the end of the first second at {@value #WARM_SHARE} of warm; empty if none. */
    OptionalInt secondsToWarm() {
        double warm = warmPerSecond();
        if (warm <= 0) {
            return OptionalInt.empty();
        }
        long[] counts = perSecond();
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] >= WARM_SHARE * warm) {
                return OptionalInt.of(i + 1);
            }
        }
        return OptionalInt.empty();
    }

    /** Where the warm throughput is taken, for the report. */
    String warmDefinition() {
        return "median of the per-second answered writes in seconds " + (answered.length() - warmSeconds) + "-"
                + answered.length() + " after process start; warm at the end of the first second with >= "
                + (int) (WARM_SHARE * 100) + " % of it";
    }
}
