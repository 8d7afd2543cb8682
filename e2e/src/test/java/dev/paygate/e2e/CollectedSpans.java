package dev.paygate.e2e;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * What the OpenTelemetry Collector received, read from its file exporter (one OTLP JSON
 * {@code ExportTraceServiceRequest} per line): every span with its resource's service name.
 */
final class CollectedSpans {

    /** One span: ids as hex, kind as OTLP numbers it (2 server, 3 client), attributes as text. */
    record Span(String service, String traceId, String spanId, String parentSpanId, String name, int kind,
                long startNanos, long endNanos, Map<String, String> attributes) {

        static final int SERVER = 2;
        static final int CLIENT = 3;

        double millis() {
            return (endNanos - startNanos) / 1e6;
        }

        String attribute(String key) {
            return attributes.get(key);
        }
    }

    private final Path file;

    CollectedSpans(Path file) {
        this.file = file;
    }

    /** The spans of one trace, once the collector has received some that {@code complete} accepts. */
    List<Span> awaitTrace(String traceId, Predicate<List<Span>> complete) {
        return await("spans of trace " + traceId + " in " + file)
                .atMost(Duration.ofSeconds(30))  // Envoy flushes its spans every 5 s, the service's SDK every 5 s
                .pollInterval(Duration.ofMillis(250))
                .until(() -> trace(traceId), complete);
    }

    List<Span> trace(String traceId) {
        return all().stream().filter(span -> span.traceId().equals(traceId)).toList();
    }

    List<Span> all() {
        List<Span> spans = new ArrayList<>();
        if (!Files.exists(file)) {
            return spans;
        }
        try {
            for (String line : Files.readAllLines(file)) {
                if (!line.isBlank()) {
                    read(Edge.JSON.readTree(line), spans);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return spans;
    }

    private static void read(JsonNode request, List<Span> into) {
        for (JsonNode resourceSpans : request.path("resourceSpans")) {
            String service = attributes(resourceSpans.path("resource").path("attributes")).get("service.name");
            for (JsonNode scopeSpans : resourceSpans.path("scopeSpans")) {
                for (JsonNode span : scopeSpans.path("spans")) {
                    into.add(new Span(service, span.path("traceId").asText(), span.path("spanId").asText(),
                            span.path("parentSpanId").asText(), span.path("name").asText(), span.path("kind").asInt(),
                            span.path("startTimeUnixNano").asLong(), span.path("endTimeUnixNano").asLong(),
                            attributes(span.path("attributes"))));
                }
            }
        }
    }

    private static Map<String, String> attributes(JsonNode keyValues) {
        Map<String, String> attributes = new LinkedHashMap<>();
        for (JsonNode keyValue : keyValues) {
            JsonNode value = keyValue.path("value");
            String text = value.has("stringValue") ? value.get("stringValue").asText()
                    : value.has("intValue") ? value.get("intValue").asText()
                    : value.toString();
            attributes.put(keyValue.path("key").asText(), text);
        }
        return attributes;
    }
}
