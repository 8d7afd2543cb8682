package dev.paygate.fault;

import static dev.paygate.testing.Fixtures.accountId;
import static dev.paygate.testing.Fixtures.authorize;
import static dev.paygate.testing.Fixtures.newAccount;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.paygate.testing.Fixtures;
import dev.paygate.testing.RunningService;
import dev.paygate.testing.StatusDetails;
import dev.paygate.testing.TestDatabase;
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
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fault drill on a real service and database: a replica configured to refuse every call
 * refuses before anything is written, counts it, still answers health checks; a replica without
 * the setting cannot be talked into it by a client; a ratio outside 0..1 stops the start.
 */
class FaultDrillTest {

    private static TestDatabase database;
    private static RunningService healthy;
    private static RunningService faulty;

    @BeforeAll
    static void start() {
        database = TestDatabase.postgres();
        healthy = RunningService.start(database);
        faulty = RunningService.start(database, Map.of("paygate.fault.unavailable-ratio", 1.0));
    }

    @AfterAll
    static void stop() throws InterruptedException {
        faulty.close();
        healthy.close();
    }

    @Test
    void authorize_onAReplicaWithTheDrillAtOne_isRefusedUnavailable_andWritesNothing() {
        String account = healthy.accounts().createAccount(newAccount(1000)).getName();
        double before = injected(faulty);
        long keysBefore = Fixtures.count(healthy.dataSource(), "SELECT COUNT(*) FROM idempotency_keys");
        Metadata key = new Metadata();
        key.put(Metadata.Key.of("idempotency-key", Metadata.ASCII_STRING_MARSHALLER), "drill-" + System.nanoTime());

        StatusRuntimeException refusal = catchThrowableOfType(() -> faulty.authorizations()
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(key))
                .createAuthorization(authorize(account, 40)), StatusRuntimeException.class);

        assertThat(refusal.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(StatusDetails.reason(refusal)).isEqualTo("FAULT_INJECTED");
        assertThat(StatusDetails.retryInfo(refusal)).as("retry advice: nothing was done").isPresent();
        assertThat(injected(faulty)).isEqualTo(before + 1);
        assertThat(Fixtures.count(healthy.dataSource(), "SELECT COUNT(*) FROM authorizations WHERE account_id = ?",
                accountId(account))).as("no authorization stored").isZero();
        assertThat(Fixtures.count(healthy.dataSource(), "SELECT COUNT(*) FROM idempotency_keys")).as("no key remembered")
                .isEqualTo(keysBefore);
        assertThat(healthy.accounts().getAccount(GetAccountRequest.newBuilder().setName(account).build())
                .getHeld().getUnits()).as("nothing held").isZero();

        // The same key on a healthy replica is the first attempt, not a replay of a half-done one.
        var approved = AuthorizationServiceGrpc.newBlockingStub(healthy.channel())
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(key))
                .withDeadlineAfter(10, TimeUnit.SECONDS).createAuthorization(authorize(account, 40));
        assertThat(approved.getState().name()).isEqualTo("APPROVED");
        assertThat(healthy.accounts().getAccount(GetAccountRequest.newBuilder().setName(account).build())
                .getHeld().getUnits()).as("held once").isEqualTo(40);
    }

    @Test
    void healthCheck_onAReplicaWithTheDrillAtOne_stillServes() {
        assertThat(HealthGrpc.newBlockingStub(faulty.channelWithoutToken()).withDeadlineAfter(2, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance()).getStatus())
                .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    }

    /** Attack: the drill's names sent as request metadata do nothing; only configuration sets it. */
    @Test
    void clientMetadataNamingTheDrill_onAReplicaWithoutIt_changesNothing() {
        String account = healthy.accounts().createAccount(newAccount(1000)).getName();
        Metadata attack = new Metadata();
        attack.put(Metadata.Key.of("paygate-fault-unavailable-ratio", Metadata.ASCII_STRING_MARSHALLER), "1");
        attack.put(Metadata.Key.of("paygate.fault.unavailable-ratio", Metadata.ASCII_STRING_MARSHALLER), "1");
        attack.put(Metadata.Key.of("x-envoy-fault-abort-grpc-request", Metadata.ASCII_STRING_MARSHALLER), "14");
        double before = injected(healthy);

        for (int i = 0; i < 20; i++) {
            healthy.authorizations().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(attack))
                    .createAuthorization(authorize(account, 1));
        }

        assertThat(injected(healthy)).isEqualTo(before).isZero();
    }

    @Test
    void ratioOutsideZeroToOne_stopsTheStart() {
        assertThatThrownBy(() -> RunningService.start(database, Map.of("paygate.fault.unavailable-ratio", 1.5)))
                .hasStackTraceContaining("PAYGATE_FAULT_UNAVAILABLE_RATIO");
    }

    private static double injected(RunningService service) {
        return service.meters().find("paygate.fault.injected").counters().stream().mapToDouble(Counter::count).sum();
    }
}
