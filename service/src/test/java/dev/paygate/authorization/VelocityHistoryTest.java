package dev.paygate.authorization;

import static dev.paygate.testing.Fixtures.accountId;
import static dev.paygate.testing.Fixtures.authorize;
import static dev.paygate.testing.Fixtures.newAccount;
import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.testing.RunningService;
import dev.paygate.testing.TestDatabase;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.Authorization.DeclineReason;
import dev.paygate.v1.Authorization.State;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A write's cost must not grow with the account's history. Locked by what the velocity rule reads,
 * never by timing: the decision at the limit is exact with thousands of older authorizations
 * outside the window, and the count stops at the limit however full the window is.
 */
class VelocityHistoryTest {

    private static final int LIMIT = 20;

    private static RunningService start(TestDatabase database) {
        return RunningService.start(database, Map.of(
                "paygate.risk.velocity.mode", "enforce",
                "paygate.risk.velocity.max-authorizations", LIMIT,
                "paygate.risk.velocity.window", "1m"));
    }

    @Test
    void velocity_thousandsOfOlderAuthorizations_declinesExactlyAtTheLimitWithinTheWindow()
            throws Exception {
        TestDatabase database = TestDatabase.postgres();
        try (RunningService service = start(database)) {
            String account = service.accounts().createAccount(newAccount(1_000_000)).getName();
            OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
            // Older than the window: history that must neither count nor be read.
            insertDeclined(service, accountId(account), 5_000, now.minusMinutes(2), Duration.ofMillis(-10));
            insertDeclined(service, accountId(account), LIMIT - 1, now.minusSeconds(30), Duration.ofMillis(10));

            Authorization last = service.authorizations().createAuthorization(authorize(account, 1));
            Authorization overLimit = service.authorizations().createAuthorization(authorize(account, 1));

            assertThat(last.getState()).as("the %dth within the window", LIMIT).isEqualTo(State.APPROVED);
            assertThat(overLimit.getState()).isEqualTo(State.DECLINED);
            assertThat(overLimit.getDeclineReason()).isEqualTo(DeclineReason.VELOCITY_LIMIT);
        }
    }

    @Test
    void velocityCount_windowFarOverTheLimit_readsNoMoreRowsThanTheLimit() throws Exception {
        try (RunningService service = start(TestDatabase.postgres())) {
            String account = accountId(service.accounts().createAccount(newAccount(1_000)).getName());
            OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
            insertDeclined(service, account, 5_000, now.minusMinutes(2), Duration.ofMillis(-10));
            insertDeclined(service, account, 2_000, now.minusSeconds(30), Duration.ofMillis(10));

            // PostgreSQL's EXPLAIN ANALYZE runs the query and reports the rows each plan node read.
            List<String> plan = new ArrayList<>();
            try (Connection connection = service.dataSource().getConnection();
                 Statement analyze = connection.createStatement();
                 PreparedStatement explain = connection.prepareStatement("EXPLAIN ANALYZE " + AuthorizationStore.COUNT_RECENT)) {
                analyze.execute("ANALYZE authorizations");
                explain.setString(1, account);
                explain.setObject(2, now.minusMinutes(1));
                explain.setInt(3, LIMIT);
                try (ResultSet row = explain.executeQuery()) {
                    while (row.next()) {
                        plan.add(row.getString(1));
                    }
                }
            }

            String text = String.join("\n", plan);
            assertThat(text).contains("using authorizations_by_account");
            assertThat(rowsRead(text)).isNotEmpty().allSatisfy(read -> assertThat(read)
                    .as("rows read by the velocity count with 2,000 in the window:%n%s", text)
                    .isLessThanOrEqualTo(LIMIT + 1));
        }
    }

    /** Rows each plan node produced, and rows a filter read and threw away. */
    private static List<Integer> rowsRead(String plan) {
        List<Integer> counts = new ArrayList<>();
        Matcher rows = Pattern.compile("actual time=[0-9.]+\\.\\.[0-9.]+ rows=(\\d+)|Rows Removed by \\w+: (\\d+)")
                .matcher(plan);
        while (rows.find()) {
            counts.add(Integer.parseInt(rows.group(1) != null ? rows.group(1) : rows.group(2)));
        }
        return counts;
    }

    /** {@code count} declined authorizations (no hold: balances stay exact), {@code step} apart. */
    private static void insertDeclined(RunningService service, String accountId, int count, OffsetDateTime first,
                                       Duration step) throws SQLException {
        try (Connection connection = service.dataSource().getConnection();
             PreparedStatement insert = connection.prepareStatement("INSERT INTO authorizations (id, account_id,"
                     + " amount, currency_code, merchant_id, merchant_category_code, state, decline_reason,"
                     + " create_time, update_time) VALUES (?, ?, 1, 'EUR', 'merchant-1', '5411', 'DECLINED',"
                     + " 'INSUFFICIENT_FUNDS', ?, ?)")) {
            for (int i = 0; i < count; i++) {
                OffsetDateTime time = first.plus(step.multipliedBy(i));
                insert.setString(1, UUID.randomUUID().toString());
                insert.setString(2, accountId);
                insert.setObject(3, time);
                insert.setObject(4, time);
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }
}
