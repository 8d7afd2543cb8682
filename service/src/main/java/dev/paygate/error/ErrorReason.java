package dev.paygate.error;

/**
 * The stable {@code ErrorInfo.reason} values of domain {@link #DOMAIN}. Clients may branch on
 * them, so a value is never renamed or reused.
 */
public enum ErrorReason {
    /** A request field is malformed or violates a constraint; see BadRequest. */
    INVALID_ARGUMENT,
    /**
     * The request is not one well-formed message: bytes that do not parse (a truncated field,
     * invalid UTF-8), or a unary call with no message or more than one. Through Envoy, REST
     * requests it cannot map get the same reason.
     */
    MALFORMED_REQUEST,
    /** No longer returned: a missing account is ACCOUNT_ACCESS_DENIED, like someone else's (AIP-211). */
    ACCOUNT_NOT_FOUND,
    AUTHORIZATION_NOT_FOUND,
    /** Capture or void of an authorization that is not APPROVED. */
    AUTHORIZATION_NOT_APPROVED,
    /** Capture or void of an authorization whose hold has expired (released yet or not). */
    AUTHORIZATION_EXPIRED,
    /** A capture of more than the authorization's uncaptured remainder (parts captured before count). */
    AUTHORIZATION_REMAINDER_EXCEEDED,
    /** An adjustment of an authorization that took its configured maximum of adjustments. */
    AUTHORIZATION_ADJUSTMENT_LIMIT,
    /** An adjustment of an authorization of which a part was captured already. */
    AUTHORIZATION_CAPTURED_IN_PART,
    /** An idempotency key was reused with a different request. */
    IDEMPOTENCY_KEY_REUSED,
    /** Two concurrent transactions collided; the request was not processed. */
    CONCURRENT_MODIFICATION,
    /** The database could not be reached; the request was not processed. */
    DATABASE_UNAVAILABLE,
    /** Every database connection stayed busy for the whole wait; the request was not processed. */
    DATABASE_SATURATED,
    /** Every worker of this replica was busy and its queue full; nothing was done. */
    SERVER_OVERLOADED,
    /** The call waited for a worker until its deadline could no longer be met; nothing was done. */
    QUEUED_PAST_DEADLINE,
    /** The connection failed during the commit: the request may or may not have been applied. */
    COMMIT_OUTCOME_UNKNOWN,
    /** The remaining deadline is below the service minimum; nothing was done. */
    DEADLINE_TOO_SHORT,
    /** The deadline passed while the request was being processed; its transaction rolled back. */
    DEADLINE_EXCEEDED,
    /** The caller cancelled; the transaction rolled back. */
    CALL_CANCELLED,
    /** The call carries no {@code authorization: Bearer <token>} metadata entry. */
    TOKEN_MISSING,
    /** The bearer token is malformed, badly signed, expired, or for another issuer or audience. */
    TOKEN_INVALID,
    /** The identity provider's keys (JWKS) could not be fetched; the token was not checked. */
    TOKEN_KEYS_UNAVAILABLE,
    /** The token is valid but lacks the scope the method needs (see ErrorInfo metadata). */
    INSUFFICIENT_SCOPE,
    /**
     * The account is not the caller's. Also the answer for an account that does not exist, so
     * that nobody learns which accounts exist (AIP-211).
     */
    ACCOUNT_ACCESS_DENIED,
    /**
     * The caller already has the most WatchAuthorizationEvents streams open on this replica that
     * one identity may (ErrorInfo metadata {@code limit}); close one first.
     */
    TOO_MANY_STREAMS,
    /**
     * A stream reached its maximum duration and was ended on purpose; reconnect at once with the
     * ErrorInfo metadata's {@code after_sequence}.
     */
    STREAM_DURATION_REACHED,
    /** An unexpected failure; see the service log for the request id. */
    INTERNAL,
    /** A fault drill refused the call on purpose (PAYGATE_FAULT_UNAVAILABLE_RATIO); nothing was done. */
    FAULT_INJECTED;

    public static final String DOMAIN = "paygate.dev";
}
