package dev.paygate.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.paygate.devstack.Database;
import java.util.List;
import java.util.Optional;

/** The run's JSON document: setup, per-scenario figures, ratios between paths, budgets, balance. */
final class Report {

    private static final LoadShape CLOSED_16 = new LoadShape.Closed(16);
    private static final LoadShape OPEN_500 = new LoadShape.Open(500);

    private Report() {
    }

    /** The fixed part: what ran, on what, measured by what. */
    static ObjectNode setup(BenchOptions options, ObjectNode serviceJvm, String startedAt, double[] loadAverage) {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("benchmark", "paygate");
        root.put("started_at", startedAt);
        root.put("mode", options.smoke() ? "short" : "full");
        root.put("cores", Runtime.getRuntime().availableProcessors());
        root.put("load_average_1m_at_start", loadAverage[0]);
        root.put("warmup_seconds_per_scenario", options.warmupSeconds());
        root.put("measured_seconds_per_scenario", options.measureSeconds());
        if (options.partial()) {
            root.put("only", options.only().pattern());
        }
        ObjectNode database = root.putObject("database");
        database.put("kind", options.databaseName());
        database.put("durable", switch (options.database()) {
            case POSTGRES -> "no: embedded PostgreSQL with fsync=off and synchronous_commit=off";
            case POSTGRES_DURABLE -> "yes: embedded PostgreSQL with fsync=on and synchronous_commit=on";
        });
        serviceJvm.put("measured", "from the bench through the Attach API and JMX, no flag in the service: allocation "
                + "= ThreadMXBean.getThreadAllocatedBytes summed over the service's threads across the window (its "
                + "background work included; threads ended in the window are missed and counted in threads_ended); "
                + "pauses = JFR jdk.GCPhasePause events (every stop-the-world pause of any collector) and "
                + "jdk.ZAllocationStall, streamed over JMX");
        root.set("service_jvm", serviceJvm);
        root.put("load_generator", "the Java driver in the bench JVM (this process): grpc-java 1 HTTP/2 channel per "
                + "path, Netty's HTTP/2 client over TLS for REST (one h2 connection per edge, a stream per call, one "
                + "event-loop thread, the same Netty and JDK TLS provider as grpc-java; at most 100 calls outstanding: "
                + "Envoy's max_concurrent_streams); closed loop = N threads each awaiting its reply; "
                + "open loop = one sender on a fixed schedule, latency from each call's intended send time");
        root.put("floor", "envoy.yaml reduced to grpc_json_transcoder + router (FloorEdge#transcoderAndRouterOnly): "
                + "same TLS listener, connection manager, access log and routes; no jwt_authn, rate limits, buffer, "
                + "strict-JSON Lua or header mutation; a second Envoy process on its own ports");
        root.put("rate_limits", "shadow mode on the full edge (identity buckets and per-address floor): counted, not refused");
        root.put("latency", "every completed call, errors included; percentiles from an HdrHistogram of every "
                + "sample (3 significant digits)");
        root.put("cpu", "per scenario, CPU seconds per 1,000 completed calls over the measured window (/proc utime + "
                + "stime): envoy (the path's, null on grpc_direct), service, load_generator (this JVM), database (the "
                + "postmaster and its children; one that ends within the window is missed), all_processes (their sum); cpu_ceiling_rps = "
                + "cores / (all_processes / 1000): the rate if the cores did nothing else");
        root.put("database_counts", "per scenario, per completed call: transactions_per_request = xact_commit + "
                + "xact_rollback of pg_stat_database (each backend publishes about once a second, so a window's ends "
                + "can be off by up to a second of transactions), write_transactions_per_request = transaction IDs "
                + "handed out (pg_current_snapshot's xmax). Statements are not counted: pg_stat_statements needs "
                + "shared_preload_libraries, a server restart");
        return root;
    }

