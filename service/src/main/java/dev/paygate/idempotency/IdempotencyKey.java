package dev.paygate.idempotency;

import dev.paygate.error.ApiException;

/**
 * The key that makes a mutation idempotent: the request's {@code request_id}, or the
 * {@code idempotency-key} metadata entry (REST clients' {@code Idempotency-Key} header).
 */
public final class IdempotencyKey {

    private static final int MAX_LENGTH = 255;

    private IdempotencyKey() {
    }

    /**
     * Returns the key to use, or "" when the call has none (then it is not idempotent).
     *
     * @param headerKey the idempotency-key metadata entry, or null when absent
     * @throws ApiException INVALID_ARGUMENT when both are given and differ, or the entry is malformed
     *                      (empty, blank or over-long: such a key must not pass for "no key", or a
     *                      proxy that saw a key would retry a write the service did not key)
     */
    public static String resolve(String requestId, String headerKey) {
        if (headerKey != null) {
            boolean wellFormed = !headerKey.isEmpty() && headerKey.length() <= MAX_LENGTH
                    && headerKey.chars().allMatch(c -> c > 0x20 && c < 0x7f);
            if (!wellFormed) {
                throw ApiException.invalidField("idempotency-key",
                        "must be 1 to 255 printable ASCII characters without spaces");
            }
            if (!requestId.isEmpty() && !requestId.equals(headerKey)) {
                throw ApiException.invalidField("request_id",
                        "differs from the idempotency-key metadata entry; send one, or the same value in both");
            }
            return headerKey;
        }
        return requestId;
    }
}
