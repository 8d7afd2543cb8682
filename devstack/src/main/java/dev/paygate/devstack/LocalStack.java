package dev.paygate.devstack;

import dev.paygate.edge.Repository;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./paygate run}: Envoy on 8443 (TLS; admin 127.0.0.1:9901) in front of the service (gRPC
 * 127.0.0.1:50051, management 127.0.0.1:8081), until Ctrl-C. {@code --replicas N} starts N services
 * on consecutive ports. The replicas share one embedded PostgreSQL, durable (fsync and
 * synchronous_commit on), its data kept in .run/postgres across runs. Ports come from PAYGATE_ENVOY_PORT,
 * PAYGATE_ENVOY_ADMIN_PORT, PAYGATE_ENVOY_STATS_PORT,
 * PAYGATE_GRPC_PORT and PAYGATE_MANAGEMENT_PORT. The local CA, the edge's
 * certificate and the development signing key live in .run/ (made on first run, never committed).
 * {@code --canary N} adds N replicas in the edge's canary cluster (weight 0 until ./paygate edge canary).
 * {@code --traces} also starts an OpenTelemetry Collector that the edge and the replicas send their
 * spans to; it writes them to .run/spans.json. Without it the trace ids still reach every log line.
 * {@code --edges N} (N >= 2) starts N Envoys in front of the same replicas under one budget
 * ({@link MultiEdgeStack}), on the ports {@link EdgePorts#numbered} gives; ./paygate edge acts on
 * all of them, and its shadow|enforce switch the rate-limit service's budgets too.
 * On Java 25 the replicas use the service's AOT cache in .run/aot ({@link AotCache}).
 * {@code ./paygate scale N} changes the number of stable replicas while it runs ({@link ScaleRequests}):
 * Envoy reads them from watched files ({@link EndpointFiles}), no restart. Restarting a process
 * that died ({@link Stack#supervise}, {@link MultiEdgeStack#supervise}) is a development convenience; production supervision is the
 * platform's (Kubernetes, compose's restart policy).
 */
@Command(name = "./paygate run", sortOptions = false, sortSynopsis = false, usageHelpWidth = 100,
        description = "Start Envoy (TLS on :8443, admin 127.0.0.1:9901) in front of the service (gRPC "
                + "127.0.0.1:50051, metrics 127.0.0.1:8081) on an embedded PostgreSQL kept in .run/postgres, "
                + "until Ctrl-C. ./paygate scale N changes the number of replicas while it runs. A replica or Envoy "
                + "that dies (with --edges, the rate-limit service or Redis too) is started again: a development "
                + "convenience; in production the platform supervises (Kubernetes, compose's restart policy).")
public final class LocalStack implements Callable<Integer> {

    @Option(names = "--replicas", paramLabel = "N", defaultValue = "1",
            description = "Service replicas, on consecutive ports, sharing the database (default: ${DEFAULT-VALUE}); "
                    + "./paygate scale N changes it while the stack runs.")
    private int replicas;

    @Option(names = "--canary", paramLabel = "N", defaultValue = "0",
            description = "Also N replicas in the edge's canary cluster, on the next ports; they get traffic only "
                    + "once ./paygate edge canary PERCENT sets a weight (default: ${DEFAULT-VALUE}).")
    private int canary;

    @Option(names = "--edges", paramLabel = "N", defaultValue = "1",
            description = "Envoys in front of the replicas (default: ${DEFAULT-VALUE}). From 2, also the rate-limit "
                    + "service and Redis, which every Envoy asks: one budget across them, not one per Envoy. Envoy i "
                    + "(from 0) listens on 8443+i, admin 127.0.0.1:9901+10i, stats 127.0.0.1:9902+10i.")
    private int edges;

    @Option(names = "--mtls", description = "The edge also requires a client certificate (.run/tls/client.pem).")
    private boolean mutualTls;

    @Option(names = "--traces", description = "Also start an OpenTelemetry Collector that receives the edge's "
            + "and the service's spans and writes them to .run/spans.json.")
    private boolean traces;

    @Mixin
    private CommandLines commandLine;

    public static void main(String[] args) {
        CommandLines.exit(new LocalStack(), args);
    }

    @Override
    public Integer call() throws InterruptedException {
        if (replicas < 1) {
            throw commandLine.refuse("--replicas must be at least 1");
        }
        if (canary < 0) {
            throw commandLine.refuse("--canary must be 0 or more");
        }
        if (edges < 1) {
            throw commandLine.refuse("--edges must be at least 1");
        }
        List<EdgePorts> edgePorts = EdgePorts.numbered(new EdgePorts(port("PAYGATE_ENVOY_PORT", 8443),
                port("PAYGATE_ENVOY_ADMIN_PORT", 9901), port("PAYGATE_ENVOY_STATS_PORT", 9902)), edges);
        List<Integer> taken = edgePorts.stream().flatMap(edge -> edge.all().stream()).toList();
        if (new HashSet<>(taken).size() < taken.size() || Collections.max(taken) > 65535) {
            EdgePorts last = edgePorts.get(edges - 1);
            throw commandLine.refuse("--edges " + edges + ": the Envoys' ports clash or pass 65535 (the last one's would be "
                    + last.port() + ", admin " + last.adminPort() + ", stats " + last.statsPort() + "); start fewer, or set "
                    + "PAYGATE_ENVOY_PORT, PAYGATE_ENVOY_ADMIN_PORT and PAYGATE_ENVOY_STATS_PORT further apart");
        }
        Repository repository = Repository.locate();
        EdgePorts first = edgePorts.get(0);
        Stack.Options options = new Stack.Options(replicas, first.port(), first.adminPort(), first.statsPort(),
                port("PAYGATE_GRPC_PORT", 50051), port("PAYGATE_MANAGEMENT_PORT", 8081),
                repository.root().resolve(".run"), UnaryOperator.identity(),
                // The production JVM flags (service/jvm.options, as in the Docker image) set the heap; on
                // Java 25 the AOT cache in .run/aot (trained by the first run of a build) shortens each start.
                Map.of("PAYGATE_REFLECTION", "true"), null, mutualTls).withProductionJvmAndAotCache().withKeptDatabase()
                .withCanary(canary);
        LocalCollector collector = traces ? LocalCollector.start(repository.otelCollector(), options.workDir()) : null;
        if (collector != null) {
            options = options.withTracesTo(collector);
        }
        System.out.println(edges == 1 ? "starting " + replicas + " service replica(s) and envoy ..."
                : "starting the rate-limit service and Redis, " + replicas + " service replica(s) and " + edges
                        + " envoys ...");
        MultiEdgeStack multiEdge = edges == 1 ? null
                : MultiEdgeStack.start(repository, options, edgePorts.subList(1, edges));
        Stack stack = multiEdge == null ? Stack.start(repository, options) : multiEdge.stack();
        System.out.println("service replicas run on " + stack.serviceJava().executable()
                + " (Java " + stack.serviceJava().release() + ", service/jvm.options + service/jvm-"
                + stack.serviceJava().release() + ".options)");
        // A development convenience: in production the platform restarts processes (Kubernetes,
        // compose's restart policy), not this launcher.
        if (multiEdge != null) {
            multiEdge.supervise(java.time.Duration.ofSeconds(1));
        } else {
            stack.supervise(java.time.Duration.ofSeconds(1));
        }
        ScaleRequests scaleRequests = ScaleRequests.serve(stack, options.workDir());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("\nstopping envoy and the service ...");
            scaleRequests.close();
            if (multiEdge != null) {
                multiEdge.close();
            } else {
                stack.close();
            }
            if (collector != null) {
                collector.close();
            }
            stopped.countDown();
        }));
        printEndpoints(stack, multiEdge, repository.root().resolve(".run"));
        if (collector != null) {
            System.out.println("Traces: the collector on 127.0.0.1:" + collector.port() + " writes every span to "
                    + collector.spansFile() + " (OTLP JSON, one batch a line).");
        }
        stopped.await();
        return 0;
    }

    private static void printEndpoints(Stack stack, MultiEdgeStack multiEdge, Path workDir) {
        int port = stack.envoyPort();
        Path root = workDir.getParent();
        String ca = root.relativize(stack.credentials().caCertificate()).toString();
        StringBuilder text = new StringBuilder();
        text.append("\nPaygate is up.\n");
        List<EdgePorts> edges = stack.edges();
        for (int i = 0; i < edges.size(); i++) {
            String envoy = edges.size() == 1 ? "Envoy" : "Envoy " + (i + 1);
            text.append(label("REST and gRPC (" + envoy + ", TLS):")).append("https://localhost:")
                    .append(edges.get(i).port()).append("   (trust ").append(ca).append(")\n");
            text.append(label(envoy + " admin:")).append("http://127.0.0.1:").append(edges.get(i).adminPort()).append('\n');
            text.append(label(envoy + " stats (Prometheus):")).append("http://127.0.0.1:")
                    .append(edges.get(i).statsPort()).append("/stats/prometheus\n");
        }
        if (multiEdge != null) {
            LocalRateLimit limit = multiEdge.rateLimit();
            text.append(label("global rate limit:")).append("ratelimit gRPC 127.0.0.1:").append(limit.grpcPort())
                    .append(", its Redis 127.0.0.1:").append(limit.redisPort()).append(" (logs: ratelimit.log, redis.log)\n");
        }
        for (ServiceProcess replica : stack.replicas()) {
            text.append("  service gRPC:                127.0.0.1:").append(replica.grpcPort())
                    .append("   metrics: http://127.0.0.1:").append(replica.managementPort()).append("/prometheus\n");
        }
        text.append("  database:                    ").append(stack.databaseUrl()).append('\n');
        text.append("  logs, keys, certificates:    ").append(workDir).append('\n');
        if (stack.mutualTls()) {
            text.append("\nmTLS: the edge refuses clients without a certificate from the local CA; add\n")
                    .append("  --cert .run/tls/client.pem --key .run/tls/client.key (curl) or\n")
                    .append("  -cert .run/tls/client.pem -key .run/tls/client.key (grpcurl) to the commands below.\n");
        }
        text.append("\nTry (every call needs a token; ./paygate token prints one):\n");
        text.append("  TOKEN=$(./paygate token)\n");
        text.append("  curl -s --cacert ").append(ca).append(" -H \"authorization: Bearer $TOKEN\" \\\n")
                .append("    -X POST https://localhost:").append(port)
                .append("/v1/accounts -H 'content-type: application/json' \\\n")
                .append("    -d '{\"currencyCode\":\"EUR\",\"creditLimit\":{\"currencyCode\":\"EUR\",\"units\":\"500\"}}'\n");
        text.append("  grpcurl -cacert ").append(ca).append(" -H \"authorization: Bearer $TOKEN\" \\\n")
                .append("    -protoset proto/target/descriptor/paygate.pb \\\n")
                .append("    -d '{\"account\":{\"currency_code\":\"EUR\",\"credit_limit\":{\"currency_code\":\"EUR\",\"units\":500}}}' \\\n")
                .append("    localhost:").append(port).append(" paygate.v1.AccountService/CreateAccount\n");
        if (multiEdge != null) {
            text.append("\nAny Envoy's port takes the same calls. ./paygate edge acts on every Envoy (--edge N: Envoy N\n")
                    .append("  alone); shadow and enforce switch the global layer's budgets too.\n");
        }
        text.append("\nMore or fewer service replicas while it runs: ./paygate scale N (in another terminal).\n");
        text.append("\nCtrl-C stops everything.\n");
        System.out.println(text);
    }

    /** A line's label, in the column the endpoints' labels share. */
    private static String label(String text) {
        return String.format("  %-29s", text + " ");
    }

    private static int port(String variable, int fallback) {
        String value = System.getenv(variable);
        return value == null || value.isBlank() ? fallback : Integer.parseInt(value.trim());
    }
}
