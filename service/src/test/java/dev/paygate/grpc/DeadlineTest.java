package dev.paygate.grpc;

import static dev.paygate.testing.Fixtures.accountId;
import static dev.paygate.testing.Fixtures.authorize;
import static dev.paygate.testing.Fixtures.newAccount;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import dev.paygate.testing.Fixtures;
import dev.paygate.testing.RowLock;
import dev.paygate.testing.RunningService;
import dev.paygate.testing.StatusDetails;
import dev.paygate.testing.TestDatabase;
import dev.paygate.v1.AccountServiceGrpc;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.AuthorizationServiceGrpc;
import dev.paygate.v1.GetAccountRequest;
import dev.paygate.v1.ListAuthorizationsRequest;
import io.grpc.ClientInterceptor;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Every call runs under a deadline, and a call that runs out of time or is cancelled changes
 * nothing: not when it fails fast, not when it is stopped while waiting on a locked account.
 */
class DeadlineTest {

    private static final String CREATE_AUTHORIZATION = "paygate.v1.AuthorizationService/CreateAuthorization";
    private static final String GET_ACCOUNT = "paygate.v1.AccountService/GetAccount";
    private static final String LIST_AUTHORIZATIONS = "paygate.v1.AuthorizationService/ListAuthorizations";
    private static RunningService shared;

    /** One service shared by this class's tests (each uses its own account). */
    private static synchronized RunningService service() {
        if (shared == null) {
            shared = RunningService.start(TestDatabase.postgres());
        }
        return shared;
    }

    @AfterAll
    static void stopService() throws InterruptedException {
        if (shared != null) {
            shared.close();
            shared = null;
        }
    }

    @Test
    void authorize_withoutClientDeadline_succeedsUnderServiceDefaultBudget() {
        RunningService service = service();
        String account = service.accounts().createAccount(newAccount(100)).getName();

        Authorization authorization = AuthorizationServiceGrpc.newBlockingStub(service.channel())
                .createAuthorization(authorize(account, 10));

        assertThat(authorization.getState()).isEqualTo(Authorization.State.APPROVED);
        DistributionSummary budget = budget(service, "service_default", CREATE_AUTHORIZATION);
        assertThat(budget).as("budget recorded for a call without deadline").isNotNull();
        assertThat(budget.count()).isEqualTo(1);
        // The configured default is 5 s; the call saw (almost) all of it.
        assertThat(budget.max()).isBetween(4000.0, 5000.0);
    }

    @Test
    void authorize_withFiveMillisecondDeadline_failsWithDeadlineExceededAndChangesNothing() {
        RunningService service = service();
        String account = service.accounts().createAccount(newAccount(100)).getName();

        StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class,
                () -> AuthorizationServiceGrpc.newBlockingStub(service.channel())
                        .withDeadlineAfter(5, TimeUnit.MILLISECONDS)
                        .createAuthorization(authorize(account, 10)));

