package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.type.Money;
import dev.paygate.e2e.Edge.Rest;
import dev.paygate.v1.Account;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.CreateAccountRequest;
import dev.paygate.v1.CreateAuthorizationRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the edge tells a client whose write it sent to a replica that then died before answering:
 * the replica may have committed it, so the answer is the service's own COMMIT_OUTCOME_UNKNOWN,
 * never "unavailable, retry": UNKNOWN without retry advice for an unkeyed write, UNAVAILABLE with
 * retry advice (same key) for a keyed one; REST and gRPC alike. A write the edge never sent keeps
 * SERVICE_UNAVAILABLE with retry advice. The test holds the account's row lock, so the write is
 * parked inside the replica's transaction when the replica is SIGKILLed.
 */
@EndToEnd
class WriteOutcomeIT {

    private static Edge edge;
    private Account account;

    @BeforeAll
    static void setUp(Edge started) {
        edge = started;
    }

    @BeforeEach
    void replicaUp_freshAccount() {
        Upstreams.restartDeadReplicasAndAwaitAllHealthy(edge);
        // A replica just restarted on a busy machine may miss the first budgets: repeat with one key.
        Map<String, String> key = Map.of("idempotency-key", UUID.randomUUID().toString());
        account = await("a fresh account").atMost(Duration.ofSeconds(60)).pollDelay(Duration.ZERO)
                .ignoreException(StatusRuntimeException.class)
                .until(() -> edge.accounts(key).createAccount(CreateAccountRequest.newBuilder()
                        .setAccount(Account.newBuilder().setCurrencyCode("EUR").setCreditLimit(eur(1_000))).build()),
                        created -> true);
    }

    @Test
    void unkeyedRestWrite_cutAfterItWasSent_isCommitOutcomeUnknown_withoutRetryAdvice() throws Exception {
        Rest answer = cutWhileParked(() -> restWrite(Map.of()));

        JsonNode error = RestPayments.assertError(answer, 500, 2, "COMMIT_OUTCOME_UNKNOWN");
        assertThat(RestPayments.detail(error, RestPayments.RETRY_INFO)).as("retry advice in %s", error).isNull();
        assertNothingStored();
    }

    @Test
    void keyedRestWrite_cutAfterItWasSent_isCommitOutcomeUnknown_retryWithTheSameKey() throws Exception {
        Rest answer = cutWhileParked(() -> restWrite(Map.of("idempotency-key", "write-outcome-rest")));

        JsonNode error = RestPayments.assertError(answer, 503, 14, "COMMIT_OUTCOME_UNKNOWN");
        assertThat(RestPayments.detail(error, RestPayments.RETRY_INFO).path("retryDelay").asText()).isEqualTo("1s");
        assertNothingStored();
    }

    @Test
    void unkeyedGrpcWrite_cutAfterItWasSent_isUnknown_withoutRetryAdvice() throws Exception {
        StatusRuntimeException failure = cutWhileParked(() -> grpcWrite(Map.of()));

        assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.UNKNOWN);
        assertThat(KeyedWriteLoad.reason(failure)).isEqualTo("COMMIT_OUTCOME_UNKNOWN");
        assertThat(KeyedWriteLoad.hasRetryInfo(failure)).isFalse();
        assertNothingStored();
    }

    @Test
    void keyedGrpcWrite_cutAfterItWasSent_isUnavailable_retryWithTheSameKey() throws Exception {
        StatusRuntimeException failure = cutWhileParked(() -> grpcWrite(Map.of("idempotency-key", "write-outcome-grpc")));

        assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(KeyedWriteLoad.reason(failure)).isEqualTo("COMMIT_OUTCOME_UNKNOWN");
        assertThat(KeyedWriteLoad.hasRetryInfo(failure)).isTrue();
        assertNothingStored();
    }

    @Test
    void unkeyedWrite_neverSent_noReplicaUp_isServiceUnavailable_retryAdvised() {
        edge.stack().replicas().get(0).kill();
        await("envoy sees the replica down").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> !Upstreams.allHealthy(edge));

        JsonNode error = RestPayments.assertError(restWrite(Map.of()), 503, 14, "SERVICE_UNAVAILABLE");
        StatusRuntimeException failure = grpcWrite(Map.of());

        assertThat(RestPayments.detail(error, RestPayments.RETRY_INFO)).isNotNull();
        assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(KeyedWriteLoad.reason(failure)).isEmpty();  // Envoy's plain gRPC form, as before
        assertNothingStored();
    }

    /**
     * Holds the account's row lock, starts the write, waits until it waits for the lock inside the
     * replica, SIGKILLs the replica, and returns the write's answer.
     */
    private <T> T cutWhileParked(Supplier<T> write) throws Exception {
        try (Connection lock = edge.connect()) {
            lock.setAutoCommit(false);
            try (PreparedStatement select = lock.prepareStatement("SELECT id FROM accounts WHERE id = ? FOR UPDATE")) {
                select.setString(1, id(account.getName()));
                select.executeQuery().close();
            }
            CompletableFuture<T> answer = CompletableFuture.supplyAsync(write);
            await("the write waits for the row lock inside the replica").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(20)).until(() -> lockWaiters() > 0);
            edge.stack().replicas().get(0).kill();
            lock.rollback();
            return answer.get(30, TimeUnit.SECONDS);
        }
    }

    private Rest restWrite(Map<String, String> headers) {
        return new RestPayments(edge).authorize(account.getName(), 7, headers);
    }

    private StatusRuntimeException grpcWrite(Map<String, String> metadata) {
        try {
            edge.authorizations(metadata).createAuthorization(CreateAuthorizationRequest.newBuilder()
                    .setParent(account.getName())
                    .setAuthorization(Authorization.newBuilder().setAmount(eur(7)).setMerchantId("shop-1")
                            .setMerchantCategoryCode("5411"))
                    .build());
            throw new AssertionError("the write succeeded although its replica was killed");
        } catch (StatusRuntimeException e) {
            return e;
        }
    }

    /** The replica died holding the write's transaction open: PostgreSQL rolled it back. */
    private void assertNothingStored() {
        String accountId = id(account.getName());
        assertThat(edge.count("SELECT COUNT(*) FROM authorizations WHERE account_id = '" + accountId + "'")).isZero();
        assertThat(edge.count("SELECT CAST(held AS BIGINT) FROM accounts WHERE id = '" + accountId + "'")).isZero();
    }

    private static long lockWaiters() throws SQLException {
        try (Connection connection = edge.connect();
             ResultSet row = connection.createStatement().executeQuery("SELECT COUNT(*) FROM pg_stat_activity"
                     + " WHERE datname = current_database() AND wait_event_type = 'Lock'")) {
            row.next();
            return row.getLong(1);
        }
    }

    private static String id(String name) {
        return name.substring(name.lastIndexOf('/') + 1);
    }

    private static Money eur(long units) {
        return Money.newBuilder().setCurrencyCode("EUR").setUnits(units).build();
    }
}
