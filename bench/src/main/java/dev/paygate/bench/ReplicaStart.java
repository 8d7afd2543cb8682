package dev.paygate.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.OptionalLong;

/**
 * What one cold start of a replica measured ({@link StartupProbe}): times from its process start,
 * the keyed writes it answered per second, and its memory.
 *
 * @param configuration   which JVM arguments on top of the production flags (none, AOT training, AOT cache)
 * @param startedAt       when its process was started, to read its log against
 * @param servingMillis   process start to the first gRPC health SERVING (service "", Envoy's check)
 * @param firstWriteMillis process start to the first answered keyed CreateAuthorization; empty if none
 */
record ReplicaStart(String configuration, java.time.Instant startedAt, long servingMillis, OptionalLong firstWriteMillis,
                    StartupTimeline timeline, long rssAtServingMib, long peakRssMib, long writesOk,
                    Map<String, Long> errors, double loadAverageAtStart) {

    ObjectNode json() {
        ObjectNode run = JsonNodeFactory.instance.objectNode();
        run.put("configuration", configuration);
        run.put("process_started_at", startedAt.toString());
        run.put("load_average_1m_at_start", loadAverageAtStart);
        run.put("process_start_to_serving_ms", servingMillis);
        if (firstWriteMillis.isPresent()) {
            run.put("process_start_to_first_keyed_write_ms", firstWriteMillis.getAsLong());
        } else {
            run.putNull("process_start_to_first_keyed_write_ms");
        }
        var perSecond = run.putArray("writes_per_second");
        for (long count : timeline.perSecond()) {
            perSecond.add(count);
        }
        run.put("warm_writes_per_second", timeline.warmPerSecond());
        var warm = timeline.secondsToWarm();
        if (warm.isPresent()) {
            run.put("seconds_to_warm", warm.getAsInt());
        } else {
            run.putNull("seconds_to_warm");
        }
        run.put("rss_at_serving_mib", rssAtServingMib);
        run.put("peak_rss_mib", peakRssMib);
        run.put("writes_ok", writesOk);
        var errorCodes = run.putObject("errors");
        errors.forEach(errorCodes::put);
        return run;
    }
}
