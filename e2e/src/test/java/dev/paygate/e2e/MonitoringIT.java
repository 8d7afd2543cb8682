package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paygate.devstack.ServiceProcess;
import dev.paygate.e2e.Edge.Rest;
import dev.paygate.edge.EnvoyProcess;
import dev.paygate.edge.Http;
import dev.paygate.edge.Repository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * Monitoring end to end: a real Prometheus (Debian's binary) scrapes a running stack through
 * Envoy's stats listener and the service's management port, evaluates ops/prometheus's rules, and
 * every query of the Grafana dashboard and every rule expression returns data once real traffic
 * (slow reads, a burst over the limit, a risk shadow decline, an outage) has gone through.
 * The answers are kept in e2e/target/monitoring/prometheus-queries.txt.
 */
@EndToEnd
class MonitoringIT {

    private static final Repository REPOSITORY = Repository.locate();
    private static final Path CAPTURE = REPOSITORY.root().resolve("e2e/target/monitoring/prometheus-queries.txt");
    /** Longer than the reads route's 250 ms latency threshold (ops/prometheus/slo.rules.yml). */
    private static final Duration STALL = Duration.ofMillis(350);

    private static Edge edge;
    private static Prometheus prometheus;
    private static RestPayments payments;
    private static final ExecutorService CALLERS = Executors.newFixedThreadPool(20);

    @BeforeAll
    static void start(Edge started) throws IOException {
        edge = started;
        payments = new RestPayments(edge);
        Path workDir = Files.createDirectories(edge.stack().workDir().resolve("prometheus"));
        List<String> services = edge.stack().replicas().stream()
                .map(r -> "127.0.0.1:" + r.managementPort()).toList();
        prometheus = Prometheus.start(REPOSITORY, Map.of(
                "envoy", List.of("127.0.0.1:" + edge.stack().statsPort()),
                "paygate", services,
                "ratelimit", List.of()), workDir);  // this stack has no rate-limit service (MultiEdgeIT has)
    }

    @AfterAll
    static void stop() {
        CALLERS.shutdownNow();
        if (prometheus != null) {
            prometheus.close();
        }
    }

    @Test
    void statsListener_servesTheScrapeAndReadiness_butNoOtherAdminEndpoint() throws IOException {
        String stats = "http://127.0.0.1:" + edge.stack().statsPort();

        assertThat(Http.status("GET", stats + "/stats/prometheus")).isEqualTo(200);
        assertThat(Http.body("GET", stats + "/stats/prometheus")).contains("envoy_cluster_membership_healthy");
        assertThat(Http.status("GET", stats + "/ready")).isEqualTo(200);
        // What an attacker on the scrape network would try: admin's mutating and revealing endpoints.
        assertThat(Http.status("POST", stats + "/runtime_modify?paygate.ratelimit.enforced=0")).isEqualTo(404);
        assertThat(Http.status("POST", stats + "/healthcheck/fail")).isEqualTo(404);
        assertThat(Http.status("GET", stats + "/config_dump")).isEqualTo(404);
        assertThat(Http.status("POST", stats + "/quitquitquit")).isEqualTo(404);

        EnvoyProcess envoy = edge.stack().envoy();
        JsonNode runtime = Edge.JSON.readTree(envoy.admin("/runtime"));
        assertThat(runtime.path("entries").path("paygate.ratelimit.enforced").path("final_value").asText())
                .as("runtime unchanged").isEqualTo("100");
        assertThat(Http.status("GET", envoy.adminUrl("/ready"))).as("Envoy still serving").isEqualTo(200);
    }

    /** docker-compose.yml's health checks for envoy and service, run with bash against this stack's ports. */
    @Test
    void composeHealthChecks_passAgainstARunningEnvoyAndService() throws IOException {
        Map<String, Object> compose = new Yaml().load(Files.readString(REPOSITORY.root().resolve("docker-compose.yml")));
        Map<?, ?> services = (Map<?, ?>) compose.get("services");
        Map<String, String> ports = Map.of(
                "envoy", "9902:" + edge.stack().statsPort(),
                "service", "8081:" + edge.stack().replicas().get(0).managementPort());
        ports.forEach((service, mapping) -> {
            List<?> test = (List<?>) ((Map<?, ?>) ((Map<?, ?>) services.get(service)).get("healthcheck")).get("test");
            assertThat(test.subList(0, 3).stream().map(String::valueOf).toList()).containsExactly("CMD", "bash", "-c");
            String[] port = mapping.split(":");
            String command = String.valueOf(test.get(3)).replace("/" + port[0], "/" + port[1]);
            try {
                Process check = new ProcessBuilder("bash", "-c", command).redirectErrorStream(true).start();
                assertThat(check.waitFor(10, TimeUnit.SECONDS)).isTrue();
                assertThat(check.exitValue()).as("%s health check: %s", service, command).isZero();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void everyDashboardQueryAndEveryRule_returnsData_afterRealTraffic() throws IOException {
        Set<String> expressions = new LinkedHashSet<>(dashboardQueries());
        expressions.addAll(ruleExpressions());
        Map<String, JsonNode> answered = new LinkedHashMap<>();
        // Before any traffic: every counter's starting value must be in Prometheus, or rate() sees no increase.
        await("both scrape targets up").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500))
                .until(() -> prometheus.targets().size() == 2
                        && prometheus.targets().values().stream().allMatch("up"::equals));

        // Healthy traffic: writes on both write routes (one a risk shadow decline) and reads that
        // are slow upstream.
        String account = payments.createAccount(50_000).get("name").asText();
        Rest keyed = payments.authorize(account, 20_000, Map.of("Idempotency-Key", UUID.randomUUID().toString()));
        assertThat(keyed.status()).as("keyed write: %s", keyed.text()).isEqualTo(200);
        Rest unkeyed = payments.authorize(account, 10, Map.of());
        assertThat(unkeyed.status()).as("unkeyed write: %s", unkeyed.text()).isEqualTo(200);
        // Envoy creates a route's counters and histogram at its first call, and rate() cannot see the
        // increase that creates a series: let Prometheus see the reads route before the slow reads.
        assertThat(payments.account(account).get("name").asText()).isEqualTo(account);
        awaitSeries("envoy_vhost_route_upstream_rq_time_count{envoy_route=\"reads\"}");
        List<Rest> slow = stalledReads(account, 12);
        // On a loaded machine a stalled read can still outlast its per-try timeouts (504); what
        // matters here is that most are served, slowly, and none is refused.
        assertThat(slow).extracting(Rest::status).contains(200).doesNotContain(429);
        // A burst of account openings over the client's write bucket: 429s, and reads stay mostly slow.
        List<Rest> burst = concurrently(300, () -> payments.openAccount(100));
        assertThat(burst).extracting(Rest::status).contains(429).containsOnly(200, 429);
        System.out.printf("burst of %d writes: %d refused with 429%n", burst.size(),
                burst.stream().filter(r -> r.status() == 429).count());
        pollUntil(expressions, answered, "shadow declines and rate-limit counters scraped",
                e -> e.contains("paygate_risk_shadow_declines_total") || e.contains("rate_limited"));

        // An outage: the only replica dies, Envoy has no healthy host and answers 503.
        ServiceProcess replica = edge.stack().replicas().get(0);
        replica.kill();
        await("Envoy sees no healthy replica").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> edge.stack().envoy().stat("cluster.paygate_service.membership_healthy") == 0);
        assertThat(edge.get("/v1/" + account).status()).isEqualTo(503);
        awaitSeries("envoy_vhost_route_upstream_rq_xx{envoy_route=\"reads\",envoy_response_code_class=\"5\"}");
        List<Rest> outage = concurrently(40, () -> edge.get("/v1/" + account));
        assertThat(outage).extracting(Rest::status).containsOnly(503);
        pollUntil(expressions, answered, "the no-healthy-replica alert", e -> e.contains("membership_healthy"));

        // Recovery: the replica comes back; the 5xx stay in every window, the service is scraped again.
        edge.stack().restart(0).awaitHealthy(Duration.ofSeconds(60));
        try {
            pollUntil(expressions, answered, "every query", e -> true);
        } finally {
            writeCapture(answered);
        }
        assertThat(expressions).allSatisfy(e -> assertThat(answered).as("data for %s", e).containsKey(e));
    }

    private static void awaitSeries(String selector) {
        await(selector + " scraped").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250))
                .until(() -> !prometheus.query(selector).isEmpty());
    }

    /** Polls every expression not yet answered until all those {@code that} selects have data. */
    private static void pollUntil(Set<String> expressions, Map<String, JsonNode> answered, String what,
                                  java.util.function.Predicate<String> that) {
        await(what + " in Prometheus").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                .conditionEvaluationListener(condition -> {
                    if (condition.getRemainingTimeInMS() < 1500) {
                        System.out.println("still without data: " + expressions.stream().filter(that)
                                .filter(e -> !answered.containsKey(e)).toList());
                    }
                })
                .until(() -> {
                    for (String expression : expressions) {
                        if (!answered.containsKey(expression)) {
                            JsonNode result = prometheus.query(expression);
                            if (!result.isEmpty()) {
                                answered.put(expression, result);
                            }
                        }
                    }
                    return expressions.stream().filter(that).allMatch(answered::containsKey);
                });
    }

    private static List<String> dashboardQueries() throws IOException {
        JsonNode dashboard = Edge.JSON.readTree(REPOSITORY.opsDir().resolve("grafana/dashboards/paygate.json").toFile());
        List<String> queries = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            panel.path("targets").forEach(t -> queries.add(t.path("expr").asText()));
        }
        assertThat(queries).hasSizeGreaterThan(10);
        return queries;
    }

    private static List<String> ruleExpressions() throws IOException {
        Map<String, Object> rules = new Yaml().load(Files.readString(REPOSITORY.opsDir().resolve("prometheus/slo.rules.yml")));
        List<String> expressions = new ArrayList<>();
        for (Object group : (List<?>) rules.get("groups")) {
            for (Object rule : (List<?>) ((Map<?, ?>) group).get("rules")) {
                expressions.add(String.valueOf(((Map<?, ?>) rule).get("expr")).trim());
            }
        }
        return expressions;
    }

    /** Every expression's answer now, or, when it has none any more (the outage is over), its earlier one. */
    private static void writeCapture(Map<String, JsonNode> answered) {
        StringBuilder text = new StringBuilder("# Prometheus answers to every dashboard query and rule expression after "
                + "MonitoringIT's traffic, " + Instant.now() + "\n");
        answered.forEach((expression, earlier) -> {
            JsonNode now = prometheus.query(expression);
            text.append("\n").append(expression.replace("\n", "\n  "))
                    .append(now.isEmpty() ? "\n  (no data now; during the outage:)\n" : "\n");
            for (JsonNode sample : now.isEmpty() ? earlier : now) {
                text.append("  => ").append(sample.path("metric")).append(' ')
                        .append(sample.path("value").path(1).asText()).append('\n');
            }
        });
        try {
            Files.createDirectories(CAPTURE.getParent());
            Files.writeString(CAPTURE, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        System.out.println(text);
    }

    /**
     * Reads that really take long upstream, as during a GC pause: the replica is stopped (SIGSTOP)
     * while {@code calls} reads go to it, and resumed (SIGCONT) {@link #STALL} later. A shell
     * times the pause, so that a busy test JVM cannot stretch it past the reads route's 0.6 s
     * per-try timeout (which would turn slow reads into 504s and an ejection).
     */
    private static List<Rest> stalledReads(String account, int calls) {
        long pid = edge.stack().replicas().get(0).pid();
        String seconds = String.format(java.util.Locale.ROOT, "%.3f", STALL.toMillis() / 1000.0);
        try {
            Process pause = new ProcessBuilder("sh", "-c",
                    "kill -STOP " + pid + " && echo stopped && sleep " + seconds + "; kill -CONT " + pid).start();
            try (var out = new java.io.BufferedReader(new java.io.InputStreamReader(pause.getInputStream()))) {
                assertThat(out.readLine()).isEqualTo("stopped");
                List<Future<Rest>> reads = submit(calls, () -> edge.get("/v1/" + account));
                assertThat(pause.waitFor(10, TimeUnit.SECONDS) && pause.exitValue() == 0).as("replica resumed").isTrue();
                return collect(reads);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static List<Rest> concurrently(int calls, java.util.concurrent.Callable<Rest> call) {
        return collect(submit(calls, call));
    }

    private static List<Future<Rest>> submit(int calls, java.util.concurrent.Callable<Rest> call) {
        List<Future<Rest>> futures = new ArrayList<>();
        for (int i = 0; i < calls; i++) {
            futures.add(CALLERS.submit(call));
        }
        return futures;
    }

    private static List<Rest> collect(List<Future<Rest>> futures) {
        List<Rest> answers = new ArrayList<>();
        for (Future<Rest> future : futures) {
            try {
                answers.add(future.get(30, TimeUnit.SECONDS));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        return answers;
    }
}
