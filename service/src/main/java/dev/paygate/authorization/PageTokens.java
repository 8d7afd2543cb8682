package dev.paygate.authorization;

import dev.paygate.error.ApiException;
import dev.paygate.persistence.Database;
import jakarta.inject.Singleton;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.ResultSet;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Opaque, tamper-evident ListAuthorizations and ListAuthorizationEvents cursors (AIP-158): the
 * position after the last item served (create time in microseconds, authorization or event id),
 * sealed with an HMAC-SHA256 that also covers the parent and the filter the page was served under. A token is only accepted
 * back with the same parent and filter, and a forged or edited token is INVALID_ARGUMENT before
 * any of its content is used. The key is {@code paygate.pagination.token-key} when set; otherwise
 * a random key generated once and kept in the database, so every replica on it, and every
 * restart, accepts the others' tokens.
 */
@Singleton
class PageTokens {

    /** A position in the newest-first order: rows strictly after it come next. */
    record Position(Instant createTime, String id) {
    }

    private static final String SECRET_NAME = "page-token-key";
    private static final byte VERSION = 2;
    private static final int MAC_BYTES = 16;
    private static final int LENGTH = 1 + Long.BYTES + 2 * Long.BYTES + MAC_BYTES;
    private static final Duration SECRET_LOOKUP_BUDGET = Duration.ofSeconds(10);

    private final SecretKeySpec key;

    PageTokens(PaginationProperties properties, Database database) {
        String configured = properties.tokenKey();
        byte[] secret = configured.isEmpty()
                ? Base64.getDecoder().decode(database.withDeadline(SECRET_LOOKUP_BUDGET, () -> sharedSecret(database)))
                : configured.getBytes(StandardCharsets.UTF_8);
        this.key = new SecretKeySpec(secret, "HmacSHA256");
    }

    /** The database's key; the first replica to look creates it, a concurrent one reads the winner's. */
    private static String sharedSecret(Database database) {
        for (int attempt = 1; ; attempt++) {
            try {
                return database.inTransaction(tx -> {
                    Optional<String> stored = tx.with("SELECT secret FROM service_secrets WHERE name = ?", statement -> {
                        statement.setString(1, SECRET_NAME);
                        try (ResultSet row = statement.executeQuery()) {
                            return row.next() ? Optional.of(row.getString(1)) : Optional.<String>empty();
                        }
                    });
                    if (stored.isPresent()) {
                        return stored.get();
                    }
                    byte[] random = new byte[32];
                    new SecureRandom().nextBytes(random);
                    String created = Base64.getEncoder().encodeToString(random);
                    tx.with("INSERT INTO service_secrets (name, secret) VALUES (?, ?)", statement -> {
                        statement.setString(1, SECRET_NAME);
                        statement.setString(2, created);
                        return statement.executeUpdate();
                    });
                    return created;
                });
            } catch (ApiException e) {
                if (attempt >= 2 || e.code() != ApiException.Code.ABORTED) {
                    throw e;
                }
            }
        }
    }

    String encode(String parent, String filter, Position position) {
        UUID id = UUID.fromString(position.id());
        ByteBuffer token = ByteBuffer.allocate(LENGTH)
                .put(VERSION)
                .putLong(ChronoUnit.MICROS.between(Instant.EPOCH, position.createTime()))
                .putLong(id.getMostSignificantBits())
                .putLong(id.getLeastSignificantBits());
        token.put(mac(parent, filter, Arrays.copyOf(token.array(), LENGTH - MAC_BYTES)));
        return Base64.getUrlEncoder().withoutPadding().encodeToString(token.array());
    }

    /** @throws ApiException INVALID_ARGUMENT unless this service issued the token for this parent and filter */
    Position decode(String parent, String filter, String token) {
        byte[] bytes;
        try {
            bytes = Base64.getUrlDecoder().decode(token);
        } catch (IllegalArgumentException e) {
            throw invalid();
        }
        if (bytes.length != LENGTH || bytes[0] != VERSION) {
            throw invalid();
        }
        byte[] content = Arrays.copyOf(bytes, LENGTH - MAC_BYTES);
        if (!MessageDigest.isEqual(mac(parent, filter, content), Arrays.copyOfRange(bytes, LENGTH - MAC_BYTES, LENGTH))) {
            throw invalid();
        }
        ByteBuffer fields = ByteBuffer.wrap(content, 1, content.length - 1);
        try {
            Instant createTime = Instant.EPOCH.plus(fields.getLong(), ChronoUnit.MICROS);
            return new Position(createTime, new UUID(fields.getLong(), fields.getLong()).toString());
        } catch (DateTimeException | ArithmeticException e) {
            throw invalid();
        }
    }

    private byte[] mac(String parent, String filter, byte[] content) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update((parent + '\0' + filter + '\0').getBytes(StandardCharsets.UTF_8));
            return Arrays.copyOf(mac.doFinal(content), MAC_BYTES);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is always available", e);
        }
    }

    private static ApiException invalid() {
        return ApiException.invalidField("page_token",
                "is not a token this service issued for this parent and state filter; start without one");
    }
}
