package dev.paygate.authorization;

import static dev.paygate.testing.Fixtures.authorize;
import static dev.paygate.testing.Fixtures.eur;
import static dev.paygate.testing.Fixtures.newAccount;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Timestamp;
import dev.paygate.testing.Fixtures;
import dev.paygate.testing.ManualClock;
import dev.paygate.testing.RunningService;
import dev.paygate.testing.TestDatabase;
import dev.paygate.testing.TestTokens;
import dev.paygate.v1.AdjustAuthorizationRequest;
import dev.paygate.v1.AuthorizationServiceGrpc;
import dev.paygate.v1.CaptureAuthorizationRequest;
import dev.paygate.v1.CreateAuthorizationRequest;
import dev.paygate.v1.ExtendAuthorizationRequest;
import dev.paygate.v1.GetAuthorizationRequest;
import dev.paygate.v1.ReverseAuthorizationRequest;
import dev.paygate.v1.VoidAuthorizationRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * The event log agrees with the balance, whatever happens to an account: over random sequences of
 * payments, captures (whole, partial and final, and parts that keep the authorization open), voids,
 * partial reversals, adjustments (up, down, declined, past their maximum), extensions, expiries in calls and by the sweep, keyed
 * retries, refused calls and another owner's attempts, after every step the account's stored held
 * and captured equal the sum of its events' changes and its latest event's after, events are
 * numbered 1..n with each one's before equal to the previous one's after, and a call that
 * changed nothing (refused, declined by an error, replayed) added no event. And the balance
 * agrees with the authorizations: held is what the APPROVED ones still hold (amount less captured
 * parts), captured is the sum of their captured amounts, and none captured more than its amount.
 */
class AuthorizationEventsPropertiesTest {

    private static RunningService service;
    private static ManualClock clock;
    private static AuthorizationServiceGrpc.AuthorizationServiceBlockingStub stranger;

