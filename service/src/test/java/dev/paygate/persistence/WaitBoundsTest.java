package dev.paygate.persistence;

import static dev.paygate.testing.Fixtures.accountId;
import static dev.paygate.testing.Fixtures.authorize;
import static dev.paygate.testing.Fixtures.newAccount;
import static dev.paygate.testing.StatusDetails.reason;
import static dev.paygate.testing.StatusDetails.retryInfo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import dev.paygate.grpc.CallMetadata;
import dev.paygate.testing.RowLock;
import dev.paygate.testing.RunningService;
import dev.paygate.testing.TestDatabase;
import dev.paygate.v1.AccountServiceGrpc;
import dev.paygate.v1.AuthorizationServiceGrpc;
import dev.paygate.v1.GetAccountRequest;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Every wait inside a call ends with the call's budget: waiting for a pooled connection and
 * waiting for a locked row. The budget comes from Envoy's header and the
 * client waits far longer, so what the client sees is when the service itself gave up.
 */
class WaitBoundsTest {

    private static final long BUDGET_MILLIS = 800;
    /** The pool's connection-timeout: longer than the budget, shorter than the saturation test's budget. */
    private static final long POOL_WAIT_MILLIS = 2000;
    private static TestDatabase database;
    private static RunningService shared;

    /** One service, with two pooled connections (Flyway needs two to start) a test can occupy. */
    private static synchronized RunningService service() {
        if (shared == null) {
            database = TestDatabase.postgres();
            shared = RunningService.start(database, Map.of(
                    "datasources.default.maximum-pool-size", 2,
                    "datasources.default.connection-timeout", POOL_WAIT_MILLIS));
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
    void waitForAConnection_endsWithTheBudget() throws Exception {
        RunningService service = service();
        String account = service.accounts().createAccount(newAccount(100)).getName();
        String other = service.accounts().createAccount(newAccount(100)).getName();

        try (RowLock busy = RowLock.lockAccount(service.dataSource().getConnection(), accountId(account));
             RowLock alsoBusy = RowLock.lockAccount(service.dataSource().getConnection(), accountId(other))) {
            // Once unmeasured: the first failure in a fresh JVM also pays for loading its classes.
            catchThrowableOfType(StatusRuntimeException.class,
                    () -> accountsWithBudget(service, BUDGET_MILLIS).getAccount(get(account)));
            long started = System.nanoTime();
            StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                    () -> accountsWithBudget(service, BUDGET_MILLIS).getAccount(get(account)));
            long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
            // Far from the pool's 2 s wait; the slack above the budget absorbs a pause of this JVM,
            // which hosts the service too (docs/operations.md, "Other figures the code relies on").
            assertThat(elapsed).isBetween(BUDGET_MILLIS * 9 / 10, BUDGET_MILLIS * 5 / 4);
        }
    }

    @Test
    void everyConnectionBusyForThePoolWait_isSaturationWithRetryAdvice() throws Exception {
        RunningService service = service();
        String account = service.accounts().createAccount(newAccount(100)).getName();
        String other = service.accounts().createAccount(newAccount(100)).getName();

        try (RowLock busy = RowLock.lockAccount(service.dataSource().getConnection(), accountId(account));
             RowLock alsoBusy = RowLock.lockAccount(service.dataSource().getConnection(), accountId(other))) {
            StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                    () -> accountsWithBudget(service, 5000).getAccount(get(account)));

            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(reason(e)).isEqualTo("DATABASE_SATURATED");
            assertThat(retryInfo(e)).isPresent();
        }
    }

    @Test
    void waitForALockedAccount_endsWithTheBudget_andFreesTheConnection() throws Exception {
        RunningService service = service();
        String account = service.accounts().createAccount(newAccount(100)).getName();
        Map<String, Object> db = database.properties();

        try (Connection outside = DriverManager.getConnection((String) db.get("datasources.default.url"),
                (String) db.get("datasources.default.username"), (String) db.get("datasources.default.password"));
             RowLock lock = RowLock.lockAccount(outside, accountId(account))) {
            long started = System.nanoTime();
            StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                    () -> AuthorizationServiceGrpc.newBlockingStub(service.channel())
                            .withInterceptors(envoyBudget(BUDGET_MILLIS))
                            .withDeadlineAfter(10, TimeUnit.SECONDS)
                            .createAuthorization(authorize(account, 10)));
            long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
            // Far from the caller's 10 s; the slack above the budget absorbs
            // a pause of this JVM, which hosts the service too.
            assertThat(elapsed).isBetween(BUDGET_MILLIS * 9 / 10, BUDGET_MILLIS * 5 / 4);
            HikariDataSource pool = service.dataSource().unwrap(HikariDataSource.class);
            await().atMost(Duration.ofSeconds(2))
                    .until(() -> pool.getHikariPoolMXBean().getActiveConnections() == 0);
        }
    }

    private static AccountServiceGrpc.AccountServiceBlockingStub accountsWithBudget(RunningService service, long millis) {
        return AccountServiceGrpc.newBlockingStub(service.channel())
                .withInterceptors(envoyBudget(millis))
                .withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private static GetAccountRequest get(String account) {
        return GetAccountRequest.newBuilder().setName(account).build();
    }

    /** What Envoy sends: the route's budget in milliseconds. */
    private static io.grpc.ClientInterceptor envoyBudget(long millis) {
        Metadata headers = new Metadata();
        headers.put(CallMetadata.ENVOY_TIMEOUT_HEADER, Long.toString(millis));
        return MetadataUtils.newAttachHeadersInterceptor(headers);
    }
}
