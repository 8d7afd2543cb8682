package dev.paygate.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;

/**
 * Where one call's time went, from the client's clock and Envoy's access log entry for it (the two
 * share the host's clock; START_TIME has millisecond resolution): before Envoy began the request
 * (the client's own queueing, TLS, the socket), at the edge (%DURATION%: from the request's first
 * byte to the reply's last), and after (the reply on its way back into the client).
 */
record EdgeTiming(String kind, String flags, int attempts, String details, long clientMillis, long beforeEdgeMillis,
                  long atEdgeMillis, long afterEdgeMillis) {

    static EdgeTiming of(KeyedWriteLoad.Attempt attempt, JsonNode entry) {
        long before = Instant.parse(entry.path("time").asText()).toEpochMilli() - attempt.startEpochMillis();
        long atEdge = entry.path("duration_ms").asLong();
        return new EdgeTiming(attempt.kind(), entry.path("response_flags").asText(), EnvoyAccessLog.attempts(entry),
                entry.path("details").asText(), attempt.millis(), before, atEdge, attempt.millis() - before - atEdge);
    }

    /** Envoy's circuit breaker refused the first attempt: no replica ever saw the call. */
    boolean refusedByBreakerUnsent() {
        return attempts == 1 && flags.contains("UO") && details.contains("{overflow}");
    }

    /** "UNAVAILABLE/SERVER_OVERLOADED UO 1 via_upstream": how the call ended and what Envoy did. */
    String group() {
        return kind + " " + flags + " " + attempts + " " + details;
    }

    /** The {@code percent}-th percentile of one of the parts, in ms (0 for none). */
    static long percentile(List<EdgeTiming> timings, java.util.function.ToLongFunction<EdgeTiming> part, int percent) {
        long[] sorted = timings.stream().mapToLong(part).sorted().toArray();
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, sorted.length * percent / 100)];
    }

    /** n, then p50/p95 of the client's time and of its three parts. */
    static String summary(List<EdgeTiming> timings) {
        return String.format("n=%d client p50 %d p95 %d ms = before the edge p50 %d p95 %d + at the edge p50 %d p95 %d"
                        + " + after p50 %d p95 %d", timings.size(),
                percentile(timings, EdgeTiming::clientMillis, 50), percentile(timings, EdgeTiming::clientMillis, 95),
                percentile(timings, EdgeTiming::beforeEdgeMillis, 50), percentile(timings, EdgeTiming::beforeEdgeMillis, 95),
                percentile(timings, EdgeTiming::atEdgeMillis, 50), percentile(timings, EdgeTiming::atEdgeMillis, 95),
                percentile(timings, EdgeTiming::afterEdgeMillis, 50), percentile(timings, EdgeTiming::afterEdgeMillis, 95));
    }
}
