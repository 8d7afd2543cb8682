package dev.paygate.authorization;

import dev.paygate.error.ApiException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/**
 * The opaque ListAuthorizations cursor: the position after the last item served, and the filter it
 * was served under (a token is only valid with the same filter, AIP-158).
 */
record PageToken(String filter, Instant createTime, String id) {

    private static final String VERSION = "v1";

    String encode() {
        String raw = String.join("|", VERSION, filter, createTime.toString(), id);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    static PageToken decode(String token, String expectedFilter) {
        try {
            String[] parts = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8).split("\\|", -1);
            if (parts.length != 4 || !parts[0].equals(VERSION)) {
                throw new IllegalArgumentException("unknown token format");
            }
            if (!parts[1].equals(expectedFilter)) {
                throw ApiException.invalidField("page_token", "was issued for a different state filter");
            }
            return new PageToken(parts[1], Instant.parse(parts[2]), parts[3]);
        } catch (IllegalArgumentException | java.time.format.DateTimeParseException e) {
            throw ApiException.invalidField("page_token", "is not a token this service issued");
        }
    }
}
