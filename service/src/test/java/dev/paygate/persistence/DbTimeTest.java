package dev.paygate.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Times bound as text by {@link DbTime#bind}, and read back as epoch microseconds by
 * {@link DbTime#timestampOfMicros}, are the same instants, to the microsecond, on a real PostgreSQL.
 */
class DbTimeTest {

    private final DataSource postgres = TestDatabase.postgres().dataSource();

    @Test
    void bind_storesAndComparesTheSameInstant_toTheMicrosecond_whateverTheOffset() throws SQLException {
        OffsetDateTime utc = OffsetDateTime.of(2026, 12, 7, 3, 38, 48, 187_123_000, ZoneOffset.UTC);
        OffsetDateTime wholeMinute = OffsetDateTime.of(2026, 12, 7, 3, 38, 0, 0, ZoneOffset.UTC);
        OffsetDateTime elsewhere = OffsetDateTime.of(1999, 1, 8, 4, 5, 6, 1_000, ZoneOffset.ofHoursMinutes(5, 30));
        try (Connection connection = postgres.getConnection(); Statement ddl = connection.createStatement()) {
            ddl.execute("CREATE TEMPORARY TABLE times (id INT, at TIMESTAMP(6) WITH TIME ZONE)");
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO times VALUES (?, ?)")) {
                for (OffsetDateTime[] row : new OffsetDateTime[][] {{utc}, {wholeMinute}, {elsewhere}, {null}}) {
                    insert.setInt(1, row[0] == null ? 0 : row[0].getYear());
                    DbTime.bind(insert, 2, row[0]);
                    insert.executeUpdate();
                }
            }
            for (OffsetDateTime time : new OffsetDateTime[] {utc, wholeMinute, elsewhere}) {
                try (PreparedStatement read = connection.prepareStatement("SELECT at FROM times WHERE at = ?")) {
                    DbTime.bind(read, 1, time);
                    try (ResultSet row = read.executeQuery()) {
                        assertThat(row.next()).as("found by the same instant: %s", time).isTrue();
                        assertThat(row.getObject(1, OffsetDateTime.class).toInstant()).isEqualTo(time.toInstant());
                    }
                }
            }
            try (ResultSet row = ddl.executeQuery("SELECT count(*) FROM times WHERE at IS NULL")) {
                row.next();
                assertThat(row.getInt(1)).as("null binds as NULL").isEqualTo(1);
            }
        }
    }

    @Test
    void timestampOfMicros_isTheStoredInstant_toTheMicrosecond_onBothSidesOfTheEpoch() throws SQLException {
        OffsetDateTime[] times = {
            OffsetDateTime.of(2026, 12, 7, 3, 38, 48, 187_123_000, ZoneOffset.UTC),
            OffsetDateTime.of(1969, 12, 31, 23, 59, 59, 999_999_000, ZoneOffset.UTC),
            OffsetDateTime.of(1901, 2, 3, 4, 5, 6, 1_000, ZoneOffset.ofHours(-7)),
            OffsetDateTime.of(9999, 12, 31, 23, 59, 59, 999_999_000, ZoneOffset.UTC),
        };
        try (Connection connection = postgres.getConnection(); Statement ddl = connection.createStatement()) {
            ddl.execute("CREATE TEMPORARY TABLE micros (at TIMESTAMP(6) WITH TIME ZONE)");
            for (OffsetDateTime time : times) {
                try (PreparedStatement insert = connection.prepareStatement("INSERT INTO micros VALUES (?)")) {
                    DbTime.bind(insert, 1, time);
                    insert.executeUpdate();
                }
                try (PreparedStatement read = connection.prepareStatement(
                        "SELECT (EXTRACT(EPOCH FROM at) * 1000000)::int8 FROM micros WHERE at = ?")) {
                    DbTime.bind(read, 1, time);
                    try (ResultSet row = read.executeQuery()) {
                        assertThat(row.next()).isTrue();
                        assertThat(DbTime.timestampOfMicros(row.getLong(1))).as("%s", time).isEqualTo(DbTime.timestamp(time));
                    }
                }
            }
        }
    }
}
