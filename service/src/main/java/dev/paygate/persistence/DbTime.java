package dev.paygate.persistence;

import com.google.protobuf.Timestamp;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

/**
 * Time as the database keeps it: UTC, to the microsecond (TIMESTAMP(6)). Truncating before a value
 * is written means what a response says equals what a later read returns.
 */
public final class DbTime {

    private DbTime() {
    }

    public static OffsetDateTime now(Clock clock) {
        return OffsetDateTime.ofInstant(clock.instant().truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
    }

    /**
     * Binds a time as its ISO-8601 text, of a type PostgreSQL infers from the column or the
     * comparison (all timestamptz), and which it parses as such. PostgreSQL's driver, given the
     * OffsetDateTime itself, sends the same instant as text too, but first builds a TimestampUtils
     * with a GregorianCalendar for each statement (42.7.8, PgStatement.getTimestampUtils).
     */
    public static void bind(PreparedStatement statement, int index, OffsetDateTime time) throws SQLException {
        statement.setObject(index, time == null ? null : time.toString(), Types.OTHER);
    }

    /**
     * A time the query selected as whole microseconds since the epoch, with
     * {@code (EXTRACT(EPOCH FROM column) * 1000000)::int8} (exact: EXTRACT gives numeric since
     * PostgreSQL 14). Reading the timestamptz itself makes the driver build a TimestampUtils, with
     * its GregorianCalendar, for each result set (42.7.8, PgResultSet.getTimestampUtils); a long
     * needs nothing.
     */
    public static Timestamp timestampOfMicros(long micros) {
        return Timestamp.newBuilder()
                .setSeconds(Math.floorDiv(micros, 1_000_000L))
                .setNanos((int) Math.floorMod(micros, 1_000_000L) * 1000)
                .build();
    }

    public static Timestamp timestamp(OffsetDateTime time) {
        return Timestamp.newBuilder()
                .setSeconds(time.toEpochSecond())
                .setNanos(time.getNano())
                .build();
    }
}
