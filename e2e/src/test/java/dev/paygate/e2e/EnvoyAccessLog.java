package dev.paygate.e2e;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Envoy's JSON access log (one object per request, written to envoy.log in the stack's work
 * directory): what Envoy itself did with a request, e.g. how many upstream attempts it made.
 */
final class EnvoyAccessLog {

    private final Path file;

    private EnvoyAccessLog(Path file) {
        this.file = file;
    }

    /** The access log of the edge's Envoy, in the stack's work directory. */
    static EnvoyAccessLog of(Edge edge) {
        return new EnvoyAccessLog(edge.stack().workDir().resolve("envoy.log"));
    }

    /** Every entry written so far. */
    List<JsonNode> entries() {
        List<JsonNode> entries = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith("{")) {
                    entries.add(Edge.JSON.readTree(line));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return entries;
    }

    /** An entry's upstream attempt count; 0 when Envoy made no upstream attempt ("-" or empty). */
    static int attempts(JsonNode entry) {
        String value = entry.path("attempts").asText();
        return value.matches("\\d+") ? Integer.parseInt(value) : 0;
    }

    /** The entry of the request with this x-request-id, waiting for Envoy to flush it. */
    JsonNode entry(String requestId) {
        return await("access log entry for x-request-id " + requestId + " in " + file)
                .atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> find(requestId), Optional::isPresent)
                .orElseThrow();
    }

    /** The entries of the requests with these x-request-ids, by id, waiting for Envoy to flush them all. */
    Map<String, JsonNode> entries(Collection<String> requestIds) {
        Set<String> wanted = new HashSet<>(requestIds);
        return await("access log entries for " + wanted.size() + " x-request-ids in " + file)
                .atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> entries().stream().filter(entry -> wanted.contains(entry.path("request_id").asText()))
                                .collect(Collectors.toMap(entry -> entry.path("request_id").asText(), entry -> entry,
                                        (first, second) -> first)),
                        found -> found.keySet().containsAll(wanted));
    }

    private Optional<JsonNode> find(String requestId) {
        return entries().stream().filter(entry -> requestId.equals(entry.path("request_id").asText())).findFirst();
    }
}
