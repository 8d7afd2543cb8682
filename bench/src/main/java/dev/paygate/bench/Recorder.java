package dev.paygate.bench;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Every call's latency and reply code during one measured window. Latencies include failed
 * calls: under overload the slow ones are often the failures.
 */
final class Recorder {

    private final Map<String, LongAdder> codes = new ConcurrentHashMap<>();
    private long[] latencies = new long[4096];
    private int count;

    synchronized void record(long latencyNanos, String code) {
        if (count == latencies.length) {
            latencies = Arrays.copyOf(latencies, count * 2);
        }
        latencies[count++] = latencyNanos;
        codes.computeIfAbsent(code, ignored -> new LongAdder()).increment();
    }

    synchronized long[] latencies() {
        return Arrays.copyOf(latencies, count);
    }

    /** Replies that were not OK, by code. */
    Map<String, Long> errors() {
        Map<String, Long> errors = new TreeMap<>();
        codes.forEach((code, n) -> {
            if (!Reply.OK.equals(code)) {
                errors.put(code, n.sum());
            }
        });
        return errors;
    }

    long ok() {
        LongAdder ok = codes.get(Reply.OK);
        return ok == null ? 0 : ok.sum();
    }
}
