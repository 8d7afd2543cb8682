package dev.paygate.devstack;

import dev.paygate.devstack.credentials.DevCredentials;
import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.EnvoyProcess;
import dev.paygate.edge.FreePorts;
import dev.paygate.edge.Repository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Envoy (or several: {@link #addEdge}) in front of N service replicas, all real processes on
 * loopback, sharing one PostgreSQL (embedded binaries from Maven Central, data in the work
 * directory's {@code postgres/}), as replicas in production share theirs. Envoy speaks TLS with a certificate from a
 * local CA, and Envoy and every replica verify tokens against the development key's JWKS; both
 * are made in the work directory on first use ({@link DevCredentials}).
 */
public final class Stack implements AutoCloseable {

    /**
     * What to start. {@code edgeChanges} change the local rendering further (tests add a fault
     * filter), identity for none. {@code keepDatabase}: the database's files outlive the stack
     * (./paygate run keeps them in .run/ across runs); otherwise they go when it closes.
     */
    public record Options(int replicas, int envoyPort, int adminPort, int statsPort, int firstGrpcPort,
                          int firstManagementPort, Path workDir, UnaryOperator<EnvoyConfig> edgeChanges,
                          Map<String, String> serviceEnvironment, String serviceHeap, boolean mutualTls,
                          ServiceJvm serviceJvm, Database database, boolean keepDatabase,
                          int canaryReplicas, Map<String, String> canaryEnvironment) {

        /** Fast-start service JVMs on a durable database that goes with the stack. */
        public Options(int replicas, int envoyPort, int adminPort, int statsPort, int firstGrpcPort,
                       int firstManagementPort, Path workDir, UnaryOperator<EnvoyConfig> edgeChanges,
                       Map<String, String> serviceEnvironment, String serviceHeap, boolean mutualTls) {
            this(replicas, envoyPort, adminPort, statsPort, firstGrpcPort, firstManagementPort, workDir,
                    edgeChanges, serviceEnvironment, serviceHeap, mutualTls, ServiceJvm.FAST_START,
                    Database.POSTGRES_DURABLE, false, 0, Map.of());
        }

        /** The service's production JVM flags (service/jvm.options) instead of the fast start. */
        public Options withProductionJvm() {
            return new Options(replicas, envoyPort, adminPort, statsPort, firstGrpcPort, firstManagementPort, workDir,
                    edgeChanges, serviceEnvironment, serviceHeap, mutualTls, ServiceJvm.PRODUCTION, database, keepDatabase, canaryReplicas, canaryEnvironment);
        }

        /**
         * The production flags plus, on Java 25, the AOT cache in the work directory's {@code aot/}:
         * trained by the first replica that starts without one, used by every later start.
         */
        public Options withProductionJvmAndAotCache() {
            return new Options(replicas, envoyPort, adminPort, statsPort, firstGrpcPort, firstManagementPort, workDir,
                    edgeChanges, serviceEnvironment, serviceHeap, mutualTls, ServiceJvm.PRODUCTION_WITH_AOT_CACHE, database,
                    keepDatabase, canaryReplicas, canaryEnvironment);
        }

        public Options withDatabase(Database chosen) {
            return new Options(replicas, envoyPort, adminPort, statsPort, firstGrpcPort, firstManagementPort, workDir,
                    edgeChanges, serviceEnvironment, serviceHeap, mutualTls, serviceJvm, chosen, keepDatabase, canaryReplicas, canaryEnvironment);
        }

        public Options withServiceEnvironment(Map<String, String> environment) {
            return new Options(replicas, envoyPort, adminPort, statsPort, firstGrpcPort, firstManagementPort, workDir,
                    edgeChanges, environment, serviceHeap, mutualTls, serviceJvm, database, keepDatabase, canaryReplicas, canaryEnvironment);
        }

        public Options withReplicas(int count) {
            return new Options(count, envoyPort, adminPort, statsPort, firstGrpcPort, firstManagementPort, workDir,
                    edgeChanges, serviceEnvironment, serviceHeap, mutualTls, serviceJvm, database, keepDatabase, canaryReplicas, canaryEnvironment);
        }

        /** The database's files stay in the work directory when the stack closes, for the next run. */
        public Options withKeptDatabase() {
            return new Options(replicas, envoyPort, adminPort, statsPort, firstGrpcPort, firstManagementPort, workDir,
                    edgeChanges, serviceEnvironment, serviceHeap, mutualTls, serviceJvm, database, true, canaryReplicas, canaryEnvironment);
        }

        /** The local rendering changed further by {@code change}, after the changes already set. */
        public Options withEdgeChange(UnaryOperator<EnvoyConfig> change) {
            UnaryOperator<EnvoyConfig> before = edgeChanges;
            return new Options(replicas, envoyPort, adminPort, statsPort, firstGrpcPort, firstManagementPort, workDir,
                    config -> change.apply(before.apply(config)), serviceEnvironment, serviceHeap, mutualTls,
                    serviceJvm, database, keepDatabase, canaryReplicas, canaryEnvironment);
        }

        /**
         * {@code count} more replicas in the edge's canary cluster (the same build locally), after
         * the stable ones; the routes send them nothing until ./paygate edge canary sets a weight.
         */
        public Options withCanary(int count) {
            return new Options(replicas, envoyPort, adminPort, statsPort, firstGrpcPort, firstManagementPort, workDir,
                    edgeChanges, serviceEnvironment, serviceHeap, mutualTls, serviceJvm, database, keepDatabase, count,
                    canaryEnvironment);
        }

        /**
         * The canary replicas' environment on top of {@code serviceEnvironment}: a build that
         * differs, e.g. the fault drill (PAYGATE_FAULT_UNAVAILABLE_RATIO) for the guard's tests.
         */
        public Options withCanaryEnvironment(Map<String, String> environment) {
            return new Options(replicas, envoyPort, adminPort, statsPort, firstGrpcPort, firstManagementPort, workDir,
                    edgeChanges, serviceEnvironment, serviceHeap, mutualTls, serviceJvm, database, keepDatabase,
                    canaryReplicas, environment);
        }

        /** Every replica and the edge send their spans to this collector. */
        public Options withTracesTo(LocalCollector collector) {
            Map<String, String> environment = new HashMap<>(serviceEnvironment);
            environment.putAll(collector.serviceEnvironment());
            return withServiceEnvironment(environment).withEdgeChange(collector.edgeExport());
        }

        /** The edge requires client certificates from the local CA ({@link MutualTlsEdge}). */
        public Options withMutualTls() {
            return new Options(replicas, envoyPort, adminPort, statsPort, firstGrpcPort, firstManagementPort, workDir,
                    edgeChanges, serviceEnvironment, serviceHeap, true, serviceJvm, database, keepDatabase, canaryReplicas, canaryEnvironment);
        }
    }

    private final Options options;
    private final Repository repository;
    private final ServiceJava serviceJava = ServiceJava.find();
    // Replaced by a supervisor thread while callers read it.
    private final List<ServiceProcess> replicas = new java.util.concurrent.CopyOnWriteArrayList<>();
    private java.util.concurrent.ScheduledExecutorService supervisor;
    private DevCredentials credentials;
    private LocalPostgres postgres;
    private Envoys envoys;
    private boolean closed;
    private String databaseUrl;
    // The replica that records the AOT cache's training run, or null for none.
    private ServiceProcess training;
    // Where every Envoy reads the replicas from; the first `stable` replicas are the service cluster's.
    private EndpointFiles endpoints;
    private volatile int stable;
    // Found once: its name hashes the 40 MB jar.
    private java.util.Optional<AotCache> aotCache;

    private Stack(Repository repository, Options options) {
        this.repository = repository;
        this.options = options;
    }

    /** The java the replicas run on. */
    public ServiceJava serviceJava() {
        return serviceJava;
    }

    public static Stack start(Repository repository, Options options) {
        Stack stack = new Stack(repository, options);
        try {
            stack.startAll();
            return stack;
        } catch (RuntimeException | Error e) {
            stack.close();
            throw e;
        }
    }

    private void startAll() {
        try {
            Files.createDirectories(options.workDir());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        credentials = DevCredentials.ensure(options.workDir());
        postgres = LocalPostgres.start(options.workDir().resolve("postgres"), options.database(),
                options.keepDatabase());
        databaseUrl = postgres.jdbcUrl();
        for (int i = 0; i < options.replicas() + options.canaryReplicas(); i++) {
            replicas.add(startReplica(i, i >= options.replicas()));
        }
        stable = options.replicas();
        endpoints = new EndpointFiles(options.workDir().resolve("endpoints"));
        publishEndpoints();
        envoys = new Envoys(repository, options, credentials);
        addEdge(new EdgePorts(options.envoyPort(), options.adminPort(), options.statsPort()));
    }

    /**
     * Starts one more Envoy on {@code ports}, rendered as the first one, in front of the same
     * replicas; the supervisor restarts it too. For a stack's start ({@link Envoys#add}).
     */
    public synchronized EnvoyProcess addEdge(EdgePorts ports) {
        return envoys.add(ports, endpoints, stable, replicas.size() - stable);
    }

    /** Writes the replicas every Envoy reads: the stable ones, then the canary ones. */
    private void publishEndpoints() {
        endpoints.publish(EnvoyConfig.SERVICE_CLUSTER, addresses(replicas.subList(0, stable)));
        endpoints.publish(EnvoyConfig.CANARY_CLUSTER, addresses(replicas.subList(stable, replicas.size())));
    }

    private static List<InetSocketAddress> addresses(List<ServiceProcess> processes) {
        return processes.stream().map(Stack::address).toList();
    }

    private static InetSocketAddress address(ServiceProcess replica) {
        return new InetSocketAddress("127.0.0.1", replica.grpcPort());
    }

    /**
     * Changes the number of stable replicas to {@code count} while the edge serves. A new replica
     * joins only once it answers SERVING on gRPC health, and every Envoy has health-checked it
     * before the next step; Envoy's slow start (envoy.yaml) then ramps its share up. A leaving
     * replica (the newest) leaves every Envoy's rotation first, so it gets no new calls, and is
     * stopped after: SIGTERM, on which it reports NOT_SERVING and lets in-flight calls finish.
     */
    public synchronized void scaleTo(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("at least 1 replica, not " + count);
        }
        while (stable < count) {
            ServiceProcess added = startReplica(freeSlot(), false);
            replicas.add(stable, added);
            added.awaitServing(java.time.Duration.ofSeconds(30));
            stable++;
            publishEndpoints();
            envoys.awaitHealthy(EnvoyConfig.SERVICE_CLUSTER, address(added), java.time.Duration.ofSeconds(30));
        }
        while (stable > count) {
            ServiceProcess leaving = replicas.get(stable - 1);
            replicas.remove(stable - 1);
            stable--;
            publishEndpoints();
            envoys.awaitGone(EnvoyConfig.SERVICE_CLUSTER, address(leaving), java.time.Duration.ofSeconds(30));
            stop(leaving);
        }
    }

    /** SIGTERM; the replica that trains the AOT cache gets the time to write it. */
    private void stop(ServiceProcess replica) {
        if (replica == training) {
            // The JVM assembles the cache as it exits (13 s in one trial on 2 busy cores).
            System.err.println("the replica on gRPC port " + replica.grpcPort() + " writes the AOT cache ...");
            replica.stop(java.time.Duration.ofSeconds(180));
            adoptAotCache();
        } else {
            replica.close();
        }
    }

    /** The stable replicas' number (the canary ones come after them in {@link #replicas()}). */
    public int stableReplicas() {
        return stable;
    }

    /**
     * The lowest slot no running replica holds. Replica slot {@code k} has the first ports plus
     * {@code k} (unless ports are picked free) and logs to service-k.log.
     */
    private int freeSlot() {
        java.util.Set<Path> used = new java.util.HashSet<>();
        replicas.forEach(replica -> used.add(replica.log()));
        int slot = 0;
        while (used.contains(log(slot))) {
            slot++;
        }
        return slot;
    }

    private Path log(int slot) {
        return options.workDir().resolve("service-" + slot + ".log");
    }

    private ServiceProcess startReplica(int slot, boolean canary) {
        int grpcPort = options.firstGrpcPort() == 0 ? FreePorts.next() : options.firstGrpcPort() + slot;
        int managementPort = options.firstManagementPort() == 0 ? FreePorts.next() : options.firstManagementPort() + slot;
        return startReplica(grpcPort, managementPort, canary, log(slot));
    }

    private ServiceProcess startReplica(int grpcPort, int managementPort, boolean canary, Path log) {
        Map<String, String> environment = new HashMap<>(options.serviceEnvironment());
        if (canary) {
            environment.putAll(options.canaryEnvironment());
        }
        environment.put("PAYGATE_DB_URL", databaseUrl);
        // The dev key set, unless the suite names its own source (a URL, to test an unreachable one).
        environment.putIfAbsent("PAYGATE_JWKS", credentials.signingKey().jwksFile().toAbsolutePath().toString());
        environment.put("PAYGATE_DB_USER", "postgres");
        environment.put("PAYGATE_DB_PASSWORD", "postgres");
        if (options.serviceJvm() == ServiceJvm.PRODUCTION) {
            return ServiceProcess.start(serviceJava, repository.serviceJar(), grpcPort, managementPort, environment,
                    serviceJava.productionArguments(repository), log);
        }
        if (options.serviceJvm() == ServiceJvm.PRODUCTION_WITH_AOT_CACHE) {
            List<String> arguments = new ArrayList<>(serviceJava.productionArguments(repository));
            boolean trains = false;
            java.util.Optional<AotCache> cache = aotCache();
            if (cache.isPresent() && cache.get().ready()) {
                arguments.addAll(cache.get().useArguments());
            } else if (cache.isPresent() && training == null) {
                trains = true;
                arguments.addAll(cache.get().trainArguments());
                System.err.println("the replica on gRPC port " + grpcPort + " records the AOT cache's training run; "
                        + "the cache is written when it stops, and later starts use it (" + cache.get().file() + ")");
            }
            ServiceProcess started = ServiceProcess.start(serviceJava, repository.serviceJar(), grpcPort, managementPort,
                    environment, arguments, log);
            if (trains) {
                training = started;
            }
            return started;
        }
        return ServiceProcess.start(serviceJava, repository.serviceJar(), grpcPort, managementPort, environment,
                options.serviceHeap(), log);
    }

    private java.util.Optional<AotCache> aotCache() {
        if (aotCache == null) {
            aotCache = AotCache.of(serviceJava, serviceJava.productionFlagFiles(repository), repository.serviceJar(),
                    options.workDir().resolve("aot"));
        }
        return aotCache;
    }

    /** After the training replica exited: the cache it wrote (if any) is the one later replicas use. */
    private void adoptAotCache() {
        training = null;
        aotCache().ifPresent(AotCache::adoptTraining);
    }

    /**
     * Restarts any replica, and any Envoy, whose process has exited, checking every {@code interval},
     * until {@link #close()}: what a process supervisor (systemd, compose's restart policy) does.
     * For ./paygate run a development convenience only: in production the platform supervises
     * (Kubernetes restarts pods, compose its services), not this launcher. A restarted Envoy starts from its config file
     * and the changes ./paygate edge kept in its runtime layer on disk ({@link KeptRuntime}); other
     * changes made through its admin API since are gone.
     */
    public void supervise(java.time.Duration interval) {
        supervisor = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "paygate-supervisor");
            thread.setDaemon(true);
            return thread;
        });
        supervisor.scheduleWithFixedDelay(this::restartExited, interval.toMillis(), interval.toMillis(),
                java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private synchronized void restartExited() {
        if (closed) {
            return;
        }
        for (int i = 0; i < replicas.size(); i++) {
            ServiceProcess replica = replicas.get(i);
            if (!replica.isAlive()) {
                System.err.println("replica " + i + " (gRPC port " + replica.grpcPort() + ") exited with "
                        + replica.exitValue() + "; restarting it");
                try {
                    restart(i);
                } catch (RuntimeException e) {
                    System.err.println("restarting replica " + i + " failed, will try again: " + e.getMessage());
                }
            }
        }
        envoys.restartExited();
    }

    /** Starts a replica again after {@link ServiceProcess#kill()}, on the same ports. */
    public synchronized ServiceProcess restart(int index) {
        ServiceProcess old = replicas.get(index);
        if (old == training) {
            adoptAotCache();
        }
        ServiceProcess started = startReplica(old.grpcPort(), old.managementPort(), index >= stable, old.log());
        replicas.set(index, started);
        return started;
    }

    /** The local CA, the edge's certificate and the development signing key of this stack. */
    public DevCredentials credentials() {
        return credentials;
    }

    /** Whether the edge requires client certificates. */
    public boolean mutualTls() {
        return options.mutualTls();
    }

    /** The first Envoy, on the options' ports. */
    public EnvoyProcess envoy() {
        return envoys.processes().get(0);
    }

    /** Every Envoy, the first one first; {@link #edges()} holds their ports in the same order. */
    public List<EnvoyProcess> envoys() {
        return envoys.processes();
    }

    public List<EdgePorts> edges() {
        return envoys.ports();
    }

    public List<ServiceProcess> replicas() {
        return replicas;
    }

    /** Where the stack keeps the rendered Envoy config, logs and database files. */
    public java.nio.file.Path workDir() {
        return options.workDir();
    }

    /** The runtime layer every Envoy of the stack reads and ./paygate edge keeps its changes in ({@link KeptRuntime}). */
    public Path keptRuntime() {
        return KeptRuntime.dir(options.workDir());
    }

    public int envoyPort() {
        return options.envoyPort();
    }

    public int adminPort() {
        return options.adminPort();
    }

    /** Envoy's stats listener: /stats/prometheus and /ready only, for Prometheus. */
    public int statsPort() {
        return options.statsPort();
    }

    /** JDBC URL of the shared PostgreSQL database, for counting what was stored. */
    public String databaseUrl() {
        return databaseUrl;
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (supervisor != null) {
            supervisor.shutdownNow();
        }
        if (envoys != null) {
            envoys.close();
        }
        replicas.forEach(this::stop);
        if (postgres != null) {
            postgres.close();
        }
    }
}
