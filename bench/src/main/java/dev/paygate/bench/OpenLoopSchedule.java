package dev.paygate.bench;

/**
 * When the i-th call of an open loop is due: {@code start + i / rate}, fixed in advance. A call
 * sent late (the sender fell behind) is still measured from this time, so a stall shows up in
 * the latency of every call it delayed instead of being hidden (coordinated omission).
 */
record OpenLoopSchedule(long startNanos, int ratePerSecond) {

    OpenLoopSchedule {
        if (ratePerSecond <= 0) {
            throw new IllegalArgumentException("rate must be positive: " + ratePerSecond);
        }
    }

    /** The intended send time of call {@code index} (0-based), in System.nanoTime() terms. */
    long intendedNanos(long index) {
        // Multiply before dividing: no drift from a rounded interval over long runs.
        return startNanos + index * 1_000_000_000L / ratePerSecond;
    }

    /** How many calls are due in a window of this length. */
    long callsIn(long windowNanos) {
        return windowNanos * ratePerSecond / 1_000_000_000L;
    }
}
