package dev.paygate.authorization;

import static dev.paygate.testing.Fixtures.authorize;
import static dev.paygate.testing.Fixtures.capture;
import static dev.paygate.testing.Fixtures.newAccount;
import static dev.paygate.testing.Fixtures.voidOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paygate.testing.Fixtures;
import dev.paygate.testing.ManualClock;
import dev.paygate.testing.RunningService;
import dev.paygate.testing.TestDatabase;
import dev.paygate.testing.TestTokens;
import dev.paygate.v1.AuthorizationServiceGrpc;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What each event records, and that an event and its balance change commit or fail together. */
class AuthorizationEventsTest {

    private static final Metadata.Key<String> REQUEST_ID = Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);

    @Test
    void eachChange_recordsTypeActorRequestIdAndBalances_expiryOnNoOnesBehalf() throws Exception {
        try (RunningService service = RunningService.start(TestDatabase.postgres(), Map.of(
                "paygate.test.clock", "manual", "paygate.holds.ttl", "1s"))) {
            String account = service.accounts().createAccount(newAccount(100)).getName();
            String accountId = Fixtures.accountId(account);
            AuthorizationServiceGrpc.AuthorizationServiceBlockingStub payments = service.authorizations()
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(requestId("req-1")));
            String captured = payments.createAuthorization(authorize(account, 30)).getName();
            payments.createAuthorization(authorize(account, 500));  // declined: over the limit
            payments.captureAuthorization(capture(captured));
            String voided = payments.createAuthorization(authorize(account, 10)).getName();
            payments.voidAuthorization(voidOf(voided));
            payments.createAuthorization(authorize(account, 20));
            service.bean(ManualClock.class).advance(Duration.ofSeconds(2));
            service.bean(HoldExpiryJob.class).releaseExpiredHolds();

            assertThat(events(service, accountId)).containsExactly(
                    "1 APPROVED test-client req-1 held 0->30 captured 0->0",
                    "2 DECLINED test-client req-1 held 30->30 captured 0->0",
                    "3 CAPTURED test-client req-1 held 30->0 captured 0->30",
                    "4 APPROVED test-client req-1 held 0->10 captured 30->30",
                    "5 VOIDED test-client req-1 held 10->0 captured 30->30",
                    "6 APPROVED test-client req-1 held 0->20 captured 30->30",
                    "7 EXPIRED   held 20->0 captured 30->30");
        }
    }

    @Test
    void eventThatCannotBeWritten_failsThePayment_andNothingOfItStays() throws Exception {
        try (RunningService service = RunningService.start(TestDatabase.postgres())) {
            String account = service.accounts().createAccount(newAccount(100)).getName();
            try (Connection connection = service.dataSource().getConnection();
                 Statement statement = connection.createStatement()) {
                statement.execute("CREATE FUNCTION refuse_event() RETURNS trigger LANGUAGE plpgsql AS"
                        + " $$ BEGIN RAISE EXCEPTION 'event refused by the test'; END $$");
                statement.execute("CREATE TRIGGER refuse_event BEFORE INSERT ON authorization_events"
                        + " FOR EACH ROW EXECUTE FUNCTION refuse_event()");
            }

            assertThatThrownBy(() -> service.authorizations().createAuthorization(authorize(account, 30)))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL));

            String accountId = Fixtures.accountId(account);
            assertThat(Fixtures.count(service.dataSource(), "SELECT COUNT(*) FROM authorizations WHERE account_id = ?",
                    accountId)).isZero();
            assertThat(Fixtures.count(service.dataSource(), "SELECT COUNT(*) FROM accounts WHERE id = ? AND held = 0",
                    accountId)).isEqualTo(1);
        }
    }

    @Test
    void storedEvent_cannotBeChangedOrDeleted() throws Exception {
        try (RunningService service = RunningService.start(TestDatabase.postgres())) {
            String account = service.accounts().createAccount(newAccount(100)).getName();
            service.authorizations().createAuthorization(authorize(account, 30));
            try (Connection connection = service.dataSource().getConnection();
                 Statement statement = connection.createStatement()) {
                assertThatThrownBy(() -> statement.executeUpdate("UPDATE authorization_events SET held_after = 0"))
                        .isInstanceOf(SQLException.class).hasMessageContaining("append-only");
                assertThatThrownBy(() -> statement.executeUpdate("DELETE FROM authorization_events"))
                        .isInstanceOf(SQLException.class).hasMessageContaining("append-only");
            }
            assertThat(Fixtures.count(service.dataSource(),
                    "SELECT COUNT(*) FROM authorization_events WHERE held_after = 30")).isEqualTo(1);
        }
    }

    @Test
    void overlongRequestId_isCut_andThePaymentGoesThrough() throws Exception {
        try (RunningService service = RunningService.start(TestDatabase.postgres())) {
            String account = service.accounts().createAccount(newAccount(100)).getName();
            AuthorizationServiceGrpc.AuthorizationServiceBlockingStub payments = AuthorizationServiceGrpc
                    .newBlockingStub(service.channelAs(TestTokens.token(TestTokens.DEFAULT_SUBJECT,
                            TestTokens.READ, TestTokens.WRITE)))
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(requestId("r".repeat(4000))))
                    .withDeadlineAfter(10, TimeUnit.SECONDS);

            assertThat(payments.createAuthorization(authorize(account, 30)).getState().name()).isEqualTo("APPROVED");
            assertThat(Fixtures.count(service.dataSource(),
                    "SELECT COUNT(*) FROM authorization_events WHERE request_id = ?", "r".repeat(255))).isEqualTo(1);
        }
    }

    private static Metadata requestId(String id) {
        Metadata headers = new Metadata();
        headers.put(REQUEST_ID, id);
        return headers;
    }

    private static List<String> events(RunningService service, String accountId) throws SQLException {
        List<String> lines = new ArrayList<>();
        try (Connection connection = service.dataSource().getConnection();
             var statement = connection.prepareStatement("SELECT sequence, type, actor, request_id, held_before,"
                     + " held_after, captured_before, captured_after FROM authorization_events WHERE account_id = ?"
                     + " ORDER BY sequence")) {
            statement.setString(1, accountId);
            try (ResultSet row = statement.executeQuery()) {
                while (row.next()) {
                    lines.add(row.getLong(1) + " " + row.getString(2) + " " + row.getString(3) + " " + row.getString(4)
                            + " held " + plain(row, 5) + "->" + plain(row, 6)
                            + " captured " + plain(row, 7) + "->" + plain(row, 8));
                }
            }
        }
        return lines;
    }

    private static String plain(ResultSet row, int column) throws SQLException {
        return row.getBigDecimal(column).stripTrailingZeros().toPlainString();
    }
}