    /** Per scenario; {@code cores} (the machine's) divided by the CPU per call gives {@code cpu_ceiling_rps}. */
    static ArrayNode scenarios(List<ScenarioResult> results, int cores) {
        ArrayNode scenarios = JsonNodeFactory.instance.arrayNode();
        for (ScenarioResult r : results) {
            ObjectNode entry = scenarios.addObject();
            entry.put("scenario", r.scenario().name());
            entry.put("path", r.scenario().target().key);
            entry.put("operation", r.scenario().operation().key);
            entry.put("shape", r.scenario().shape().key());
            if (r.offeredRate() > 0) {
                entry.put("offered_rps", r.offeredRate());
                entry.put("achieved_rps", round(r.completed() / r.seconds()));
            }
            entry.put("sent", r.sent());
            entry.put("requests", r.completed());
            entry.put("ok", r.ok());
            entry.put("throughput_rps", round(r.throughput()));
            ObjectNode errors = entry.putObject("errors");
            r.errors().forEach(errors::put);
            ObjectNode latency = entry.putObject("latency_ms");
            latency.put("p50", round(r.latency().millis(0.50)));
            latency.put("p90", round(r.latency().millis(0.90)));
            latency.put("p99", round(r.latency().millis(0.99)));
            latency.put("p99_9", round(r.latency().millis(0.999)));
            latency.put("max", round(r.latency().millis(1.0)));
            ObjectNode cpu = entry.putObject("cpu_seconds_per_1000_requests");
            if (r.envoyCpuPer1000() >= 0) {
                cpu.put("envoy", round(r.envoyCpuPer1000()));
            } else {
                cpu.putNull("envoy");
            }
            cpu.put("service", round(r.serviceCpuPer1000()));
            cpu.put("load_generator", round(r.generatorCpuPer1000()));
            cpu.put("database", round(r.databaseCpuPer1000()));
            cpu.put("all_processes", round(r.allProcessesCpuPer1000()));
            r.cpuCeilingPerSecond(cores).ifPresentOrElse(ceiling -> entry.put("cpu_ceiling_rps", Math.round(ceiling)),
                    () -> entry.putNull("cpu_ceiling_rps"));
            ObjectNode database = entry.putObject("database");
            database.put("transactions_per_request", round(r.databaseTransactionsPerRequest()));
            database.put("write_transactions_per_request", round(r.databaseWriteTransactionsPerRequest()));
            serviceJvm(entry.putObject("service_jvm"), r);
            ObjectNode rss = entry.putObject("peak_rss_mib");
            rss.put("service", r.servicePeakRssMib());
            if (r.envoyPeakRssMib() >= 0) {
                rss.put("envoy", r.envoyPeakRssMib());
            } else {
                rss.putNull("envoy");
            }
        }
        return scenarios;
    }

    private static void serviceJvm(ObjectNode entry, ScenarioResult r) {
        entry.put("allocated_bytes_per_request", Math.round(r.allocatedBytesPerRequest()));
        entry.put("allocated_mib", round(r.jvm().allocation().bytes() / 1048576.0));
        entry.put("threads_ended", r.jvm().allocation().threadsEnded());
        GcPauses.Summary pauses = r.jvm().pauses();
        ObjectNode gc = entry.putObject("gc_pauses");
        gc.put("count", pauses.pauses());
        gc.put("max_ms", round3(pauses.maxPauseMs()));
        gc.put("total_ms", round3(pauses.totalPauseMs()));
        ObjectNode stalls = entry.putObject("allocation_stalls");
        stalls.put("count", pauses.stalls());
        stalls.put("max_ms", round3(pauses.maxStallMs()));
    }

