package dev.paygate.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paygate.persistence.Database;
import dev.paygate.testing.Fixtures;
import dev.paygate.testing.RunningService;
import dev.paygate.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** Idempotency keys are kept for their whole retention, and purged after it. */
class IdempotencyPurgeTest {

    private static void insertKey(DataSource dataSource, String key, OffsetDateTime expireTime) throws Exception {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement("INSERT INTO idempotency_keys"
                     + " (scope, idem_key, method, request_hash, response, create_time, expire_time)"
                     + " VALUES ('accounts', ?, 'CreateAccount', ?, '', ?, ?)")) {
            statement.setString(1, key);
            statement.setString(2, "0".repeat(64));
            statement.setObject(3, expireTime.minusHours(48));
            statement.setObject(4, expireTime);
            statement.executeUpdate();
        }
    }

    private static long keys(DataSource dataSource, String key) {
        return Fixtures.count(dataSource, "SELECT COUNT(*) FROM idempotency_keys WHERE idem_key = ?", key);
    }

    @Test
    void purge_deletesExpiredKeysAndKeepsUnexpiredOnes() throws Exception {
        try (RunningService service = RunningService.start(TestDatabase.postgres())) {
            OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
            insertKey(service.dataSource(), "expired", now.minusMinutes(1));
            insertKey(service.dataSource(), "live", now.plusHours(1));

            int purged = service.bean(IdempotencyPurgeJob.class).purge();

            assertThat(purged).isEqualTo(1);
            assertThat(keys(service.dataSource(), "expired")).isZero();
            assertThat(keys(service.dataSource(), "live")).isEqualTo(1);
        }
    }

    @Test
    void purge_drainsABacklogInBoundedBatches() throws Exception {
        TestDatabase database = TestDatabase.postgres();
        try (RunningService service = RunningService.start(database,
                Map.of("paygate.idempotency.purge-batch-size", 10))) {
            OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
            for (int i = 0; i < 25; i++) {
                insertKey(service.dataSource(), "expired-" + i, now.minusMinutes(1 + i));
            }
            insertKey(service.dataSource(), "live", now.plusHours(1));
            Database transactions = service.bean(Database.class);
            IdempotencyStore store = service.bean(IdempotencyStore.class);

            int oneBatch = transactions.withDeadline(Duration.ofSeconds(5),
                    () -> transactions.inTransaction(tx -> store.purgeExpired(tx, 10)));
            int rest = service.bean(IdempotencyPurgeJob.class).purge();

            assertThat(oneBatch).isEqualTo(10);
            assertThat(rest).isEqualTo(15);
            assertThat(Fixtures.count(service.dataSource(), "SELECT COUNT(*) FROM idempotency_keys")).isEqualTo(1);
            assertThat(keys(service.dataSource(), "live")).isEqualTo(1);
        }
    }

    @Test
    void retention_belowTwentyFourHours_isRejected() {
        assertThatThrownBy(() -> new IdempotencyProperties(Duration.ofHours(23).plusMinutes(59), Duration.ofMinutes(10), 1000))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 24h");
    }

    @Test
    void retention_ofExactlyTwentyFourHours_isAccepted() {
        IdempotencyProperties properties = new IdempotencyProperties(Duration.ofHours(24), Duration.ofMinutes(10), 1000);

        assertThat(properties.retention()).isEqualTo(Duration.ofHours(24));
    }

    @Test
    void service_configuredWithRetentionBelowTwentyFourHours_refusesToStart() {
        assertThatThrownBy(() -> RunningService.start(TestDatabase.postgres(),
                Map.of("paygate.idempotency.retention", "1h")).close())
                .hasStackTraceContaining("paygate.idempotency.retention must be at least 24h");
    }
}
