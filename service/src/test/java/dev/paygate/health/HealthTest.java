package dev.paygate.health;

import static dev.paygate.testing.Fixtures.newAccount;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import dev.paygate.testing.RunningService;
import dev.paygate.testing.StatusDetails;
import dev.paygate.testing.TestDatabase;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * grpc.health.v1 tells the truth about the database: SERVING while it answers, NOT_SERVING once
 * it is gone (so Envoy takes the replica out), and calls made meanwhile fail with a retryable
 * UNAVAILABLE that says nothing was processed.
 */
class HealthTest {

    private static final String AUTHORIZATION_SERVICE = "paygate.v1.AuthorizationService";

    private static ServingStatus check(RunningService service, String name) {
        return HealthGrpc.newBlockingStub(service.channel()).withDeadlineAfter(2, TimeUnit.SECONDS)
                .check(HealthCheckRequest.newBuilder().setService(name).build()).getStatus();
    }

    private static TestDatabase on(EmbeddedPostgres postgres) {
        return new TestDatabase("own-postgres", Map.of(
                "datasources.default.url", postgres.getJdbcUrl("postgres", "postgres"),
                "datasources.default.username", "postgres",
                "datasources.default.password", "postgres"));
    }

    @Test
    void databaseGoesAway_healthTurnsNotServingButStaysLiveAndCallsFailUnavailableWithRetryInfo() throws Exception {
        // Our own server: this test stops it, which the shared one must never see.
        EmbeddedPostgres postgres = EmbeddedPostgres.builder().start();
        int port = postgres.getPort();
        EmbeddedPostgres replacement = null;
        try (RunningService service = RunningService.start(on(postgres))) {
            await().atMost(Duration.ofSeconds(5)).until(() -> check(service, AUTHORIZATION_SERVICE) == ServingStatus.SERVING);
            assertThat(check(service, "")).isEqualTo(ServingStatus.SERVING);

            postgres.close();

            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> check(service, "") == ServingStatus.NOT_SERVING);
            assertThat(check(service, AUTHORIZATION_SERVICE)).isEqualTo(ServingStatus.NOT_SERVING);
            // Kubernetes' liveness probe asks this name: a database outage must not restart the replica.
            assertThat(check(service, ServingReporter.LIVENESS)).isEqualTo(ServingStatus.SERVING);

            StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class,
                    () -> service.accounts().createAccount(newAccount(100)));
            assertThat(error).isNotNull();
            assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(error.getStatus().getDescription()).contains("not processed");
            assertThat(StatusDetails.errorInfo(error)).map(ErrorInfo::getReason).contains("DATABASE_UNAVAILABLE");
            assertThat(StatusDetails.errorInfo(error)).map(ErrorInfo::getDomain).contains("paygate.dev");
            assertThat(StatusDetails.retryInfo(error)).map(RetryInfo::getRetryDelay)
                    .hasValueSatisfying(delay -> assertThat(delay.getSeconds()).isPositive());

            // A database answering again on the same address brings the replica back.
            replacement = EmbeddedPostgres.builder().setPort(port).start();
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> check(service, "") == ServingStatus.SERVING);
        } finally {
            postgres.close();
            if (replacement != null) {
                replacement.close();
            }
        }
    }
}
