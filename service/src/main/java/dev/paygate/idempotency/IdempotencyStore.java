package dev.paygate.idempotency;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import dev.paygate.error.ApiException;
import dev.paygate.error.ErrorReason;
import dev.paygate.persistence.DbTime;
import dev.paygate.persistence.Tx;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * Remembers the response of each keyed mutation so that a retry gets the original answer.
 *
 * <p>Invariant: the key row is written in the same transaction as the mutation it describes, and
 * callers look it up only after taking the lock that serialises mutations of its scope (the
 * account row), so concurrent duplicates see either nothing or the committed first response.
 */
@Singleton
public class IdempotencyStore {

    private static final String REMEMBER = "INSERT INTO idempotency_keys (scope, idem_key, method, request_hash,"
            + " response, create_time, expire_time) VALUES (?, ?, ?, ?, ?, ?, ?)";

    private final IdempotencyProperties properties;
    private final Clock clock;
    private final MeterRegistry meters;

    public IdempotencyStore(IdempotencyProperties properties, Clock clock, MeterRegistry meters) {
        this.properties = properties;
        this.clock = clock;
        this.meters = meters;
    }

    /** The work a keyed mutation does when its key is new, and whether it found the work already done. */
    @FunctionalInterface
    public interface Mutation<T> {
        Outcome<T> run() throws SQLException;
    }

    /**
     * Replay-then-remember around one mutation, inside the caller's transaction and under the lock
     * that serialises its scope: the stored response if this key already did this request, else
     * the mutation's response, remembered with the key. An empty key means an unkeyed call.
     *
     * @throws ApiException ALREADY_EXISTS when the key was used for a different request
     */
    public <T extends Message> Outcome<T> once(Tx tx, String scope, String key, String method, Message request,
                                              Parser<T> parser, Mutation<T> mutation) throws SQLException {
        if (key.isEmpty()) {
            return mutation.run();
        }
        OffsetDateTime now = DbTime.now(clock);
        Optional<Stored> stored = find(tx, scope, key);
        if (stored.isPresent() && stored.get().expireTime().isAfter(now)) {
            return new Outcome<>(replay(stored.get(), key, method, request, parser), true);
        }
        Outcome<T> outcome = mutation.run();
        if (stored.isPresent()) {
            // Expired and not yet purged: the key is free again.
            forget(tx, scope, key);
        }
        remember(tx, scope, key, method, request, outcome.response(), now);
        return outcome;
    }

    /** A remembered key's row. */
    private record Stored(String method, String requestHash, String response, OffsetDateTime expireTime) {
    }

    /** Counts a replay; call after the transaction committed. */
    public void countCommitted(String method, Outcome<?> outcome) {
        if (outcome.replayed()) {
            meters.counter("paygate.idempotency.replays", "method", method).increment();
        }
    }

    /** The key's row, expired or not: one lookup tells both whether to replay and whether to delete. */
    private Optional<Stored> find(Tx tx, String scope, String key) throws SQLException {
        return tx.with("SELECT method, request_hash, response, expire_time FROM idempotency_keys"
                + " WHERE scope = ? AND idem_key = ?", statement -> {
            statement.setString(1, scope);
            statement.setString(2, key);
            try (ResultSet row = statement.executeQuery()) {
                return row.next() ? Optional.of(new Stored(row.getString(1), row.getString(2), row.getString(3),
                        row.getObject(4, OffsetDateTime.class))) : Optional.empty();
            }
        });
    }

    private static <T extends Message> T replay(Stored stored, String key, String method, Message request,
                                                Parser<T> parser) {
        if (!stored.method().equals(method) || !(stored.requestHash().equals(RequestFingerprint.of(method, request))
                || stored.requestHash().equals(legacyFingerprint(method, request)))) {
            throw ApiException.alreadyExists(ErrorReason.IDEMPOTENCY_KEY_REUSED,
                    "idempotency key " + key + " was already used for a different request;"
                            + " use a new key for a new request", Map.of("idempotency_key", key));
        }
        return parse(parser, stored.response());
    }

    private void forget(Tx tx, String scope, String key) throws SQLException {
        tx.with("DELETE FROM idempotency_keys WHERE scope = ? AND idem_key = ?", statement -> {
            statement.setString(1, scope);
            statement.setString(2, key);
            return statement.executeUpdate();
        });
    }

    /**
     * Remembers the key with the response: queued ({@link Tx#later}), it goes with the mutation's
     * queued writes, before the commit. A concurrent first use of the same key then fails the
     * transaction at that point (unique violation), as it would have failed here.
     */
    private void remember(Tx tx, String scope, String key, String method, Message request, Message response,
                          OffsetDateTime now) {
        String fingerprint = RequestFingerprint.of(method, request);
        String encoded = Base64.getEncoder().encodeToString(response.toByteArray());
        OffsetDateTime expireTime = now.plus(properties.retention());
        tx.later(REMEMBER, 1, params -> params.string(scope).string(key).string(method).string(fingerprint)
                .string(encoded).time(now).time(expireTime));
    }

    /**
     * Deletes up to {@code limit} keys past their retention, oldest first; returns how many. A
     * bounded batch keeps each purge transaction short however large the backlog.
     */
    public int purgeExpired(Tx tx, int limit) throws SQLException {
        OffsetDateTime now = DbTime.now(clock);
        return tx.with("DELETE FROM idempotency_keys WHERE (scope, idem_key) IN (SELECT scope, idem_key"
                + " FROM idempotency_keys WHERE expire_time <= ? ORDER BY expire_time LIMIT ?)", statement -> {
            DbTime.bind(statement, 1, now);
            statement.setInt(2, limit);
            return statement.executeUpdate();
        });
    }

    /**
     * The fingerprint earlier builds stored (SHA-256 of the method and the request's deterministic
     * protobuf bytes without request_id). Accepted so keys written before the canonical fingerprint
     * still replay; it can go once every replica runs this build and the retention has passed.
     */
    private static String legacyFingerprint(String method, Message request) {
        var field = request.getDescriptorForType().findFieldByName("request_id");
        Message withoutKey = field == null ? request : request.toBuilder().clearField(field).build();
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(method.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            com.google.protobuf.ByteString.Output out = com.google.protobuf.ByteString.newOutput();
            com.google.protobuf.CodedOutputStream coded = com.google.protobuf.CodedOutputStream.newInstance(out);
            coded.useDeterministicSerialization();
            withoutKey.writeTo(coded);
            coded.flush();
            digest.update(out.toByteString().asReadOnlyByteBuffer());
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException | java.io.IOException e) {
            throw new IllegalStateException("SHA-256 over memory cannot fail", e);
        }
    }

    private static <T extends Message> T parse(Parser<T> parser, String encoded) {
        try {
            return parser.parseFrom(Base64.getDecoder().decode(encoded));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("stored idempotent response is corrupt", e);
        }
    }
}
