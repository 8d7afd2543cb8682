package dev.paygate.devstack;

import dev.paygate.devstack.credentials.DevCredentials;
import dev.paygate.edge.Repository;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Starts and stops a stack's service replica JVMs: the environment every replica gets (database,
 * key set, the canary's changes) and the JVM the options chose ({@link ServiceJvm}), including the
 * AOT cache's wiring: the first replica started without a cache records the training run, and
 * every later start uses the cache it wrote.
 */
final class ReplicaLauncher {

    private final Repository repository;
    private final Stack.Options options;
    private final ServiceJava serviceJava;
    private final DevCredentials credentials;
    private final String databaseUrl;
    // The replica that records the AOT cache's training run, or null for none.
    private ServiceProcess training;
    // Found once: its name hashes the 40 MB jar.
    private Optional<AotCache> aotCache;

    ReplicaLauncher(Repository repository, Stack.Options options, ServiceJava serviceJava, DevCredentials credentials,
                    String databaseUrl) {
        this.repository = repository;
        this.options = options;
        this.serviceJava = serviceJava;
        this.credentials = credentials;
        this.databaseUrl = databaseUrl;
    }

    ServiceProcess start(int grpcPort, int managementPort, boolean canary, Path log) {
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
            Optional<AotCache> cache = aotCache();
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

    /** SIGTERM; the replica that trains the AOT cache gets the time to write it. */
    void stop(ServiceProcess replica) {
        if (replica == training) {
            // The JVM assembles the cache as it exits (13 s in one trial on 2 busy cores).
            System.err.println("the replica on gRPC port " + replica.grpcPort() + " writes the AOT cache ...");
            replica.stop(Duration.ofSeconds(180));
            adoptAotCache();
        } else {
            replica.close();
        }
    }

    /** Before {@code old}, which has exited, is started again: if it trained the cache, adopt what it wrote. */
    void exited(ServiceProcess old) {
        if (old == training) {
            adoptAotCache();
        }
    }

    private Optional<AotCache> aotCache() {
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
}
