package dev.paygate.health;

import dev.paygate.persistence.Database;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.micronaut.context.event.ApplicationEventListener;
import io.micronaut.runtime.server.event.ServerShutdownEvent;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@code grpc.health.v1} truthful: SERVING only while the database answers, so Envoy's
 * health checks take a replica without its database out of rotation. On shutdown it reports
 * NOT_SERVING first and waits a drain delay, so the edge stops sending new calls before the
 * server stops accepting them; the gRPC server then drains in-flight calls
 * ({@code grpc.server.await-termination}). {@value #LIVENESS} answers SERVING whatever the
 * database does: a liveness probe on it restarts a stuck process, never every replica at once
 * because their database went away (deploy/helm/paygate).
 */
@Singleton
public class ServingReporter implements ApplicationEventListener<ServerShutdownEvent> {

    private static final Logger LOG = LoggerFactory.getLogger(ServingReporter.class);
    /** Liveness only: SERVING from start to shutdown, independent of the database. */
    public static final String LIVENESS = "paygate.liveness";
    private static final List<String> SERVICES = List.of("", "paygate.v1.AccountService", "paygate.v1.AuthorizationService");

    private final HealthStatusManager health;
    private final Database database;
    private final HealthProperties properties;
    private volatile boolean shuttingDown;
    private volatile State last;

    /** What was last reported, for logs on change only. */
    enum State { SERVING, NOT_SERVING }

    public ServingReporter(HealthStatusManager health, Database database, HealthProperties properties) {
        this.health = health;
        this.database = database;
        this.properties = properties;
        health.setStatus(LIVENESS, ServingStatus.SERVING);
    }

    @Scheduled(fixedDelay = "${paygate.health.probe-interval:1s}")
    public void probeDatabase() {
        if (shuttingDown) {
            return;
        }
        boolean reachable = database.isReachable(properties.databaseTimeout());
        State state = reachable ? State.SERVING : State.NOT_SERVING;
        if (state != last) {
            LOG.info("health: database {} -> {}", reachable ? "reachable" : "unreachable", state);
            last = state;
        }
        SERVICES.forEach(service -> health.setStatus(service,
                reachable ? ServingStatus.SERVING : ServingStatus.NOT_SERVING));
    }

    @Override
    public void onApplicationEvent(ServerShutdownEvent event) {
        if (!(event.getSource() instanceof io.micronaut.grpc.server.GrpcEmbeddedServer) || shuttingDown) {
            return;
        }
        shuttingDown = true;
        health.enterTerminalState();
        Duration drain = properties.shutdownDrainDelay();
        LOG.info("shutting down: reporting NOT_SERVING, draining for {}", drain);
        try {
            // A fixed wait is the point: it gives health-checking proxies time to notice.
            Thread.sleep(drain.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
