package dev.paygate.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.paygate.devstack.Stack;
import dev.paygate.devstack.credentials.DevSigningKey;
import dev.paygate.devstack.credentials.EdgeTls;
import dev.paygate.devstack.credentials.TokenPolicy;
import dev.paygate.edge.FreePorts;
import dev.paygate.edge.Repository;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * {@code ./paygate bench}: the one place Paygate's performance figures come from. Starts one
 * service replica with its production JVM flags (service/jvm.options) on the chosen database, the
 * full Envoy edge (envoy.yaml as {@link Stack} launches it, rate limits in shadow mode) and the
 * floor ({@link FloorEdge}), then measures every {@link Scenario} of the {@link Plan} on every
 * path, the streams scenario ({@link StreamFanout}) and a fresh replica's start-up
 * ({@link StartupProbe}), in the same run. Prints one JSON document
 * and writes it, a Markdown table and a latency chart to bench/results/. Exits non-zero if
 * the balances disagree with the replies (no lost or double charge) or with the accounts'
 * authorization events ({@link EventLedger}), if a stream lost, repeated or reordered an event,
 * or if any call failed in the smoke run; it asserts nothing about timing.
 */
public final class Benchmark {

    private static final int SPREAD_ACCOUNTS = 100;
    /** The figure: what one replica fans out to 100 streams. */
    private static final int STREAMS = 100;
    private static final int SMOKE_STREAMS = 10;
    /** Keyed writes per second on the watched accounts, one step each, until delivery falls behind. */
    private static final List<Integer> STREAM_RATES = List.of(100, 200, 400, 800, 1600, 3200);
    private static final List<Integer> SMOKE_STREAM_RATES = List.of(20);

    private Benchmark() {
    }

    public static void main(String[] args) throws Exception {
        Repository repository = Repository.locate();
        BenchOptions options;
        try {
            options = BenchOptions.parse(args, repository.root().resolve("bench/results"));
        } catch (IllegalArgumentException usage) {
            System.err.println(usage.getMessage());
            System.exit(2);
            return;
        }
        Instant started = Instant.now();
        double[] loadAverage = loadAverage();
        Path workDir = Files.createTempDirectory("paygate-bench-");
        Stack.Options stackOptions = new Stack.Options(1, FreePorts.next(), FreePorts.next(), FreePorts.next(), 0, 0,
                workDir, UnaryOperator.identity(), Map.of(), null, false)
                .withProductionJvm().withDatabase(options.database());
        System.err.println("bench: starting the service (" + options.databaseName() + "), the edge and the floor in "
                + workDir);
        Outcome outcome;
        try (Stack stack = Stack.start(repository, stackOptions);
             FloorEdge floor = FloorEdge.start(repository, stack)) {
            // Ctrl-C or SIGTERM stops the service and both Envoys too.
            Thread cleanup = new Thread(() -> {
                floor.close();
                stack.close();
            }, "bench-cleanup");
            Runtime.getRuntime().addShutdownHook(cleanup);
            stack.envoy().shadowRateLimits();
            try (ServiceJvmProbe serviceJvm = ServiceJvmProbe.attach(stack.replicas().get(0).pid())) {
                ObjectNode jvm = serviceJvm.describe();
                jvm.put("flags_files", "service/jvm.options + service/jvm-" + stack.serviceJava().release()
                        + ".options (Java 25's pair is the Docker image's)");
                jvm.put("java_executable", stack.serviceJava().executable().toString());
                // With the bench's first ramp of load still ahead: the cold start alone.
                jvm.put("start_to_healthy_ms", stack.replicas().get(0).startToHealthy().toMillis());
                ObjectNode report = Report.setup(options, jvm, started.toString(), loadAverage);
                outcome = run(repository, stack, floor, options, report, serviceJvm);
            }
            System.out.println(outcome.json());
            writeResults(options, started, outcome.json(), outcome.results());
        }
        if (!outcome.ok()) {
            System.err.println("bench: FAILED (a balance or event mismatch, a stream event lost, repeated or out of "
                    + "order, or errors in the smoke run); logs kept in " + workDir);
            System.exit(1);
        }
        deleteRecursively(workDir);
    }

    /** Whether the run passed (balances consistent; in the smoke run, no error either), and what it measured. */
    private record Outcome(boolean ok, List<ScenarioResult> results, String json) {
    }

