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
import com.google.type.Money;
import dev.paygate.testing.Fixtures;
import dev.paygate.testing.RowLock;
import dev.paygate.testing.RunningService;
import dev.paygate.testing.StatusDetails;
import dev.paygate.testing.TestDatabase;
import dev.paygate.testing.TestTokens;
import dev.paygate.v1.AdjustAuthorizationRequest;
import dev.paygate.v1.AdjustAuthorizationResponse;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.Authorization.DeclineReason;
import dev.paygate.v1.Authorization.State;
import dev.paygate.v1.AuthorizationServiceGrpc;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * AdjustAuthorization changes an uncaptured authorization's amount: down releases the
 * difference, up is decided like a new payment of the difference and, declined, leaves the hold
 * as it was and says why in the answer. At most {@code paygate.holds.max-adjustments} (2 here),
 * also when adjustments race on two replicas, and never past the credit limit.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdjustAuthorizationTest {

    private static final int MAX_ADJUSTMENTS = 2;

    private TestDatabase database;
    private RunningService service;
    private RunningService replica;

    @BeforeAll
    void start() {
        database = TestDatabase.postgres();
        Map<String, Object> settings = Map.of("paygate.holds.max-adjustments", MAX_ADJUSTMENTS);
        service = RunningService.start(database, settings);
        replica = RunningService.start(database, settings);
    }

    @AfterAll
    void stop() throws InterruptedException {
        replica.close();
        service.close();
    }

    @Test
    void adjustDown_releasesTheDifference() {
        String account = account(100);
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));

        AdjustAuthorizationResponse adjusted = service.authorizations().adjustAuthorization(adjust(approved, eur(25)));

        assertThat(adjusted.getDeclineReason()).isEqualTo(DeclineReason.DECLINE_REASON_UNSPECIFIED);
        assertThat(adjusted.getAuthorization().getAmount()).isEqualTo(eur(25));
        assertThat(adjusted.getAuthorization().getState()).isEqualTo(State.APPROVED);
        assertThat(get(service, approved)).isEqualTo(adjusted.getAuthorization());
        assertThat(balances(service, account).getHeld()).isEqualTo(eur(25));
        assertThat(events(service, account, "ADJUSTED")).isEqualTo(1);
    }

    @Test
    void adjustUp_withinTheAvailableCredit_holdsTheDifference() {
        String account = account(100);
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));

        AdjustAuthorizationResponse adjusted = service.authorizations().adjustAuthorization(adjust(approved, eur(100)));

        assertThat(adjusted.getDeclineReason()).isEqualTo(DeclineReason.DECLINE_REASON_UNSPECIFIED);
        assertThat(adjusted.getAuthorization().getAmount()).isEqualTo(eur(100));
        assertThat(balances(service, account).getHeld()).isEqualTo(eur(100));
        assertThat(balances(service, account).getAvailable()).isEqualTo(eur(0));
    }

    @Test
    void adjustUp_pastTheAvailableCredit_isDeclinedWithAReason_andTheHoldIsUntouched() {
        String account = account(100);
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));

        AdjustAuthorizationResponse declined = service.authorizations().adjustAuthorization(adjust(approved, eur(101)));

        assertThat(declined.getDeclineReason()).isEqualTo(DeclineReason.INSUFFICIENT_FUNDS);
        assertThat(declined.getAuthorization()).isEqualTo(approved);
        assertThat(get(service, approved)).isEqualTo(approved);
        assertThat(balances(service, account).getHeld()).isEqualTo(eur(40));
        assertThat(events(service, account, "ADJUSTMENT_DECLINED")).isEqualTo(1);
    }

    @Test
    void oneAdjustmentPastTheMaximum_isFailedPrecondition_declinedOnesCounting() {
        String account = account(100);
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));
        service.authorizations().adjustAuthorization(adjust(approved, eur(30)));
        service.authorizations().adjustAuthorization(adjust(approved, eur(500)));

        StatusRuntimeException e = refused(() -> service.authorizations().adjustAuthorization(adjust(approved, eur(20))));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        ErrorInfo info = StatusDetails.errorInfo(e).orElseThrow();
        assertThat(info.getReason()).isEqualTo("AUTHORIZATION_ADJUSTMENT_LIMIT");
        assertThat(info.getMetadataMap()).containsEntry("max_adjustments", "2");
        assertThat(get(service, approved).getAmount()).isEqualTo(eur(30));
        assertThat(balances(service, account).getHeld()).isEqualTo(eur(30));
    }

    @Test
    void adjustment_toTheAmountItHas_isAnsweredAsItIs_andCountsNothing() {
        String account = account(100);
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));
        AdjustAuthorizationRequest unkeyed = adjust(approved, eur(30)).toBuilder().clearRequestId().build();
        double adjustments = counted(service, "paygate.authorizations.adjusted");
        AdjustAuthorizationResponse first = service.authorizations().adjustAuthorization(unkeyed);

        for (int i = 0; i < MAX_ADJUSTMENTS + 1; i++) {
            assertThat(service.authorizations().adjustAuthorization(unkeyed)).isEqualTo(first);
        }
        assertThat(events(service, account, "ADJUSTED")).isEqualTo(1);
        assertThat(balances(service, account).getHeld()).isEqualTo(eur(30));
        assertThat(counted(service, "paygate.authorizations.adjusted")).as("counted once").isEqualTo(adjustments + 1);
    }

    @Test
    void adjustment_ofAPartlyCapturedAuthorization_isFailedPrecondition() {
        String account = account(100);
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));
        service.authorizations().captureAuthorization(capture(approved.getName()).toBuilder().setAmount(eur(10))
                .setFinalCapture(false).setRequestId(UUID.randomUUID().toString()).build());

        StatusRuntimeException e = refused(() -> service.authorizations().adjustAuthorization(adjust(approved, eur(50))));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(StatusDetails.errorInfo(e).orElseThrow().getReason()).isEqualTo("AUTHORIZATION_CAPTURED_IN_PART");
        assertThat(balances(service, account).getHeld()).isEqualTo(eur(30));
    }

    @Test
    void adjustment_inAnotherCurrency_isInvalidArgument_andChangesNothing() {
        String account = account(100);
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));

        StatusRuntimeException e = refused(() -> service.authorizations().adjustAuthorization(adjust(approved,
                Money.newBuilder().setCurrencyCode("USD").setUnits(30).build())));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(StatusDetails.detail(e, BadRequest.class).orElseThrow().getFieldViolations(0).getField())
                .isEqualTo("amount.currency_code");
        assertThat(get(service, approved)).isEqualTo(approved);
    }

    @Test
    void adjustment_ofAnotherOwnersAuthorization_isPermissionDenied() {
        String account = account(100);
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));
        AuthorizationServiceGrpc.AuthorizationServiceBlockingStub stranger = AuthorizationServiceGrpc.newBlockingStub(
                service.channelAs(TestTokens.token("someone-else", TestTokens.READ, TestTokens.WRITE)))
                .withDeadlineAfter(10, TimeUnit.SECONDS);

        StatusRuntimeException e = refused(() -> stranger.adjustAuthorization(adjust(approved, eur(10))));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(get(service, approved)).isEqualTo(approved);
    }

    /**
     * Attack: two authorizations of 40 on a limit of 100 both adjusted up to 60 at once, through
     * two replicas, parked behind the account's row lock: only one difference of 20 fits. The
     * other is declined, and held never passes the limit.
     */
    @Test
    void increasesRacingPastTheCreditLimit_onTwoReplicas_approveOnlyWhatFits() throws Exception {
        String account = account(100);
        Authorization first = service.authorizations().createAuthorization(authorize(account, 40));
        Authorization second = service.authorizations().createAuthorization(authorize(account, 40));

        List<Object> outcomes = race(account,
                () -> service.authorizations().adjustAuthorization(adjust(first, eur(60))),
                () -> replica.authorizations().adjustAuthorization(adjust(second, eur(60))));

        assertThat(outcomes).allMatch(AdjustAuthorizationResponse.class::isInstance);
        assertThat(outcomes).extracting(o -> ((AdjustAuthorizationResponse) o).getDeclineReason())
                .containsExactlyInAnyOrder(DeclineReason.DECLINE_REASON_UNSPECIFIED, DeclineReason.INSUFFICIENT_FUNDS);
        assertThat(balances(service, account).getHeld()).isEqualTo(eur(100));
        assertThat(get(service, first).getAmount().getUnits() + get(service, second).getAmount().getUnits()).isEqualTo(100);
    }

    /** Attack: the last allowed adjustment sent twice at once through two replicas: one is made. */
    @Test
    void adjustmentsRacingForTheLastAllowedOne_onTwoReplicas_makeOnlyOne() throws Exception {
        String account = account(100);
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));
        service.authorizations().adjustAuthorization(adjust(approved, eur(35)));

        List<Object> outcomes = race(account,
                () -> service.authorizations().adjustAuthorization(adjust(approved, eur(30))),
                () -> replica.authorizations().adjustAuthorization(adjust(approved, eur(20))));

        assertThat(outcomes).filteredOn(AdjustAuthorizationResponse.class::isInstance).hasSize(1);
        assertThat(outcomes).filteredOn(StatusRuntimeException.class::isInstance).singleElement()
                .extracting(e -> StatusDetails.errorInfo((StatusRuntimeException) e).orElseThrow().getReason())
                .isEqualTo("AUTHORIZATION_ADJUSTMENT_LIMIT");
        assertThat(events(service, account, "ADJUSTED")).isEqualTo(MAX_ADJUSTMENTS);
        assertThat(balances(service, account).getHeld()).isEqualTo(get(service, approved).getAmount());
    }

    /** Sends both calls while another transaction holds the account's row, then lets them go together. */
    private List<Object> race(String account, Supplier<Object> one, Supplier<Object> other) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (RowLock lock = RowLock.lockAccount(database.dataSource().getConnection(), Fixtures.accountId(account))) {
            List<Future<Object>> calls = new ArrayList<>();
            for (Supplier<Object> call : List.of(one, other)) {
                calls.add(pool.submit(() -> {
                    try {
                        return call.get();
                    } catch (StatusRuntimeException e) {
                        return e;
                    }
                }));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> lock.waiters() >= 2);
            lock.release();
            List<Object> outcomes = new ArrayList<>();
            for (Future<Object> call : calls) {
                outcomes.add(call.get(30, TimeUnit.SECONDS));
            }
            return outcomes;
        } finally {
            pool.shutdownNow();
        }
    }

    private static AdjustAuthorizationRequest adjust(Authorization authorization, Money amount) {
        return AdjustAuthorizationRequest.newBuilder().setName(authorization.getName()).setAmount(amount)
                .setRequestId(UUID.randomUUID().toString()).build();
    }

    private String account(long limit) {
        return service.accounts().createAccount(newAccount(limit)).getName();
    }

}
