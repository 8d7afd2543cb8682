package dev.paygate.persistence;

import com.google.protobuf.Timestamp;
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

    public static Timestamp timestamp(OffsetDateTime time) {
        return Timestamp.newBuilder()
                .setSeconds(time.toEpochSecond())
                .setNanos(time.getNano())
                .build();
    }
}
