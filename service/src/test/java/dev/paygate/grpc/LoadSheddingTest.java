package dev.paygate.grpc;

import static dev.paygate.testing.Fixtures.accountId;
import static dev.paygate.testing.Fixtures.authorize;
import static dev.paygate.testing.Fixtures.newAccount;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import dev.paygate.testing.Fixtures;
import dev.paygate.testing.RowLock;
import dev.paygate.testing.RunningService;
import dev.paygate.testing.StatusDetails;
import dev.paygate.testing.TestDatabase;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.AuthorizationServiceGrpc;
import dev.paygate.v1.GetAccountRequest;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.MetadataUtils;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A replica with 2 workers and room for 2 waiting calls, whose workers are parked on a locked
 * account: what it cannot serve in time it refuses at once with UNAVAILABLE and retry advice, and
 * the refused calls change nothing; health checks still answer.
 */
class LoadSheddingTest {

    private static RunningService service;

    @BeforeAll
    static void start() {
        service = RunningService.start(TestDatabase.postgres(),
                Map.of("paygate.admission.workers", 2, "paygate.admission.queue-capacity", 2));
    }

    @AfterAll
    static void stop() throws InterruptedException {
        service.close();
    }

    @Test
    void authorize_withEveryWorkerBusyAndTheQueueFull_isRefusedAtOnce_andChangesNothing() throws Exception {
        String account = service.accounts().createAccount(newAccount(1000)).getName();
        double refusedBefore = refused("server_overloaded");
        List<ListenableFuture<Authorization>> admitted = new ArrayList<>();

        try (RowLock lock = RowLock.lockAccount(service.dataSource().getConnection(), accountId(account))) {
            for (int i = 0; i < 2; i++) {
                admitted.add(authorizeAsync(account, 10, Duration.ofSeconds(20), Metadata::new));
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> lock.waiters() == 2);
            for (int i = 0; i < 2; i++) {
                admitted.add(authorizeAsync(account, 10, Duration.ofSeconds(20), Metadata::new));
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> waiting() == 2);

            long start = System.nanoTime();
            StatusRuntimeException refusal = catchThrowableOfType(() -> AuthorizationServiceGrpc
                    .newBlockingStub(service.channel()).withDeadlineAfter(20, TimeUnit.SECONDS)
                    .createAuthorization(authorize(account, 10)), StatusRuntimeException.class);
            long refusedAfterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

            assertThat(refusal.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(StatusDetails.reason(refusal)).isEqualTo("SERVER_OVERLOADED");
            assertThat(StatusDetails.retryInfo(refusal)).as("retry advice").isPresent();
            assertThat(refusedAfterMillis).as("refused at once, not after a wait").isLessThan(2000);
            assertThat(refused("server_overloaded")).isEqualTo(refusedBefore + 1);
            assertThat(HealthGrpc.newBlockingStub(service.channelWithoutToken()).withDeadlineAfter(2, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus())
                    .as("a busy replica still answers its health check").isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        }
        for (ListenableFuture<Authorization> call : admitted) {
            assertThat(call.get(20, TimeUnit.SECONDS).getState()).isEqualTo(Authorization.State.APPROVED);
        }
        assertThat(authorizations(account)).as("the refused call stored nothing").isEqualTo(4);
        assertThat(service.accounts().getAccount(GetAccountRequest.newBuilder().setName(account).build())
                .getHeld().getUnits()).isEqualTo(40);
    }

    @Test
    void authorize_thatWaitedForAWorkerPastEnvoysBudget_isRefusedWhenDequeued_andChangesNothing() throws Exception {
        String account = service.accounts().createAccount(newAccount(1000)).getName();
        double refusedBefore = refused("queued_past_deadline");
        List<ListenableFuture<Authorization>> parked = new ArrayList<>();

        try (RowLock lock = RowLock.lockAccount(service.dataSource().getConnection(), accountId(account))) {
            // Both workers wait for the lock until their own 1.5 s deadlines end.
            for (int i = 0; i < 2; i++) {
                parked.add(authorizeAsync(account, 10, Duration.ofMillis(1500), Metadata::new));
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> lock.waiters() == 2);
            // Envoy gave this attempt 300 ms; it spends more than that waiting for a worker.
            ListenableFuture<Authorization> queued = authorizeAsync(account, 10, Duration.ofSeconds(20), () -> {
                Metadata headers = new Metadata();
                headers.put(CallMetadata.ENVOY_TIMEOUT_HEADER, "300");
                return headers;
            });

            ExecutionException failure = catchThrowableOfType(() -> queued.get(20, TimeUnit.SECONDS),
                    ExecutionException.class);
            StatusRuntimeException refusal = (StatusRuntimeException) failure.getCause();
            assertThat(refusal.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(StatusDetails.reason(refusal)).isEqualTo("QUEUED_PAST_DEADLINE");
            assertThat(StatusDetails.retryInfo(refusal)).isPresent();
            assertThat(refused("queued_past_deadline")).isEqualTo(refusedBefore + 1);
        }
        for (ListenableFuture<Authorization> call : parked) {
            ExecutionException timedOut = catchThrowableOfType(() -> call.get(20, TimeUnit.SECONDS), ExecutionException.class);
            assertThat(Status.fromThrowable(timedOut.getCause()).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        }
        assertThat(authorizations(account)).isZero();
    }

    private static ListenableFuture<Authorization> authorizeAsync(String account, long units, Duration deadline,
                                                                  java.util.function.Supplier<Metadata> headers) {
        return AuthorizationServiceGrpc.newFutureStub(service.channel())
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers.get()))
                .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                .createAuthorization(authorize(account, units));
    }

    private static long authorizations(String account) {
        return Fixtures.count(service.dataSource(), "SELECT COUNT(*) FROM authorizations WHERE account_id = ?",
                accountId(account));
    }

    private static double waiting() {
        Gauge gauge = service.meters().find("paygate.calls.waiting").gauge();
        return gauge == null ? 0 : gauge.value();
    }

    private static double refused(String reason) {
        Counter counter = service.meters().find("paygate.calls.refused").tag("reason", reason).counter();
        return counter == null ? 0 : counter.count();
    }
}
