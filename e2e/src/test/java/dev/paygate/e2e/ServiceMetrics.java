package dev.paygate.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A service replica's Prometheus output (management port, /prometheus), read for the deadline
 * budget each call arrived with: {@code paygate_call_budget_milliseconds_count/_sum} by method
 * and source (grpc_timeout, envoy_route, service_default), and for the calls it refused
 * ({@code paygate_calls_refused_total} by reason).
 */
final class ServiceMetrics {

    /** One budget series at one moment: how many calls, and the sum of their budgets in ms. */
    record Budget(long count, double sumMillis) {

        /** The calls recorded between {@code before} and this scrape. */
        Budget minus(Budget before) {
            return new Budget(count - before.count, sumMillis - before.sumMillis);
        }
    }

    private static final Pattern SAMPLE = Pattern.compile("^(paygate_call_budget_milliseconds_(?:count|sum))\\{([^}]*)\\} (\\S+)$");
    private static final Pattern REFUSED = Pattern.compile("^paygate_calls_refused_total\\{([^}]*)\\} (\\S+)$");
    private static final Pattern FALLBACK = Pattern.compile("^paygate_fallback_total\\{([^}]*)\\} (\\S+)$");
    private static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final int managementPort;

    ServiceMetrics(int managementPort) {
        this.managementPort = managementPort;
    }

    /** Replica {@code index} of the edge's stack. */
    static ServiceMetrics of(Edge edge, int index) {
        return new ServiceMetrics(edge.stack().replicas().get(index).managementPort());
    }

    String scrape() {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + managementPort + "/prometheus"))
                    .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("/prometheus answered " + response.statusCode());
            }
            return response.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** WatchAuthorizationEvents streams open on the replica ({@code paygate_streams_open}). */
    long openStreams() {
        for (String line : scrape().split("\n")) {
            if (line.startsWith("paygate_streams_open ")) {
                return (long) Double.parseDouble(line.substring(line.indexOf(' ') + 1).trim());
            }
        }
        throw new IllegalStateException("the replica exports no paygate_streams_open");
    }

    /** Calls the replica refused without doing anything, summed over methods, by reason. */
    Map<String, Long> refusals() {
        Map<String, Long> byReason = new java.util.TreeMap<>();
        for (String line : scrape().split("\n")) {
            Matcher sample = REFUSED.matcher(line.trim());
            if (sample.matches()) {
                Matcher label = LABEL.matcher(sample.group(1));
                while (label.find()) {
                    if (label.group(1).equals("reason")) {
                        byReason.merge(label.group(2), (long) Double.parseDouble(sample.group(2)), Long::sum);
                    }
                }
            }
        }
        return byReason;
    }

    /** paygate_fallback_total for one dependency and decision; zero when absent. */
    long fallbacks(String dependency, String decision) {
        for (String line : scrape().split("\n")) {
            Matcher sample = FALLBACK.matcher(line.trim());
            if (sample.matches() && sample.group(1).contains("dependency=\"" + dependency + "\"")
                    && sample.group(1).contains("decision=\"" + decision + "\"")) {
                return (long) Double.parseDouble(sample.group(2));
            }
        }
        return 0;
    }

    /** Calls of a method the service received, whatever their budget came from. */
    long calls(String method) {
        return budget(method, "grpc_timeout").count() + budget(method, "envoy_route").count()
                + budget(method, "service_default").count();
    }

    /** The budget series of a method ("paygate.v1.AccountService/GetAccount") and source; zero before its first call. */
    Budget budget(String method, String source) {
        long count = 0;
        double sum = 0;
        for (String line : scrape().split("\n")) {
            Matcher sample = SAMPLE.matcher(line.trim());
            if (!sample.matches()) {
                continue;
            }
            Map<String, String> labels = new HashMap<>();
            Matcher label = LABEL.matcher(sample.group(2));
            while (label.find()) {
                labels.put(label.group(1), label.group(2));
            }
            if (method.equals(labels.get("method")) && source.equals(labels.get("source"))) {
                double value = Double.parseDouble(sample.group(3));
                if (sample.group(1).endsWith("_count")) {
                    count = (long) value;
                } else {
                    sum = value;
                }
            }
        }
        return new Budget(count, sum);
    }
}