        assertThat(error).isNotNull();
        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        // Either the client gave up first (no details), or the server refused the call up front.
        assertThat(StatusDetails.reason(error)).isIn("", "DEADLINE_TOO_SHORT");
        assertNothingWrittenFor(service, account, Duration.ofMillis(300));
    }

    @Test
    void authorize_withDeadlineBelowMinimumBudget_failsFastWithDeadlineTooShortAndChangesNothing()
            throws InterruptedException {
        try (RunningService service = RunningService.start(TestDatabase.postgres(),
                Map.of("paygate.deadlines.minimum-budget", "2s"))) {
            String account = service.accounts().createAccount(newAccount(100)).getName();

            long started = System.nanoTime();
            StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class,
                    () -> AuthorizationServiceGrpc.newBlockingStub(service.channel())
                            .withDeadlineAfter(1, TimeUnit.SECONDS)
                            .createAuthorization(authorize(account, 10)));
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

            assertThat(error).isNotNull();
            assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
            assertThat(StatusDetails.reason(error)).isEqualTo("DEADLINE_TOO_SHORT");
            assertThat(tookMillis).as("answered before the client's own deadline").isLessThan(900);
            Counter rejected = service.meters().find("paygate.call.deadline.rejected")
                    .tag("method", CREATE_AUTHORIZATION).counter();
            assertThat(rejected).isNotNull();
            assertThat(rejected.count()).isEqualTo(1.0);
            assertNothingWrittenFor(service, account, Duration.ZERO);
        }
    }

    @Test
    void authorize_withEnvoyRouteTimeoutHeader_runsUnderEnvoyBudget() {
        RunningService service = service();
        String account = service.accounts().createAccount(newAccount(100)).getName();

        Authorization authorization = AuthorizationServiceGrpc.newBlockingStub(service.channel())
                .withInterceptors(envoyBudget("1500"))
                .createAuthorization(authorize(account, 10));

        assertThat(authorization.getState()).isEqualTo(Authorization.State.APPROVED);
        DistributionSummary budget = budget(service, "envoy_route", CREATE_AUTHORIZATION);
        assertThat(budget).as("budget recorded with source envoy_route").isNotNull();
        assertThat(budget.count()).isEqualTo(1);
        assertThat(budget.max()).isGreaterThan(1000.0).isLessThanOrEqualTo(1500.0);
    }

    @Test
    void getAccount_withEnvoyBudgetShorterThanGrpcDeadline_runsUnderEnvoyBudget() {
        RunningService service = service();
        String account = service.accounts().createAccount(newAccount(100)).getName();

        // Envoy's per-try budget (1.5 s) is shorter than the whole call's grpc-timeout (10 s).
        getAccountWithEnvoyBudget(service, account, "1500", 10_000);

        DistributionSummary budget = budget(service, "envoy_route", GET_ACCOUNT);
        assertThat(budget).isNotNull();
        assertThat(budget.count()).isEqualTo(1);
        assertThat(budget.max()).isGreaterThan(1000.0).isLessThanOrEqualTo(1500.0);
    }

    @Test
    void listAuthorizations_withGrpcDeadlineShorterThanEnvoyBudget_runsUnderGrpcDeadline() {
        RunningService service = service();
        String account = service.accounts().createAccount(newAccount(100)).getName();

        AuthorizationServiceGrpc.newBlockingStub(service.channel())
                .withInterceptors(envoyBudget("60000"))
                .withDeadlineAfter(2, TimeUnit.SECONDS)
                .listAuthorizations(ListAuthorizationsRequest.newBuilder().setParent(account).build());

        assertThat(budget(service, "envoy_route", LIST_AUTHORIZATIONS))
                .as("the longer Envoy budget is not the one used").isNull();
        DistributionSummary budget = budget(service, "grpc_timeout", LIST_AUTHORIZATIONS);
        assertThat(budget).isNotNull();
        assertThat(budget.count()).isEqualTo(1);
        assertThat(budget.max()).isGreaterThan(1000.0).isLessThanOrEqualTo(2000.0);
    }

    private static void getAccountWithEnvoyBudget(RunningService service, String account, String envoyMillis,
                                                  long deadlineMillis) {
        AccountServiceGrpc.newBlockingStub(service.channel())
                .withInterceptors(envoyBudget(envoyMillis))
                .withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS)
                .getAccount(GetAccountRequest.newBuilder().setName(account).build());
    }

    @Test
    void getAccount_withAnHourLongDeadline_runsUnderTheMaximumBudget() {
        RunningService service = service();
        String account = service.accounts().createAccount(newAccount(100)).getName();

        AccountServiceGrpc.newBlockingStub(service.channel())
                .withDeadlineAfter(1, TimeUnit.HOURS)
                .getAccount(GetAccountRequest.newBuilder().setName(account).build());

        DistributionSummary budget = budget(service, "grpc_timeout", GET_ACCOUNT);
        assertThat(budget).isNotNull();
        assertThat(budget.max()).isGreaterThan(29_000.0).isLessThanOrEqualTo(30_000.0);
    }

    @Test
    void getAccount_withMalformedEnvoyRouteTimeoutHeader_fallsBackToServiceDefaultBudget() {
        RunningService service = service();
        String account = service.accounts().createAccount(newAccount(100)).getName();

        AccountServiceGrpc.newBlockingStub(service.channel())
                .withInterceptors(envoyBudget("soon"))
                .getAccount(GetAccountRequest.newBuilder().setName(account).build());

        DistributionSummary budget = budget(service, "service_default", GET_ACCOUNT);
        assertThat(budget).isNotNull();
        assertThat(budget.count()).isEqualTo(1);
        assertThat(budget.max()).isBetween(4000.0, 5000.0);
    }

    @Test
    void authorize_cancelledByClientWhileWaitingForAccountLock_changesNothing() throws Exception {
        RunningService service = service();
        String account = service.accounts().createAccount(newAccount(100)).getName();

        try (RowLock lock = RowLock.lockAccount(service.dataSource().getConnection(), accountId(account))) {
            ListenableFuture<Authorization> call = AuthorizationServiceGrpc.newFutureStub(service.channel())
                    .withDeadlineAfter(30, TimeUnit.SECONDS)
                    .createAuthorization(authorize(account, 10));
            lock.awaitWaiter();

            assertThat(call.cancel(true)).isTrue();
            assertThatThrownBy(call::get).isInstanceOf(CancellationException.class);
            releaseOnceTheServerSawTheCallEnd(service, account, lock);
        }
        assertNothingWrittenFor(service, account, Duration.ofMillis(500));
    }

    @Test
    void authorize_deadlinePassesWhileWaitingForAccountLock_failsWithDeadlineExceededAndChangesNothing()
            throws Exception {
        RunningService service = service();
        String account = service.accounts().createAccount(newAccount(100)).getName();

        try (RowLock lock = RowLock.lockAccount(service.dataSource().getConnection(), accountId(account))) {
            ListenableFuture<Authorization> call = AuthorizationServiceGrpc.newFutureStub(service.channel())
                    .withDeadlineAfter(1, TimeUnit.SECONDS)
                    .createAuthorization(authorize(account, 10));
            lock.awaitWaiter();

            ExecutionException failure = catchThrowableOfType(ExecutionException.class,
                    () -> call.get(5, TimeUnit.SECONDS));

            assertThat(failure).isNotNull();
            assertThat(Status.fromThrowable(failure.getCause()).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
            releaseOnceTheServerSawTheCallEnd(service, account, lock);
        }
        assertNothingWrittenFor(service, account, Duration.ofMillis(500));
    }

    /**
     * The client's cancel (or its deadline's cancel) is only a frame on the wire, and the server's
     * own deadline starts when the call arrives, a little after the client's: a client that gave
     * up does not yet mean a server that did. Release the lock only once the server has seen the
     * end of the call. The server handles a connection's frames in order, so a later call on the
     * same channel that got its answer proves the cancel arrived first.
     */
    private static void releaseOnceTheServerSawTheCallEnd(RunningService service, String account, RowLock lock) {
        service.accounts().getAccount(GetAccountRequest.newBuilder().setName(account).build());
        // PostgreSQL aborts the statement waiting for the lock as soon as the call ends.
        await().atMost(Duration.ofSeconds(5)).until(() -> lock.waiters() == 0);
        lock.release();
        await().atMost(Duration.ofSeconds(5)).until(() -> lock.waiters() == 0);
    }

    /** No authorization row and nothing held on the account, checked for {@code during}. */
    private static void assertNothingWrittenFor(RunningService service, String account, Duration during) {
        Runnable nothingWritten = () -> {
            assertThat(Fixtures.count(service.dataSource(),
                    "SELECT COUNT(*) FROM authorizations WHERE account_id = ?", accountId(account))).isZero();
            var balances = service.accounts().getAccount(GetAccountRequest.newBuilder().setName(account).build());
            assertThat(balances.getHeld().getUnits()).isZero();
            assertThat(balances.getHeld().getNanos()).isZero();
            assertThat(balances.getAvailable().getUnits()).isEqualTo(100);
        };
        if (during.isZero()) {
            nothingWritten.run();
            return;
        }
        await().during(during).atMost(during.plusSeconds(2)).pollInterval(Duration.ofMillis(50))
                .untilAsserted(nothingWritten::run);
    }

    /** What Envoy sends a REST call: the route's per-try budget in milliseconds. */
    private static ClientInterceptor envoyBudget(String millis) {
        Metadata headers = new Metadata();
        headers.put(CallMetadata.ENVOY_TIMEOUT_HEADER, millis);
        return MetadataUtils.newAttachHeadersInterceptor(headers);
    }

    /** The budgets the service recorded for one method and deadline source, or null if none. */
    private static DistributionSummary budget(RunningService service, String source, String method) {
        return service.meters().find("paygate.call.budget").tag("source", source).tag("method", method).summary();
    }
}
