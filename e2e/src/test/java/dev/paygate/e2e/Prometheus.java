package dev.paygate.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paygate.edge.Command;
import dev.paygate.edge.FreePorts;
import dev.paygate.edge.Repository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * A real Prometheus (Debian's binary) on the compose file's own configuration
 * (ops/prometheus/prometheus.yml), with each job's targets pointed at a local stack, scraping
 * and evaluating the rules every second so a test sees data within seconds.
 */
final class Prometheus implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Process process;
    private final int port;

    private Prometheus(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Starts Prometheus scraping {@code targets} (job name → host:port list) and waits until it is ready. */
    static Prometheus start(Repository repository, Map<String, List<String>> targets, Path workDir) {
        Path rules = repository.opsDir().resolve("prometheus");
        try {
            Map<String, Object> config = new Yaml().load(Files.readString(rules.resolve("prometheus.yml")));
            config.put("global", new LinkedHashMap<>(Map.of("scrape_interval", "1s", "evaluation_interval", "1s")));
            List<Object> ruleFiles = new ArrayList<>();
            for (Object file : (List<?>) config.get("rule_files")) {
                ruleFiles.add(rules.resolve(Path.of(String.valueOf(file)).getFileName()).toString());
            }
            config.put("rule_files", ruleFiles);
            for (Object job : (List<?>) config.get("scrape_configs")) {
                @SuppressWarnings("unchecked")
                Map<String, Object> scrape = (Map<String, Object>) job;
                List<String> jobTargets = targets.get(String.valueOf(scrape.get("job_name")));
                if (jobTargets == null) {
                    throw new IllegalArgumentException("no targets for job " + scrape.get("job_name"));
                }
                scrape.remove("dns_sd_configs");
                scrape.put("static_configs", List.of(Map.of("targets", jobTargets)));
            }
            DumperOptions options = new DumperOptions();
            options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
            Path file = Files.writeString(workDir.resolve("prometheus.yml"), new Yaml(options).dump(config));
            int port = FreePorts.next();
            Process process = new ProcessBuilder(Repository.debianTool("prometheus").toString(),
                    "--config.file=" + file, "--storage.tsdb.path=" + workDir.resolve("tsdb"),
                    "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
                    .redirectErrorStream(true)
                    .redirectOutput(workDir.resolve("prometheus.log").toFile())
                    .start();
            Prometheus prometheus = new Prometheus(process, port);
            org.awaitility.Awaitility.await("prometheus ready (log: " + workDir.resolve("prometheus.log") + ")")
                    .atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        if (!process.isAlive()) {
                            throw new IllegalStateException("prometheus exited: " + Files.readString(workDir.resolve("prometheus.log")));
                        }
                        return prometheus.status("/-/ready") == 200;
                    });
            return prometheus;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An instant query through the HTTP API; returns data.result (an array, empty when there is no data). */
    JsonNode query(String promql) {
        JsonNode body;
        try {
            body = Edge.JSON.readTree(get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!"success".equals(body.path("status").asText())) {
            throw new AssertionError("query failed: " + promql + "\n" + body);
        }
        return body.path("data").path("result");
    }

    /** The health of every scrape target, e.g. {"envoy 127.0.0.1:1234": "up"}. */
    Map<String, String> targets() {
        Map<String, String> health = new LinkedHashMap<>();
        try {
            for (JsonNode target : Edge.JSON.readTree(get("/api/v1/targets")).path("data").path("activeTargets")) {
                health.put(target.path("labels").path("job").asText() + " " + target.path("labels").path("instance").asText(),
                        target.path("health").asText());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return health;
    }

    private int status(String path) {
        try {
            return HTTP.send(request(path), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private String get(String path) {
        try {
            return HTTP.send(request(path), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private HttpRequest request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).GET().build();
    }

    @Override
    public void close() {
        Command.stop(process);
    }
}