    private static Outcome run(Repository repository, Stack stack, FloorEdge floor, BenchOptions options, ObjectNode report,
                               ServiceJvmProbe serviceJvm) throws Exception {
        String bearer = bearer(stack);
        var direct = NettyChannelBuilder.forAddress("127.0.0.1", stack.replicas().get(0).grpcPort())
                .usePlaintext().build();
        Map<Target, PaygateClient> clients = new EnumMap<>(Target.class);
        clients.put(Target.GRPC_DIRECT, new GrpcClient(direct, bearer));
        clients.put(Target.GRPC_EDGE, new GrpcClient(
                EdgeTls.channel(stack.envoyPort(), stack.credentials().caCertificate()), bearer));
        clients.put(Target.REST_EDGE, new RestClient(stack.envoyPort(), stack.credentials().caCertificate(), bearer));
        clients.put(Target.GRPC_FLOOR, new GrpcClient(
                EdgeTls.channel(floor.port, stack.credentials().caCertificate()), bearer));
        clients.put(Target.REST_FLOOR, new RestClient(floor.port, stack.credentials().caCertificate(), bearer));
        DatabaseSampler database = DatabaseSampler.connect(stack.databaseUrl());
        try {
            RunAccounts accounts = RunAccounts.create(direct, stack.credentials().signingKey(), bearer,
                    SPREAD_ACCOUNTS, options.smoke() ? 500 : 5000);
            Ledger ledger = new Ledger();
            List<ScenarioResult> results = new ArrayList<>();
            List<Scenario> plan = new ArrayList<>(options.smoke() ? Plan.smoke() : Plan.full());
            long servicePid = stack.replicas().get(0).pid();
            // The JIT compiles the service's, Envoy's and the driver's hot paths before anything is
            // measured, so the first scenarios are not penalised for running first. With no scenario
            // selected (--only startup or streams), only the driver's direct writes need it.
            boolean scenarios = plan.stream().anyMatch(options::selects) || options.history() > 0;
            for (Scenario warmup : scenarios ? Plan.warmup() : Plan.driverWarmup()) {
                PaygateClient client = clients.get(warmup.target());
                LoadDriver.run(warmup.shape(), warmup.operation().bind(client, accounts, ledger),
                        Measurement.nanos(options.openingWarmupSeconds()), client.maxInFlight());
            }
            if (options.history() > 0) {
                report.set("history", HistoryLoad.load(clients.get(Target.GRPC_DIRECT), accounts, ledger, options.history()));
                plan.addAll(Plan.history());
            }
            plan.removeIf(scenario -> !options.selects(scenario));
            Measurement measurement = new Measurement(options, serviceJvm, servicePid, database);
            for (Scenario scenario : plan) {
                long envoyPid = switch (scenario.target().edge) {
                    case NONE -> -1;
                    case FULL -> stack.envoy().pid();
                    case FLOOR -> floor.envoy.pid();
                };
                PaygateClient client = clients.get(scenario.target());
                ScenarioResult result = measurement.measure(scenario,
                        scenario.operation().bind(client, accounts, ledger), client.maxInFlight(), envoyPid);
                results.add(result);
                System.err.printf(java.util.Locale.ROOT,
                        "bench: %-60s %8.0f/s p50 %7.2f p99 %8.2f ms %7.1f KB/call errors %s%n",
                        scenario.name(), result.throughput(), result.latency().millis(0.5),
                        result.latency().millis(0.99), result.allocatedBytesPerRequest() / 1000, result.errors());
            }
            StreamFanout fanout = null;
            ObjectNode streams = null;
            if (options.selects(StreamFanout.NAME)) {
                int count = options.smoke() ? SMOKE_STREAMS : STREAMS;
                System.err.println("bench: " + count + " WatchAuthorizationEvents streams, one identity and account each");
                fanout = StreamFanout.prepare(direct, stack.credentials().signingKey(), count);
                // Idle windows of 5 s: PostgreSQL publishes its transaction counts about once a second.
                streams = fanout.measure(serviceJvm, servicePid, database,
                        options.smoke() ? SMOKE_STREAM_RATES : STREAM_RATES, options.smoke() ? 1 : 5,
                        options.warmupSeconds(), options.measureSeconds());
                report.set("streams", streams);
            }
            List<ReplicaStart> startups = List.of();
            if (options.selects(StartupProbe.NAME)) {
                StartupProbe.Result startup = StartupProbe.beside(stack, repository,
                        client -> Operation.CREATE_SPREAD.bind(client, accounts, ledger), bearer, options.smoke()).measure();
                report.set("startup", startup.json());
                startups = startup.runs();
            }
            report.set("scenarios", Report.scenarios(results, Runtime.getRuntime().availableProcessors()));
            Report.ratios(report, results);
            Report.writeCeilings(report, results);
            Report.budgets(report, results, startups, options.database(), options.history());
            List<String> mismatches = ledger.mismatches(accounts.readBack(ledger.accounts()), Operation.UNITS);
            ObjectNode balance = report.putObject("balance");
            balance.put("approved", ledger.approvedCount());
            balance.put("ambiguous_writes", ledger.ambiguousCount());
            balance.put("accounts_checked", ledger.accounts().size());
            balance.put("consistent", mismatches.isEmpty());
            ArrayNode listed = balance.putArray("mismatches");
            mismatches.stream().limit(20).forEach(listed::add);
            // Every account the run wrote to, with its owner's token: the bench's own and the streams'.
            Map<String, String> owners = new java.util.LinkedHashMap<>();
            ledger.accounts().forEach(account -> owners.put(account, bearer));
            if (fanout != null) {
                owners.putAll(fanout.bearerByAccount());
            }
            EventLedger.Result events = EventLedger.check(direct, owners);
            balance.put("event_accounts_checked", events.accounts());
            balance.put("events_read", events.events());
            balance.put("events_consistent", events.mismatches().isEmpty());
            ArrayNode eventMismatches = balance.putArray("event_mismatches");
            events.mismatches().stream().limit(20).forEach(eventMismatches::add);
            boolean streamsOk = streams == null || streams.path("ok").asBoolean();
            boolean consistent = mismatches.isEmpty() && events.mismatches().isEmpty() && streamsOk;
            long errors = results.stream().mapToLong(ScenarioResult::errorCount).sum()
                    + (options.smoke() ? streamWriteErrors(streams) : 0)
                    + startups.stream().mapToLong(run -> run.errors().values().stream().mapToLong(Long::longValue).sum()).sum();
            report.put("errors", errors);
            report.put("load_average_1m_at_end", loadAverage()[0]);
            report.put("ok", errors == 0 && consistent);
            // The full plan offers more than one replica serves (writes at up to 2,000/s, capture and
            // void pairs at 500/s): what happens there (refusals, missed deadlines, Envoy aborting a
            // connection on which half the streams were reset early) is a result, reported per scenario.
            // A balance mismatch fails any run; any error fails the smoke run, which stays far below.
            List<String> missing = options.smoke() ? ReportCheck.missingFields(report) : List.of();
            missing.forEach(field -> System.err.println("bench: the report lacks " + field));
            boolean passed = consistent && (!options.smoke() || errors == 0) && missing.isEmpty();
            String json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report);
            return new Outcome(passed, results, json);
        } finally {
            clients.values().forEach(PaygateClient::close);
            database.close();
        }
    }

    /**
     * The streams scenario's write errors. The full run raises the rate until writes fall behind,
     * so there they are a result; the smoke run's one low rate must have none, like any scenario.
     */
    private static long streamWriteErrors(JsonNode streams) {
        long errors = 0;
        if (streams != null) {
            for (JsonNode step : streams.path("steps")) {
                errors += step.path("write_errors").asLong();
            }
        }
        return errors;
    }

    private static void writeResults(BenchOptions options, Instant started, String json, List<ScenarioResult> results)
            throws IOException {
        Files.createDirectories(options.resultsDir());
        String stem = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss'Z'").withZone(ZoneOffset.UTC).format(started)
                + (options.smoke() ? "-short" : "") + (options.partial() ? "-only" : "") + "-" + options.databaseName();
        Path base = options.resultsDir().resolve(stem);
        Files.writeString(Path.of(base + ".json"), json + "\n");
        String title = "Paygate bench " + started + " (" + options.databaseName() + ", "
                + (options.smoke() ? "short" : "full") + " run"
                + (options.partial() ? ", only " + options.only().pattern() : "") + ")";
        Files.writeString(Path.of(base + ".md"),
                MarkdownTable.render(title, results, Runtime.getRuntime().availableProcessors()));
        LatencyChart.write(results, List.of(Operation.READ, Operation.CREATE_SPREAD), "Paygate",
                Path.of(base + ".png"));
        System.err.println("bench: wrote " + base + ".json, .md and .png");
    }

    private static String bearer(Stack stack) {
        return "Bearer " + stack.credentials().signingKey().sign(
                DevSigningKey.claims(TokenPolicy.DEVELOPMENT, RunAccounts.SUBJECT, TokenPolicy.ALL_SCOPES,
                        Duration.ofHours(2)).build());
    }

    private static double[] loadAverage() {
        return new double[] {ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()};
    }

    private static void deleteRecursively(Path directory) throws IOException {
        try (var paths = Files.walk(directory)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
