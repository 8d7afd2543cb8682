package dev.paygate.authorization;

import static dev.paygate.authorization.AuthorizationChecks.get;
import static dev.paygate.authorization.AuthorizationChecks.events;
import static dev.paygate.authorization.AuthorizationChecks.counted;
import static dev.paygate.authorization.AuthorizationChecks.refused;
import static dev.paygate.testing.Fixtures.authorize;
import static dev.paygate.testing.Fixtures.capture;
import static dev.paygate.testing.Fixtures.eur;
import static dev.paygate.testing.Fixtures.newAccount;
import static dev.paygate.testing.Fixtures.voidOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import dev.paygate.testing.Fixtures;
import dev.paygate.testing.RowLock;
import dev.paygate.testing.RunningService;
import dev.paygate.testing.StatusDetails;
import dev.paygate.testing.TestDatabase;
import dev.paygate.v1.Account;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.Authorization.State;
import dev.paygate.v1.CaptureAuthorizationRequest;
import dev.paygate.v1.GetAccountRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.math.BigDecimal;
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
 * Capture in parts: an authorization stays APPROVED, holding what is not captured yet, until a
 * final capture (the default, or the parts reaching the amount) makes it CAPTURED and releases
 * the rest. Never more than the authorized amount is captured, also by captures racing on two
 * replicas of the service that share the database.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CaptureInPartsTest {

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
    void captures_inParts_stayApprovedHoldingTheRest_untilThePartsReachTheAmount() {
        String account = account();
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));

        Authorization first = service.authorizations().captureAuthorization(part(approved, 10));
        assertThat(first.getState()).isEqualTo(State.APPROVED);
        assertThat(first.getCapturedAmount()).isEqualTo(eur(10));
        assertBalances(account, 30, 10);

        Authorization second = service.authorizations().captureAuthorization(part(approved, 25));
        assertThat(second.getState()).isEqualTo(State.APPROVED);
        assertThat(second.getCapturedAmount()).isEqualTo(eur(35));
        assertBalances(account, 5, 35);

        Authorization last = service.authorizations().captureAuthorization(part(approved, 5));
        assertThat(last.getState()).as("the parts reached the amount").isEqualTo(State.CAPTURED);
        assertThat(last.getCapturedAmount()).isEqualTo(eur(40));
        assertBalances(account, 0, 40);
        assertThat(get(service, approved)).isEqualTo(last);
        assertThat(events(service, account, "CAPTURED")).isEqualTo(3);
    }

    @Test
    void finalCapture_ofAPart_releasesTheRestOfTheHold() {
        String account = account();
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));
        service.authorizations().captureAuthorization(part(approved, 10));

        Authorization last = service.authorizations().captureAuthorization(capture(approved.getName()).toBuilder()
                .setAmount(eur(5)).setFinalCapture(true).build());

        assertThat(last.getState()).isEqualTo(State.CAPTURED);
        assertThat(last.getCapturedAmount()).isEqualTo(eur(15));
        assertBalances(account, 0, 15);
    }

    @Test
    void captureWithoutAmount_afterParts_capturesTheRemainder() {
        String account = account();
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));
        service.authorizations().captureAuthorization(part(approved, 10));

        Authorization rest = service.authorizations().captureAuthorization(capture(approved.getName()));

        assertThat(rest.getState()).isEqualTo(State.CAPTURED);
        assertThat(rest.getCapturedAmount()).isEqualTo(eur(40));
        assertBalances(account, 0, 40);
        assertThat(service.authorizations().captureAuthorization(capture(approved.getName())))
                .as("a repeat of the full capture, answered as done").isEqualTo(rest);
        assertBalances(account, 0, 40);
    }

    @Test
    void capture_ofMoreThanTheRemainder_isFailedPreconditionSayingWhatIsLeft_andChangesNothing() {
        String account = account();
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));
        service.authorizations().captureAuthorization(part(approved, 30));

        StatusRuntimeException e = refused(() -> service.authorizations().captureAuthorization(part(approved, 11)));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        ErrorInfo info = StatusDetails.errorInfo(e).orElseThrow();
        assertThat(info.getReason()).isEqualTo("AUTHORIZATION_REMAINDER_EXCEEDED");
        assertThat(info.getMetadataMap()).containsEntry("captured_amount", "30")
                .containsEntry("remaining_amount", "10").containsEntry("currency_code", "EUR");
        assertBalances(account, 10, 30);
        assertThat(get(service, approved).getCapturedAmount()).isEqualTo(eur(30));
    }

    @Test
    void nonFinalCapture_withoutAKey_isInvalidArgument_andChangesNothing() {
        String account = account();
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));

        StatusRuntimeException e = refused(() -> service.authorizations().captureAuthorization(
                part(approved, 10).toBuilder().clearRequestId().build()));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(StatusDetails.detail(e, BadRequest.class).orElseThrow().getFieldViolations(0).getField())
                .isEqualTo("request_id");
        assertBalances(account, 40, 0);
        assertThat(events(service, account, "CAPTURED")).isZero();
    }

    @Test
    void keyedPart_retried_isReplayed_andAnotherBodyWithItsKey_isRefused() {
        String account = account();
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));
        CaptureAuthorizationRequest request = part(approved, 10);
        double captures = counted(service, "paygate.authorizations.captured");
        Authorization first = service.authorizations().captureAuthorization(request);

        assertThat(service.authorizations().captureAuthorization(request)).isEqualTo(first);
        StatusRuntimeException e = refused(() -> service.authorizations().captureAuthorization(
                request.toBuilder().setAmount(eur(11)).build()));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
        assertBalances(account, 30, 10);
        assertThat(events(service, account, "CAPTURED")).isEqualTo(1);
        assertThat(counted(service, "paygate.authorizations.captured")).as("counted once, not for the replay")
                .isEqualTo(captures + 1);
    }

    @Test
    void void_afterAPart_releasesOnlyWhatIsStillHeld() {
        String account = account();
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));
        service.authorizations().captureAuthorization(part(approved, 15));

        Authorization voided = service.authorizations().voidAuthorization(voidOf(approved.getName()));

        assertThat(voided.getState()).isEqualTo(State.VOIDED);
        assertThat(voided.getCapturedAmount()).as("what was captured stays captured").isEqualTo(eur(15));
        assertBalances(account, 0, 15);
    }

    /**
     * Attack: parts of 30 of an authorization of 40 sent together through two replicas, parked
     * behind a lock on the account row (as another replica's transaction would hold it) so that
     * both are in flight at once, then let go. Only one fits; the other is refused, and the
     * authorization, the account and the events agree on 30: no over-capture, no lost update.
     */
    @Test
    void concurrentParts_onTwoReplicas_neverCaptureMoreThanTheAmount_norLoseAnUpdate() throws Exception {
        int rounds = 5;
        String account = account(rounds * 40L);
        List<Object> outcomes = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < rounds; i++) {
                Authorization authorization = service.authorizations().createAuthorization(authorize(account, 40));
                List<Future<Object>> pair = new ArrayList<>();
                try (RowLock lock = RowLock.lockAccount(database.dataSource().getConnection(),
                        Fixtures.accountId(account))) {
                    for (RunningService through : List.of(service, replica)) {
                        pair.add(pool.submit(() -> {
                            try {
                                return through.authorizations().captureAuthorization(part(authorization, 30));
                            } catch (StatusRuntimeException e) {
                                return e;
                            }
                        }));
                    }
                    await().atMost(Duration.ofSeconds(10)).until(() -> lock.waiters() >= 2);
                    lock.release();
                }
                for (Future<Object> result : pair) {
                    outcomes.add(result.get(30, TimeUnit.SECONDS));
                }
                assertThat(get(service, authorization).getCapturedAmount()).isEqualTo(eur(30));
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(outcomes).filteredOn(Authorization.class::isInstance).hasSize(rounds);
        assertThat(outcomes).filteredOn(StatusRuntimeException.class::isInstance).hasSize(rounds)
                .allMatch(e -> ((StatusRuntimeException) e).getStatus().getCode() == Status.Code.FAILED_PRECONDITION);
        assertBalances(account, rounds * 10L, rounds * 30L);
        assertThat(events(service, account, "CAPTURED")).isEqualTo(rounds);
    }

    private CaptureAuthorizationRequest part(Authorization authorization, long units) {
        return capture(authorization.getName()).toBuilder().setAmount(eur(units)).setFinalCapture(false)
                .setRequestId(UUID.randomUUID().toString()).build();
    }

    private String account() {
        return account(100);
    }

    private String account(long limit) {
        return service.accounts().createAccount(newAccount(limit)).getName();
    }

    private void assertBalances(String account, long held, long captured) {
        Account read = service.accounts().getAccount(GetAccountRequest.newBuilder().setName(account).build());
        assertThat(read.getHeld()).as("held").isEqualTo(eur(held));
        assertThat(read.getCaptured()).as("captured").isEqualTo(eur(captured));
        assertThat(BigDecimal.valueOf(Fixtures.count(service.dataSource(),
                "SELECT COALESCE(SUM(captured_amount), 0) FROM authorizations WHERE account_id = ?",
                Fixtures.accountId(account)))).as("captured by its authorizations").isEqualTo(BigDecimal.valueOf(captured));
    }

}
