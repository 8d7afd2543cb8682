package dev.paygate.error;

import java.util.Optional;

/**
 * The {@code WWW-Authenticate} challenge (RFC 6750 section 3) that goes with a refused bearer
 * token, in the realm the edge's own 401s name. No error code when the call had no token (section
 * 3.1 says so), {@code invalid_token} for one that does not verify, {@code insufficient_scope}
 * with the scope needed when the token lacks it.
 */
public final class BearerChallenge {

    public static final String HEADER = "www-authenticate";
    private static final String REALM = "Bearer realm=\"paygate\"";

    private BearerChallenge() {
    }

    public static Optional<String> of(ApiException e) {
        return switch (e.reason()) {
            case TOKEN_MISSING -> Optional.of(REALM);
            case TOKEN_INVALID -> Optional.of(REALM + ", error=\"invalid_token\"");
            case INSUFFICIENT_SCOPE -> Optional.of(REALM + ", error=\"insufficient_scope\""
                    + Optional.ofNullable(e.metadata().get("required_scope")).map(s -> ", scope=\"" + s + "\"").orElse(""));
            default -> Optional.empty();
        };
    }
}