    @BeforeContainer
    static void start() {
        service = RunningService.start(TestDatabase.postgres(), Map.of(
                "paygate.test.clock", "manual",
                "paygate.holds.ttl", "2s"));
        clock = service.bean(ManualClock.class);
        stranger = AuthorizationServiceGrpc.newBlockingStub(service.channelAs(
                TestTokens.token("someone-else", TestTokens.READ, TestTokens.WRITE)))
                .withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    @AfterContainer
    static void stop() throws InterruptedException {
        service.close();
    }

    /** One step a client, another owner, time or the sweep takes. */
    sealed interface Step permits Create, KeyedRetry, Capture, Void, Reverse, Adjust, Extend, Stranger, Advance,
            Sweep { }

    record Create(long units) implements Step { }

    /** The last keyed create, sent again with its key: a replay, which must add nothing. */
    record KeyedRetry() implements Step { }

    /**
     * Captures the n-th authorization (modulo how many there are): all that is left of it, or
     * {@code units} of it; a final capture, or (keyed) a part that keeps it open.
     */
    record Capture(int n, long units, boolean keepOpen) implements Step { }

    record Void(int n) implements Step { }

    /** Reverses (keyed) {@code units} of what the n-th authorization holds. */
    record Reverse(int n, long units) implements Step { }

    /** Adjusts (unkeyed) the n-th authorization's amount to {@code units}: up, down, declined or refused. */
    record Adjust(int n, long units) implements Step { }

    /** Moves the n-th authorization's expire_time {@code millis} later (refused once it expired). */
    record Extend(int n, long millis) implements Step { }

    /** Another owner tries to capture the n-th authorization. */
    record Stranger(int n) implements Step { }

    record Advance(long millis) implements Step { }

    record Sweep() implements Step { }

    @Property(tries = 40)
    void eventsAddUpToTheBalance_afterEveryStep(@ForAll("steps") List<Step> steps) {
        String account = service.accounts().createAccount(newAccount(100)).getName();
        String accountId = Fixtures.accountId(account);
        List<String> authorizations = new ArrayList<>();
        CreateAuthorizationRequest lastKeyed = null;
        for (Step step : steps) {
            long eventsBefore = eventCount(accountId);
            boolean changedNothing = false;
            try {
                if (step instanceof Create create) {
                    lastKeyed = authorize(account, create.units()).toBuilder()
                            .setRequestId(UUID.randomUUID().toString()).build();
                    authorizations.add(service.authorizations().createAuthorization(lastKeyed).getName());
                } else if (step instanceof KeyedRetry && lastKeyed != null) {
                    changedNothing = true;
                    service.authorizations().createAuthorization(lastKeyed);
                } else if (step instanceof Capture capture && !authorizations.isEmpty()) {
                    CaptureAuthorizationRequest.Builder request = CaptureAuthorizationRequest.newBuilder()
                            .setName(authorizations.get(capture.n() % authorizations.size()));
                    if (capture.units() > 0) {
                        request.setAmount(eur(capture.units()));
                    }
                    if (capture.keepOpen()) {
                        request.setFinalCapture(false).setRequestId(UUID.randomUUID().toString());
                    }
                    service.authorizations().captureAuthorization(request.build());
                } else if (step instanceof Void voiding && !authorizations.isEmpty()) {
                    service.authorizations().voidAuthorization(VoidAuthorizationRequest.newBuilder()
                            .setName(authorizations.get(voiding.n() % authorizations.size())).build());
                } else if (step instanceof Reverse reverse && !authorizations.isEmpty()) {
                    service.authorizations().reverseAuthorization(ReverseAuthorizationRequest.newBuilder()
                            .setName(authorizations.get(reverse.n() % authorizations.size()))
                            .setAmount(eur(reverse.units())).setRequestId(UUID.randomUUID().toString()).build());
                } else if (step instanceof Adjust adjust && !authorizations.isEmpty()) {
                    service.authorizations().adjustAuthorization(AdjustAuthorizationRequest.newBuilder()
                            .setName(authorizations.get(adjust.n() % authorizations.size()))
                            .setAmount(eur(adjust.units())).build());
                } else if (step instanceof Extend extend && !authorizations.isEmpty()) {
                    String name = authorizations.get(extend.n() % authorizations.size());
                    Timestamp expireTime = service.authorizations().getAuthorization(
                            GetAuthorizationRequest.newBuilder().setName(name).build()).getExpireTime();
                    java.time.Instant later = java.time.Instant.ofEpochSecond(expireTime.getSeconds(), expireTime.getNanos())
                            .plusMillis(extend.millis());
                    service.authorizations().extendAuthorization(ExtendAuthorizationRequest.newBuilder().setName(name)
                            .setExpireTime(Timestamp.newBuilder().setSeconds(later.getEpochSecond())
                                    .setNanos(later.getNano())).build());
                } else if (step instanceof Stranger attempt && !authorizations.isEmpty()) {
                    changedNothing = true;
                    stranger.captureAuthorization(CaptureAuthorizationRequest.newBuilder()
                            .setName(authorizations.get(attempt.n() % authorizations.size())).build());
                } else if (step instanceof Advance advance) {
                    clock.advance(Duration.ofMillis(advance.millis()));
                } else if (step instanceof Sweep) {
                    service.bean(HoldExpiryJob.class).releaseExpiredHolds();
                }
            } catch (StatusRuntimeException refused) {
                // A refusal (not APPROVED, expired, more than authorized, another owner's) changes nothing.
                assertThat(refused.getStatus().getCode()).as("%s", step).isIn(Status.Code.FAILED_PRECONDITION,
                        Status.Code.INVALID_ARGUMENT, Status.Code.PERMISSION_DENIED);
                changedNothing = true;
            }
            if (changedNothing) {
                assertThat(eventCount(accountId)).as("events after %s, which changed nothing", step)
                        .isEqualTo(eventsBefore);
            }
            assertLedgerAgrees(accountId, step);
        }
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Step> step = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(5, Arbitraries.longs().between(1, 70).map(Create::new)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(new KeyedRetry())),
                net.jqwik.api.Tuple.of(6, net.jqwik.api.Combinators.combine(Arbitraries.integers().between(0, 20),
                        Arbitraries.longs().between(0, 80), Arbitraries.of(true, false)).as(Capture::new)),
                net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0, 20).map(Void::new)),
                net.jqwik.api.Tuple.of(2, net.jqwik.api.Combinators.combine(Arbitraries.integers().between(0, 20),
                        Arbitraries.longs().between(1, 50)).as(Reverse::new)),
                net.jqwik.api.Tuple.of(3, net.jqwik.api.Combinators.combine(Arbitraries.integers().between(0, 20),
                        Arbitraries.longs().between(1, 90)).as(Adjust::new)),
                net.jqwik.api.Tuple.of(1, net.jqwik.api.Combinators.combine(Arbitraries.integers().between(0, 20),
                        Arbitraries.longs().between(1, 3000)).as(Extend::new)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0, 20).map(Stranger::new)),
                net.jqwik.api.Tuple.of(2, Arbitraries.longs().between(100, 2500).map(Advance::new)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(new Sweep())));
        return step.list().ofMinSize(1).ofMaxSize(25);
    }

    private static void assertLedgerAgrees(String accountId, Step after) {
        try (Connection connection = service.dataSource().getConnection()) {
            BigDecimal held;
            BigDecimal captured;
            try (PreparedStatement statement = connection.prepareStatement(
                    "SELECT held, captured FROM accounts WHERE id = ?")) {
                statement.setString(1, accountId);
                try (ResultSet row = statement.executeQuery()) {
                    row.next();
                    held = row.getBigDecimal(1);
                    captured = row.getBigDecimal(2);
                }
            }
            BigDecimal heldSum = BigDecimal.ZERO;
            BigDecimal capturedSum = BigDecimal.ZERO;
            long expected = 1;
            try (PreparedStatement statement = connection.prepareStatement("SELECT sequence, held_before, held_after,"
                    + " captured_before, captured_after FROM authorization_events WHERE account_id = ? ORDER BY sequence")) {
                statement.setString(1, accountId);
                try (ResultSet row = statement.executeQuery()) {
                    while (row.next()) {
                        assertThat(row.getLong(1)).as("sequence after %s", after).isEqualTo(expected++);
                        assertThat(row.getBigDecimal(2)).as("held_before of event %d", row.getLong(1))
                                .isEqualByComparingTo(heldSum);
                        assertThat(row.getBigDecimal(4)).as("captured_before of event %d", row.getLong(1))
                                .isEqualByComparingTo(capturedSum);
                        heldSum = heldSum.add(row.getBigDecimal(3).subtract(row.getBigDecimal(2)));
                        capturedSum = capturedSum.add(row.getBigDecimal(5).subtract(row.getBigDecimal(4)));
                        assertThat(row.getBigDecimal(3)).isEqualByComparingTo(heldSum);
                        assertThat(row.getBigDecimal(5)).isEqualByComparingTo(capturedSum);
                    }
                }
            }
            assertThat(held).as("held after %s", after).isEqualByComparingTo(heldSum);
            assertThat(captured).as("captured after %s", after).isEqualByComparingTo(capturedSum);
            try (PreparedStatement statement = connection.prepareStatement("SELECT"
                    + " COALESCE(SUM(CASE WHEN state = 'APPROVED' THEN amount - COALESCE(captured_amount, 0) END), 0),"
                    + " COALESCE(SUM(captured_amount), 0),"
                    + " COUNT(CASE WHEN captured_amount > amount THEN 1 END) FROM authorizations WHERE account_id = ?")) {
                statement.setString(1, accountId);
                try (ResultSet row = statement.executeQuery()) {
                    row.next();
                    assertThat(row.getBigDecimal(1)).as("held by APPROVED authorizations after %s", after)
                            .isEqualByComparingTo(held);
                    assertThat(row.getBigDecimal(2)).as("captured by authorizations after %s", after)
                            .isEqualByComparingTo(captured);
                    assertThat(row.getLong(3)).as("authorizations captured beyond their amount").isZero();
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The account's events but EXPIRED ones: any call that locks the account first releases its
     * holds past expiry (Authorizations.releaseExpired), a replay or a refused call included.
     */
    private static long eventCount(String accountId) {
        return Fixtures.count(service.dataSource(), "SELECT COUNT(*) FROM authorization_events"
                + " WHERE account_id = ? AND type <> 'EXPIRED'", accountId);
    }
}
