package dev.paygate.authorization;

import static dev.paygate.authorization.AuthorizationChecks.get;
import static dev.paygate.authorization.AuthorizationChecks.balances;
import static dev.paygate.authorization.AuthorizationChecks.events;
import static dev.paygate.authorization.AuthorizationChecks.counted;
import static dev.paygate.authorization.AuthorizationChecks.refused;
import static dev.paygate.testing.Fixtures.authorize;
import static dev.paygate.testing.Fixtures.capture;
import static dev.paygate.testing.Fixtures.eur;
import static dev.paygate.testing.Fixtures.newAccount;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import dev.paygate.testing.Fixtures;
import dev.paygate.testing.RowLock;
import dev.paygate.testing.RunningService;
import dev.paygate.testing.StatusDetails;
import dev.paygate.testing.TestDatabase;
import dev.paygate.testing.TestTokens;
import dev.paygate.v1.Account;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.Authorization.State;
import dev.paygate.v1.AuthorizationServiceGrpc;
import dev.paygate.v1.ReverseAuthorizationRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * ReverseAuthorization releases part or all of what an authorization still holds: a part lowers
 * its amount and keeps it APPROVED, all of it voids it. Never more than is held is released,
 * also when a reversal and a capture race on two replicas.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReverseAuthorizationTest {

    private TestDatabase database;
    private RunningService service;
    private RunningService replica;

    @BeforeAll
    void start() {
        database = TestDatabase.postgres();
        service = RunningService.start(database);
        replica = RunningService.start(database);
    }

    @AfterAll
    void stop() throws InterruptedException {
        replica.close();
        service.close();
    }

    @Test
    void reversePart_lowersTheAmount_releasesThatMuch_andStaysApproved() {
        String account = account();
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));

        Authorization reversed = service.authorizations().reverseAuthorization(part(approved, 15));

        assertThat(reversed.getState()).isEqualTo(State.APPROVED);
        assertThat(reversed.getAmount()).isEqualTo(eur(25));
        assertThat(get(service, approved)).isEqualTo(reversed);
        assertBalances(account, 25, 0);
        assertThat(events(service, account, "REVERSED")).isEqualTo(1);
        Authorization captured = service.authorizations().captureAuthorization(capture(approved.getName()));
        assertThat(captured.getCapturedAmount()).as("a capture takes at most what is left").isEqualTo(eur(25));
        assertBalances(account, 0, 25);
    }

    @Test
    void reverseWithoutAmount_voids_releasingWhatIsLeftAfterACapturedPart() {
        String account = account();
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));
        service.authorizations().captureAuthorization(capture(approved.getName()).toBuilder().setAmount(eur(10))
                .setFinalCapture(false).setRequestId(UUID.randomUUID().toString()).build());

        Authorization voided = service.authorizations().reverseAuthorization(
                ReverseAuthorizationRequest.newBuilder().setName(approved.getName()).build());

        assertThat(voided.getState()).isEqualTo(State.VOIDED);
        assertThat(voided.getCapturedAmount()).isEqualTo(eur(10));
        assertBalances(account, 0, 10);
        assertThat(events(service, account, "VOIDED")).isEqualTo(1);
        assertThat(service.authorizations().reverseAuthorization(
                ReverseAuthorizationRequest.newBuilder().setName(approved.getName()).build()))
                .as("a repeat of the whole reversal, answered as done").isEqualTo(voided);
        assertBalances(account, 0, 10);
    }

    @Test
    void reverse_ofMoreThanIsHeld_isFailedPrecondition_andChangesNothing() {
        String account = account();
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));

        StatusRuntimeException e = refused(() -> service.authorizations().reverseAuthorization(part(approved, 41)));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        ErrorInfo info = StatusDetails.errorInfo(e).orElseThrow();
        assertThat(info.getReason()).isEqualTo("AUTHORIZATION_REMAINDER_EXCEEDED");
        assertThat(info.getMetadataMap()).containsEntry("remaining_amount", "40");
        assertBalances(account, 40, 0);
        assertThat(get(service, approved)).isEqualTo(approved);
    }

    @Test
    void reversePart_withoutAKey_isInvalidArgument_andChangesNothing() {
        String account = account();
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));

        StatusRuntimeException e = refused(() -> service.authorizations().reverseAuthorization(
                part(approved, 10).toBuilder().clearRequestId().build()));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(StatusDetails.detail(e, BadRequest.class).orElseThrow().getFieldViolations(0).getField())
                .isEqualTo("request_id");
        assertBalances(account, 40, 0);
    }

    @Test
    void reverse_ofACapturedAuthorization_isFailedPrecondition() {
        String account = account();
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));
        service.authorizations().captureAuthorization(capture(approved.getName()));

        StatusRuntimeException e = refused(() -> service.authorizations().reverseAuthorization(part(approved, 10)));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(StatusDetails.errorInfo(e).orElseThrow().getReason()).isEqualTo("AUTHORIZATION_NOT_APPROVED");
        assertBalances(account, 0, 40);
    }

    @Test
    void reverse_ofAnotherOwnersAuthorization_isPermissionDenied_andChangesNothing() {
        String account = account();
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));
        AuthorizationServiceGrpc.AuthorizationServiceBlockingStub stranger = AuthorizationServiceGrpc.newBlockingStub(
                service.channelAs(TestTokens.token("someone-else", TestTokens.READ, TestTokens.WRITE)))
                .withDeadlineAfter(10, TimeUnit.SECONDS);

        StatusRuntimeException e = refused(() -> stranger.reverseAuthorization(part(approved, 10)));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertBalances(account, 40, 0);
    }

    @Test
    void keyedReversal_retried_isReplayed_andAnotherBodyWithItsKey_isRefused() {
        String account = account();
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));
        ReverseAuthorizationRequest request = part(approved, 10);
        double reversals = counted(service, "paygate.authorizations.reversed");
        Authorization first = service.authorizations().reverseAuthorization(request);

        assertThat(service.authorizations().reverseAuthorization(request)).isEqualTo(first);
        StatusRuntimeException e = refused(() -> service.authorizations().reverseAuthorization(
                request.toBuilder().setAmount(eur(5)).build()));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
        assertBalances(account, 30, 0);
        assertThat(events(service, account, "REVERSED")).isEqualTo(1);
        assertThat(counted(service, "paygate.authorizations.reversed")).as("counted once, not for the replay")
                .isEqualTo(reversals + 1);
    }

    /**
     * Attack: a reversal of 30 and a capture of 30 of an authorization of 40, sent together
     * through two replicas, parked behind the account's row lock, then let go. Only one fits; what
     * is held and captured adds up to at most 40, and the authorization agrees with the account.
     */
    @Test
    void reversalRacingACapture_onTwoReplicas_neverReleasesOrCapturesMoreThanWasHeld() throws Exception {
        String account = account();
        Authorization authorization = service.authorizations().createAuthorization(authorize(account, 40));
        List<Future<Object>> pair = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (RowLock lock = RowLock.lockAccount(database.dataSource().getConnection(), Fixtures.accountId(account))) {
            pair.add(pool.submit(() -> outcome(() -> service.authorizations().reverseAuthorization(
                    part(authorization, 30)))));
            pair.add(pool.submit(() -> outcome(() -> replica.authorizations().captureAuthorization(
                    capture(authorization.getName()).toBuilder().setAmount(eur(30)).setFinalCapture(false)
                            .setRequestId(UUID.randomUUID().toString()).build()))));
            await().atMost(Duration.ofSeconds(10)).until(() -> lock.waiters() >= 2);
            lock.release();
            List<Object> outcomes = new ArrayList<>();
            for (Future<Object> result : pair) {
                outcomes.add(result.get(30, TimeUnit.SECONDS));
            }
            assertThat(outcomes).filteredOn(Authorization.class::isInstance).hasSize(1);
            // The capture after the reversal asks for more than the amount now (INVALID_ARGUMENT, as
            // ever); the reversal after the capture for more than is left (FAILED_PRECONDITION).
            assertThat(outcomes).filteredOn(StatusRuntimeException.class::isInstance).singleElement()
                    .extracting(e -> ((StatusRuntimeException) e).getStatus().getCode())
                    .isIn(Status.Code.FAILED_PRECONDITION, Status.Code.INVALID_ARGUMENT);
        } finally {
            pool.shutdownNow();
        }
        Authorization after = get(service, authorization);
        Account balances = balances(service, account);
        long held = balances.getHeld().getUnits();
        long captured = balances.getCaptured().getUnits();
        assertThat(held + captured).isLessThanOrEqualTo(40);
        assertThat(after.getAmount().getUnits() - after.getCapturedAmount().getUnits()).isEqualTo(held);
        assertThat(after.getCapturedAmount().getUnits()).isEqualTo(captured);
    }

    private static Object outcome(java.util.function.Supplier<Authorization> call) {
        try {
            return call.get();
        } catch (StatusRuntimeException e) {
            return e;
        }
    }

    private static ReverseAuthorizationRequest part(Authorization authorization, long units) {
        return ReverseAuthorizationRequest.newBuilder().setName(authorization.getName()).setAmount(eur(units))
                .setRequestId(UUID.randomUUID().toString()).build();
    }

    private String account() {
        return service.accounts().createAccount(newAccount(100)).getName();
    }

    private void assertBalances(String account, long held, long captured) {
        Account read = balances(service, account);
        assertThat(read.getHeld()).as("held").isEqualTo(eur(held));
        assertThat(read.getCaptured()).as("captured").isEqualTo(eur(captured));
    }

}