    /**
     * Throughput ratios (reads, closed loop 16 clients) and the edge's added latency (reads at
     * 500/s). A run without those shapes (--short) compares its smallest closed loop and lowest
     * rate instead and says so in "basis"; budgets are judged only on the shapes.
     */
    static void ratios(ObjectNode root, List<ScenarioResult> results) {
        Comparisons run = new Comparisons(results);
        LoadShape closed = basis(results, CLOSED_16, LoadShape.Closed.class);
        LoadShape open = basis(results, OPEN_500, LoadShape.Open.class);
        ObjectNode ratios = root.putObject("ratios");
        ratios.put("basis", "reads (GetAccount), " + closed.key() + ", same run");
        put(ratios, "rest_vs_direct_read_throughput",
                run.throughputRatio(Target.REST_EDGE, Target.GRPC_DIRECT, Operation.READ, closed));
        put(ratios, "grpc_edge_vs_direct_read_throughput",
                run.throughputRatio(Target.GRPC_EDGE, Target.GRPC_DIRECT, Operation.READ, closed));
        put(ratios, "rest_vs_floor_read_throughput",
                run.throughputRatio(Target.REST_EDGE, Target.REST_FLOOR, Operation.READ, closed));
        put(ratios, "grpc_vs_floor_read_throughput",
                run.throughputRatio(Target.GRPC_EDGE, Target.GRPC_FLOOR, Operation.READ, closed));
        ObjectNode added = root.putObject("edge_added_latency_ms");
        added.put("basis", "reads, " + open.key() + ", full edge minus direct gRPC");
        for (Target target : List.of(Target.REST_EDGE, Target.GRPC_EDGE)) {
            ObjectNode path = added.putObject(target.rest ? "rest" : "grpc");
            put(path, "p50", run.addedLatency(target, Target.GRPC_DIRECT, Operation.READ, open, 0.50));
            put(path, "p99", run.addedLatency(target, Target.GRPC_DIRECT, Operation.READ, open, 0.99));
        }
    }

    /** The preferred read shape if the run measured it, else the run's first read shape of that kind. */
    private static LoadShape basis(List<ScenarioResult> results, LoadShape preferred, Class<? extends LoadShape> kind) {
        List<LoadShape> measured = results.stream().filter(r -> r.scenario().operation() == Operation.READ)
                .map(r -> r.scenario().shape()).filter(kind::isInstance).toList();
        return measured.contains(preferred) || measured.isEmpty() ? preferred : measured.get(0);
    }

    /**
     * For keyed writes over 100 accounts, per path: the highest offered rate measured at which
     * p99 stayed within 10 ms with no errors (only the plan's rates are tried, so this is a lower
     * bound on the true figure), and the hot account's closed-loop ceiling.
     */
    static void writeCeilings(ObjectNode root, List<ScenarioResult> results) {
        ObjectNode ceilings = root.putObject("keyed_writes");
        ceilings.put("basis", "highest measured open-loop rate with p99 <= 10 ms and no errors; "
                + "hot account = best closed-loop throughput on one account");
        for (Target target : Target.values()) {
            List<ScenarioResult> spread = results.stream().filter(r -> r.scenario().target() == target
                    && r.scenario().operation() == Operation.CREATE_SPREAD).toList();
            List<ScenarioResult> hot = results.stream().filter(r -> r.scenario().target() == target
                    && r.scenario().operation() == Operation.CREATE_HOT && r.offeredRate() == 0).toList();
            if (spread.isEmpty() && hot.isEmpty()) {
                continue;
            }
            ObjectNode path = ceilings.putObject(target.key);
            spread.stream().filter(r -> r.offeredRate() > 0 && r.errorCount() == 0 && r.latency().millis(0.99) <= 10)
                    .mapToInt(ScenarioResult::offeredRate).max()
                    .ifPresentOrElse(rate -> path.put("highest_rate_p99_within_10ms", rate),
                            () -> path.putNull("highest_rate_p99_within_10ms"));
            hot.stream().mapToDouble(ScenarioResult::throughput).max()
                    .ifPresentOrElse(best -> path.put("hot_account_ceiling_rps", round(best)),
                            () -> path.putNull("hot_account_ceiling_rps"));
        }
    }

    static void budgets(ObjectNode root, List<ScenarioResult> results, List<ReplicaStart> startups, Database database,
                        int history) {
        root.set("budgets", Budgets.judge(results, startups, database, history));
    }

    private static void put(ObjectNode node, String name, Optional<Double> value) {
        if (value.isPresent()) {
            node.put(name, Math.round(value.get() * 1000) / 1000.0);
        } else {
            node.putNull(name);
        }
    }

    static double round(double value) {
        return Math.round(value * 100) / 100.0;
    }

    static double round3(double value) {
        return Math.round(value * 1000) / 1000.0;
    }
}
