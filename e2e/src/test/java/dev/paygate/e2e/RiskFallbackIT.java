package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The velocity rule's declared fallback, through the edge, with its count made slow for real: a
 * transaction that stays open after moving many of the account's old rows into the velocity
 * window leaves index entries the count must visit and check one by one (PostgreSQL cannot skip
 * row versions of a transaction still in progress), while the account lock, the hold query and
 * the insert are not slowed. Past its budget the rule fails closed (DECLINED RISK_UNAVAILABLE),
 * the operator's stand-in approves below its amount, both are counted; once the transaction ends
 * and VACUUM has removed what it left, the rule answers again. Nothing is lost or held twice.
 */
@EndToEnd(serviceEnvironment = {
        "PAYGATE_RISK_VELOCITY_MODE=enforce",
        "PAYGATE_RISK_VELOCITY_BUDGET=" + RiskFallbackIT.BUDGET_MILLIS + "ms",
        "PAYGATE_RISK_VELOCITY_UNSAFE_APPROVE_UNANSWERED_BELOW=EUR:10"})
class RiskFallbackIT {

    /** The velocity rule's budget in this test, given to the service above. */
    static final long BUDGET_MILLIS = 50;

    /** Enough in-progress row versions that the count takes several times its budget. */
    private static final int PENDING_ROWS = 300_000;

    private static Edge edge;
    private static RestPayments payments;

    @BeforeAll
    static void setUp(Edge started) {
        edge = started;
        payments = new RestPayments(edge);
    }

    @Test
    void velocityCountPastItsBudget_declinesRiskUnavailable_standInApprovesBelowItsAmount_thenRecovers()
            throws SQLException {
        String account = payments.createAccount(1_000).get("name").asText();
        String accountId = account.substring("accounts/".length());
        insertOldRows(accountId);
        ServiceMetrics metrics = ServiceMetrics.of(edge, 0);
        assertThat(payments.authorized(account, 5).get("state").asText()).isEqualTo("APPROVED");
        long declinedBefore = metrics.fallbacks("risk_velocity", "decline");
        long standInBefore = metrics.fallbacks("risk_velocity", "approve_stand_in");

        JsonNode declined;
        JsonNode standIn;
        try (Connection bulk = edge.connect()) {
            bulk.setAutoCommit(false);
            execute(bulk, "UPDATE authorizations SET create_time = now() WHERE account_id = ? AND merchant_id = 'bulk'",
                    accountId);
            Duration count = timeCount(accountId);
            System.out.println("velocity count with " + PENDING_ROWS + " row versions in progress: "
                    + count.toMillis() + " ms");
            // Twice the budget, not a fixed figure: a fast machine counts 300,000 versions in ~150 ms.
            assertThat(count).as("the count is slow for real").isGreaterThan(Duration.ofMillis(2 * BUDGET_MILLIS));

            declined = payments.authorized(account, 100);
            standIn = payments.authorized(account, 5);
            bulk.rollback();
        }
        try (Connection cleanup = edge.connect(); Statement vacuum = cleanup.createStatement()) {
            execute(cleanup, "DELETE FROM authorizations WHERE account_id = ? AND merchant_id = 'bulk'", accountId);
            // The rolled-back versions stay in the index, and each cut-short count leaves them there,
            // until VACUUM removes them (autovacuum would, in its own time).
            vacuum.execute("VACUUM authorizations");
        }

        assertThat(declined.get("state").asText()).as("fail closed: %s", declined).isEqualTo("DECLINED");
        assertThat(declined.get("declineReason").asText()).isEqualTo("RISK_UNAVAILABLE");
        assertThat(standIn.get("state").asText()).as("below the EUR 10 stand-in: %s", standIn).isEqualTo("APPROVED");
        assertThat(metrics.fallbacks("risk_velocity", "decline")).isEqualTo(declinedBefore + 1);
        assertThat(metrics.fallbacks("risk_velocity", "approve_stand_in")).isEqualTo(standInBefore + 1);

        JsonNode recovered = payments.authorized(account, 100);
        assertThat(recovered.get("state").asText()).as("the rule answers again: %s", recovered).isEqualTo("APPROVED");
        assertThat(metrics.fallbacks("risk_velocity", "decline")).isEqualTo(declinedBefore + 1);
        // Four payments, each stored once; the declined one holds nothing.
        assertThat(payments.balances(account)).isEqualTo(new RestPayments.Balances("110", "0", "890", 4));
    }

    /** Declined rows of the account from two hours ago: outside the velocity window, holding nothing. */
    private static void insertOldRows(String accountId) throws SQLException {
        try (Connection connection = edge.connect()) {
            execute(connection, "INSERT INTO authorizations (id, account_id, amount, currency_code, merchant_id,"
                    + " merchant_category_code, state, decline_reason, create_time, update_time)"
                    + " SELECT gen_random_uuid()::text, ?, 1, 'EUR', 'bulk', '5411', 'DECLINED', 'AMOUNT_LIMIT',"
                    + " now() - interval '2 hours', now() - interval '2 hours' FROM generate_series(1, "
                    + PENDING_ROWS + ")", accountId);
        }
    }

    private static void execute(Connection connection, String sql, String accountId) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, accountId);
            statement.executeUpdate();
        }
    }

    /** The velocity rule's own statement, timed from another connection. */
    private static Duration timeCount(String accountId) throws SQLException {
        try (Connection reader = edge.connect();
             PreparedStatement count = reader.prepareStatement("SELECT COUNT(*) FROM (SELECT 1 FROM authorizations"
                     + " WHERE account_id = ? AND create_time > now() - interval '1 minute'"
                     + " ORDER BY create_time DESC LIMIT 20) recent")) {
            count.setString(1, accountId);
            long started = System.nanoTime();
            try (ResultSet row = count.executeQuery()) {
                row.next();
            }
            return Duration.ofNanos(System.nanoTime() - started);
        }
    }
}
