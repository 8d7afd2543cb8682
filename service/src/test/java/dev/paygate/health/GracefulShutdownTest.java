package dev.paygate.health;

import static dev.paygate.testing.Fixtures.accountId;
import static dev.paygate.testing.Fixtures.authorize;
import static dev.paygate.testing.Fixtures.newAccount;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import dev.paygate.testing.RowLock;
import dev.paygate.testing.RunningService;
import dev.paygate.testing.TestDatabase;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.AuthorizationServiceGrpc;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.micronaut.context.ApplicationContext;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Shutdown in the order a proxy needs: health reports NOT_SERVING first and the service keeps
 * accepting calls for the drain delay, then the server stops accepting, and calls already in
 * flight still finish within the grace period.
 */
class GracefulShutdownTest {

    private static final Map<String, Object> DRAIN = Map.of("paygate.health.shutdown-drain-delay", "1s");

    /** What a health check saw: the status, or "UNAVAILABLE" once the server no longer answers. */
    private static String observe(RunningService service) {
        try {
            return HealthGrpc.newBlockingStub(service.channel()).withDeadlineAfter(2, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.newBuilder().setService("").build()).getStatus().name();
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode().name();
        }
    }

    private static Thread closeInBackground(RunningService service) {
        ApplicationContext context = service.bean(ApplicationContext.class);
        Thread shutdown = new Thread(context::close, "test-shutdown");
        shutdown.start();
        return shutdown;
    }

    @Test
    void shutdown_reportsNotServingAndKeepsServingCallsBeforeTheServerStopsAccepting() throws Exception {
        try (RunningService service = RunningService.start(TestDatabase.postgres(), DRAIN)) {
            await().atMost(Duration.ofSeconds(5)).until(() -> observe(service).equals("SERVING"));
            List<String> seen = new ArrayList<>();

            Thread shutdown = closeInBackground(service);
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                    .until(() -> observe(service).equals("NOT_SERVING"));
            seen.add("NOT_SERVING");
            // While draining, calls that still arrive (the proxy has not noticed yet) are served.
            assertThat(service.accounts().createAccount(newAccount(100)).getName()).startsWith("accounts/");
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
                String status = observe(service);
                if (seen.isEmpty() || !seen.get(seen.size() - 1).equals(status)) {
                    seen.add(status);
                }
                return status.equals("UNAVAILABLE");
            });
            shutdown.join(TimeUnit.SECONDS.toMillis(10));

            // NOT_SERVING for the whole drain, then no longer reachable; never SERVING again.
            assertThat(seen).containsExactly("NOT_SERVING", "UNAVAILABLE");
            assertThat(shutdown.isAlive()).isFalse();
        }
    }

    @Test
    void shutdown_letsAnInFlightCallFinishAfterTheServerStoppedAccepting() throws Exception {
        TestDatabase database = TestDatabase.postgres();
        String url = (String) database.properties().get("datasources.default.url");
        try (RunningService service = RunningService.start(database, DRAIN)) {
            String account = service.accounts().createAccount(newAccount(100)).getName();
            // Our own connection, not the service's pool: the pool closes with the service.
            try (RowLock lock = RowLock.lockAccount(DriverManager.getConnection(url, "sa", ""), accountId(account))) {
                ListenableFuture<Authorization> call = AuthorizationServiceGrpc.newFutureStub(service.channel())
                        .withDeadlineAfter(30, TimeUnit.SECONDS)
                        .createAuthorization(authorize(account, 30));
                lock.awaitWaiter();

                Thread shutdown = closeInBackground(service);
                await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                        .until(() -> observe(service).equals("NOT_SERVING"));
                await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                        .until(() -> observe(service).equals("UNAVAILABLE"));
                assertThat(call.isDone()).as("in-flight call still waiting when the server stopped accepting").isFalse();
                lock.release();

                Authorization authorization = call.get(5, TimeUnit.SECONDS);
                assertThat(authorization.getState()).isEqualTo(Authorization.State.APPROVED);
                shutdown.join(TimeUnit.SECONDS.toMillis(10));
                assertThat(shutdown.isAlive()).isFalse();
            }
        }
        try (Connection connection = DriverManager.getConnection(url, "sa", "");
             PreparedStatement statement = connection.prepareStatement("SELECT held FROM accounts")) {
            try (ResultSet row = statement.executeQuery()) {
                assertThat(row.next()).isTrue();
                assertThat(row.getBigDecimal(1)).isEqualByComparingTo("30");
            }
        }
    }
}
