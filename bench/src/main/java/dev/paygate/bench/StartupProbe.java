package dev.paygate.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.paygate.devstack.AotCache;
import dev.paygate.devstack.ServiceJava;
import dev.paygate.devstack.ServiceProcess;
import dev.paygate.devstack.Stack;
import dev.paygate.edge.FreePorts;
import dev.paygate.edge.Repository;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The bench's startup part: a fresh replica process with the production flags, started beside the
 * bench's own on the same (already running) database, timed from its process start to gRPC health
 * SERVING and to its first answered keyed write, then kept under keyed writes from
 * {@value #CLIENTS} closed-loop clients over the run's 100 accounts until the window ends. On Java
 * 25, again with the AOT cache: one start records the training run (what the first replica of
 * {@code ./paygate run} does, {@link AotCache}), the JVM writes the cache as it stops, and a third
 * start maps it. The writes are booked in the run's ledger, so the balance check covers them.
 */
final class StartupProbe {

    static final String NAME = "startup";
    static final int CLIENTS = 16;
    static final String PRODUCTION = "production_flags";
    static final String AOT_TRAINING = "production_flags_aot_training";
    static final String AOT_CACHE = "production_flags_aot_cache";
    private static final int WINDOW_SECONDS = 30;
    private static final int WARM_SECONDS = 10;
    private static final int SMOKE_WINDOW_SECONDS = 8;
    private static final int SMOKE_WARM_SECONDS = 3;
    /** Health is polled this often until SERVING: the figure's resolution. */
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long START_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(60);
    /** A replica stops within its drain delay; a training replica also writes the AOT cache (13 s in one trial). */
    private static final Duration STOP_GRACE = Duration.ofMinutes(3);

    private final Repository repository;
    private final ServiceJava serviceJava;
    private final Map<String, String> environment;
    private final Path workDir;
    private final Function<PaygateClient, Supplier<CompletableFuture<Reply>>> keyedWrite;
    private final String bearer;
    private final boolean smoke;

    /**
     * @param environment the replica's PAYGATE_* settings (database, key set) without its ports
     * @param keyedWrite  a keyed CreateAuthorization over the run's accounts, bound to a client
     */
    StartupProbe(Repository repository, ServiceJava java, Map<String, String> environment, Path workDir,
                 Function<PaygateClient, Supplier<CompletableFuture<Reply>>> keyedWrite, String bearer, boolean smoke) {
        this.repository = repository;
        this.serviceJava = java;
        this.environment = environment;
        this.workDir = workDir;
        this.keyedWrite = keyedWrite;
        this.bearer = bearer;
        this.smoke = smoke;
    }

    /** A probe whose replicas use the stack's database and key set, and log into its work directory. */
    static StartupProbe beside(Stack stack, Repository repository,
                               Function<PaygateClient, Supplier<CompletableFuture<Reply>>> keyedWrite, String bearer,
                               boolean smoke) {
        // What Stack gives its own replicas.
        Map<String, String> environment = Map.of("PAYGATE_DB_URL", stack.databaseUrl(),
                "PAYGATE_JWKS", stack.credentials().signingKey().jwksFile().toAbsolutePath().toString(),
                "PAYGATE_DB_USER", "postgres", "PAYGATE_DB_PASSWORD", "postgres");
        return new StartupProbe(repository, stack.serviceJava(), environment, stack.workDir(), keyedWrite, bearer, smoke);
    }

    /** The report's {@code startup} part; the runs themselves go to the budgets too. */
    record Result(ObjectNode json, List<ReplicaStart> runs) {
    }

    /**
     * Without a cache; then, on Java 25 and not in the smoke run (a training run and the cache's
     * writing take most of a minute), training and with the cache.
     */
    Result measure() throws InterruptedException {
        List<ReplicaStart> runs = new ArrayList<>();
        runs.add(start(PRODUCTION, List.of()));
        Optional<AotCache> cache = AotCache.forService(repository, serviceJava, workDir.resolve("aot"));
        String aot;
        if (smoke) {
            aot = "not measured in --short: a training run and writing the cache take most of a minute";
        } else if (cache.isEmpty()) {
            aot = "not measured: Java " + serviceJava.release() + " has no AOT cache";
        } else {
            runs.add(start(AOT_TRAINING, cache.get().trainArguments()));
            cache.get().adoptTraining();
            if (cache.get().ready()) {
                runs.add(start(AOT_CACHE, cache.get().useArguments()));
                aot = "measured";
            } else {
                aot = "not measured: the training replica wrote no cache (its log: " + log(AOT_TRAINING) + ")";
            }
        }
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        json.put("clients", CLIENTS);
        json.put("java_release", serviceJava.release());
        json.put("window_seconds", window());
        json.put("warm_throughput", runs.get(0).timeline().warmDefinition());
        json.put("aot_cache", aot);
        runs.forEach(run -> json.withArray("runs").add(run.json()));
        return new Result(json, runs);
    }

    private int window() {
        return smoke ? SMOKE_WINDOW_SECONDS : WINDOW_SECONDS;
    }

    private Path log(String configuration) {
        return workDir.resolve("startup-" + configuration + ".log");
    }

    private ReplicaStart start(String configuration, List<String> extraArguments) throws InterruptedException {
        System.err.println("bench: startup, a fresh replica with " + configuration);
        List<String> arguments = new ArrayList<>(serviceJava.productionArguments(repository));
        arguments.addAll(extraArguments);
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        java.time.Instant startedAt = java.time.Instant.now();
        long processStart = System.nanoTime();
        ServiceProcess replica = ServiceProcess.launch(serviceJava, repository.serviceJar(), FreePorts.next(), FreePorts.next(),
                environment, arguments, log(configuration));
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", replica.grpcPort()).usePlaintext().build();
        GrpcClient client = new GrpcClient(channel, bearer);
        try {
            long serving = awaitServing(channel, replica, processStart);
            long rssAtServing = ProcessSampler.rssKib(replica.pid()) / 1024;
            StartupTimeline timeline = new StartupTimeline(processStart, window(),
                    smoke ? SMOKE_WARM_SECONDS : WARM_SECONDS);
            AtomicLong firstWrite = new AtomicLong(Long.MAX_VALUE);
            Supplier<CompletableFuture<Reply>> write = keyedWrite.apply(client);
            Supplier<CompletableFuture<Reply>> timed = () -> write.get().whenComplete((reply, failure) -> {
                if (failure == null && reply.isOk()) {
                    long now = System.nanoTime();
                    timeline.answered(now);
                    firstWrite.accumulateAndGet(now, Math::min);
                }
            });
            long left = processStart + TimeUnit.SECONDS.toNanos(window()) - System.nanoTime();
            LoadDriver.Window load16 = LoadDriver.run(new LoadShape.Closed(CLIENTS), timed, Math.max(left, 0),
                    LoadDriver.MAX_IN_FLIGHT);
            long first = firstWrite.get();
            ReplicaStart run = new ReplicaStart(configuration, startedAt, millis(serving - processStart),
                    first == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(millis(first - processStart)),
                    timeline, rssAtServing, ProcessSampler.peakRssKib(replica.pid()) / 1024,
                    load16.recorder().ok(), load16.recorder().errors(), Report.round(load));
            System.err.println("bench: startup " + run.json());
            return run;
        } finally {
            client.close();
            replica.stop(STOP_GRACE);
        }
    }

    /** Polls gRPC health (service "", what Envoy asks) until SERVING; the nanoTime it answered. */
    private static long awaitServing(ManagedChannel channel, ServiceProcess replica, long processStart) {
        var health = HealthGrpc.newBlockingStub(channel);
        while (true) {
            if (!replica.isAlive()) {
                throw new IllegalStateException("the starting replica exited (log: " + replica.log() + ")");
            }
            if (System.nanoTime() - processStart > START_TIMEOUT_NANOS) {
                throw new IllegalStateException("the starting replica was not SERVING within 60 s (log: "
                        + replica.log() + ")");
            }
            try {
                if (health.withDeadlineAfter(1, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance())
                        .getStatus() == ServingStatus.SERVING) {
                    return System.nanoTime();
                }
            } catch (StatusRuntimeException notYet) {
                // Not listening yet: try again at once rather than after gRPC's reconnect backoff (1 s and growing).
                channel.resetConnectBackoff();
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
