package dev.paygate.bench;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Every call's latency and reply code during one measured window. Latencies include failed
 * calls: under overload the slow ones are often the failures. Recording is wait-free
 * (HdrHistogram's {@link org.HdrHistogram.Recorder}), so reply threads do not queue on a lock.
 */
final class Recorder {

    private final Map<String, LongAdder> codes = new ConcurrentHashMap<>();
    private final org.HdrHistogram.Recorder latencies = new org.HdrHistogram.Recorder(Latencies.SIGNIFICANT_DIGITS);

    void record(long latencyNanos, String code) {
        latencies.recordValue(Math.max(latencyNanos, 0));
        codes.computeIfAbsent(code, ignored -> new LongAdder()).increment();
    }

    /** What was recorded so far; call once, after the window. */
    Latencies latencies() {
        return new Latencies(latencies.getIntervalHistogram());
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
