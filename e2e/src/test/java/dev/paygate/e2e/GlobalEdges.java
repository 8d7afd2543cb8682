package dev.paygate.e2e;

import dev.paygate.devstack.EdgePorts;
import dev.paygate.devstack.LocalRateLimit;
import dev.paygate.devstack.MultiEdgeStack;
import dev.paygate.devstack.TestStacks;
import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.EnvoyProcess;
import dev.paygate.edge.Http;
import dev.paygate.edge.Repository;
import dev.paygate.edge.generate.GlobalRateLimitEdge;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Envoys with the global rate-limit layer and the one rate-limit service (on its Redis) they all
 * call, for a test class: a JUnit extension ({@code @RegisterExtension static final}) that starts
 * them before the class's {@code @BeforeAll} methods and closes them, clients and Envoys first,
 * after its {@code @AfterAll} ones. Either {@code ./paygate run --edges 2}'s stack (one stack, two
 * Envoys, {@link #multiEdge}) or separate one-replica stacks, each with its own Envoy
 * ({@link #separateStacks}).
 */
final class GlobalEdges implements BeforeAllCallback, AfterAllCallback {

    private static final Repository REPOSITORY = Repository.locate();
    // The service's Prometheus exporter (statsd_exporter's default mapping, the service's README):
    // ratelimit.service.rate_limit.<domain>.<key1>.<key2>.shadow_mode, per nested descriptor.
    private static final Pattern SHADOWED_WRITES = Pattern.compile("(?m)^ratelimit_service_rate_limit_shadow_mode\\{"
            + "domain=\"paygate\",key1=\"budget_writes\",key2=\"subject\"} (\\S+)$");

    private final Consumer<GlobalEdges> starter;
    private final List<Edge> edges = new ArrayList<>();
    private LocalRateLimit rateLimit;
    // Closed after the edges: the multi-edge stack (with its rate-limit service), or the service alone.
    private AutoCloseable rest;
    private MultiEdgeStack multiEdge;

    private GlobalEdges(Consumer<GlobalEdges> starter) {
        this.starter = starter;
    }

    /**
     * {@code ./paygate run --edges 2}'s stack ({@link MultiEdgeStack}) with one replica, as
     * {@code suite}'s caller through each Envoy; {@code supervise} restarts what exits as run does.
     */
    static GlobalEdges multiEdge(String suite, boolean supervise) {
        return new GlobalEdges(into -> {
            MultiEdgeStack running = MultiEdgeStack.start(REPOSITORY, TestStacks.options(1, workDir(suite)),
                    List.of(EdgePorts.free()));
            into.multiEdge = running;
            into.rateLimit = running.rateLimit();
            into.rest = running;
            if (supervise) {
                running.supervise(Duration.ofMillis(500));
            }
            running.stack().edges().forEach(ports -> into.edges.add(Edge.through(running.stack(), ports.port(), suite)));
        });
    }

    /**
     * {@code count} one-replica stacks ({@code suite-1}, {@code suite-2}, ...) on one rate-limit
     * service, whose budgets and every Envoy's are envoy.yaml's as {@code budgets} changes them.
     */
    static GlobalEdges separateStacks(String suite, int count, UnaryOperator<EnvoyConfig> budgets) {
        return new GlobalEdges(into -> {
            LocalRateLimit limit = LocalRateLimit.start(REPOSITORY, workDir(suite),
                    budgets.apply(EnvoyConfig.load(REPOSITORY.envoyYaml())));
            into.rateLimit = limit;
            into.rest = limit;
            InetSocketAddress service = new InetSocketAddress("127.0.0.1", limit.grpcPort());
            for (int i = 1; i <= count; i++) {
                into.edges.add(Edge.start(suite + "-" + i, options -> options.withEdgeChange(
                        config -> GlobalRateLimitEdge.render(budgets.apply(config), service))));
            }
        });
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        try {
            starter.accept(this);
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    private static Path workDir(String suite) {
        try {
            return Files.createTempDirectory("paygate-e2e-" + suite + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Edge edge(int index) {
        return edges.get(index);
    }

    List<Edge> edges() {
        return edges;
    }

    /** One gRPC writer as {@code subject} through each Envoy, in the order of {@link #edges()}. */
    List<BooleanSupplier> grpcWriters(String subject) {
        return edges.stream().map(edge -> GlobalWriteBudget.grpcWriter(edge, subject)).toList();
    }

    /** One REST writer as {@code subject} through each Envoy, in the order of {@link #edges()}. */
    List<BooleanSupplier> restWriters(String subject) {
        return edges.stream().map(edge -> GlobalWriteBudget.restWriter(edge, subject)).toList();
    }

    /** Every Envoy, in the order of {@link #edges()}. */
    List<EnvoyProcess> envoys() {
        return multiEdge != null ? multiEdge.stack().envoys() : edges.stream().map(edge -> edge.stack().envoy()).toList();
    }

    LocalRateLimit rateLimit() {
        return rateLimit;
    }

    /** The multi-edge stack ({@link #multiEdge} only). */
    MultiEdgeStack multiEdgeStack() {
        if (multiEdge == null) {
            throw new IllegalStateException("separate stacks have no multi-edge stack");
        }
        return multiEdge;
    }

    /** A counter summed over every Envoy. */
    long stat(String name) {
        return envoys().stream().mapToLong(envoy -> envoy.stat(name)).sum();
    }

    /** The service's shadow_mode counter of the writes' budget (0 before its first over-limit hit). */
    double shadowedWrites() {
        Matcher found = SHADOWED_WRITES.matcher(Http.body("GET", rateLimit.metricsUrl()));
        return found.find() ? Double.parseDouble(found.group(1)) : 0;
    }

    private void close() {
        List<AutoCloseable> parts = new ArrayList<>(edges);
        Collections.reverse(parts);
        if (rest != null) {
            parts.add(rest);
        }
        edges.clear();
        rest = null;
        RuntimeException failed = null;
        for (AutoCloseable part : parts) {
            try {
                part.close();
            } catch (Exception e) {
                failed = failed != null ? failed : new IllegalStateException("closing " + part, e);
            }
        }
        if (failed != null) {
            throw failed;
        }
    }
}
