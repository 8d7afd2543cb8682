package dev.paygate.devstack;

import dev.paygate.devstack.credentials.DevCredentials;
import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.EnvoyProcess;
import dev.paygate.edge.Repository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
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
    private ScheduledExecutorService supervisor;
    private DevCredentials credentials;
    private LocalPostgres postgres;
    private ReplicaSet replicas;
    private Envoys envoys;
    private boolean closed;
    private String databaseUrl;

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
        replicas = new ReplicaSet(options, new ReplicaLauncher(repository, options, serviceJava, credentials, databaseUrl));
        replicas.startAll();
        envoys = new Envoys(repository, options, credentials);
        addEdge(new EdgePorts(options.envoyPort(), options.adminPort(), options.statsPort()));
    }

    /**
     * Starts one more Envoy on {@code ports}, rendered as the first one, in front of the same
     * replicas; the supervisor restarts it too. For a stack's start ({@link Envoys#add}).
     */
    public synchronized EnvoyProcess addEdge(EdgePorts ports) {
        return envoys.add(ports, replicas.endpoints(), replicas.stable(), replicas.canary());
    }

    /**
     * Changes the number of stable replicas to {@code count} while the edge serves. A new replica
     * joins only once it answers SERVING on gRPC health, and every Envoy has health-checked it
     * before the next step; Envoy's slow start (envoy.yaml) then ramps its share up. A leaving
     * replica (the newest) leaves every Envoy's rotation first, so it gets no new calls, and is
     * stopped after: SIGTERM, on which it reports NOT_SERVING and lets in-flight calls finish.
     */
    public synchronized void scaleTo(int count) {
        replicas.scaleTo(count, envoys);
    }

    /** The stable replicas' number (the canary ones come after them in {@link #replicas()}). */
    public int stableReplicas() {
        return replicas.stable();
    }

    /**
     * Restarts any replica, and any Envoy, whose process has exited, checking every {@code interval},
     * until {@link #close()}: what a process supervisor (systemd, compose's restart policy) does.
     * For ./paygate run a development convenience only: in production the platform supervises
     * (Kubernetes restarts pods, compose its services), not this launcher. A restarted Envoy starts from its config file
     * and the changes ./paygate edge kept in its runtime layer on disk ({@link KeptRuntime}); other
     * changes made through its admin API since are gone.
     */
    public void supervise(Duration interval) {
        supervisor = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "paygate-supervisor");
            thread.setDaemon(true);
            return thread;
        });
        supervisor.scheduleWithFixedDelay(this::restartExited, interval.toMillis(), interval.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    private synchronized void restartExited() {
        if (closed) {
            return;
        }
        replicas.restartExited();
        envoys.restartExited();
    }

    /** Starts a replica again after {@link ServiceProcess#kill()}, on the same ports. */
    public synchronized ServiceProcess restart(int index) {
        return replicas.restart(index);
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
        return replicas.all();
    }

    /** Where the stack keeps the rendered Envoy config, logs and database files. */
    public Path workDir() {
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
        if (replicas != null) {
            replicas.stopAll();
        }
        if (postgres != null) {
            postgres.close();
        }
    }
}
