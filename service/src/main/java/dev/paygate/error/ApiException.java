package dev.paygate.error;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A failure the business code reports without knowing about gRPC. {@code GrpcErrors} turns it
 * into a {@code google.rpc.Status} (AIP-193); nothing else builds error statuses.
 */
public final class ApiException extends RuntimeException {

    /** The subset of canonical codes Paygate's business code produces. */
    public enum Code {
        INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION, ALREADY_EXISTS, ABORTED, UNAVAILABLE,
        DEADLINE_EXCEEDED, CANCELLED, UNAUTHENTICATED, PERMISSION_DENIED, RESOURCE_EXHAUSTED, UNKNOWN
    }

    /** One bad field: its path in the request (e.g. {@code authorization.amount}) and why. */
    public record FieldViolation(String field, String description) {
    }

    private final Code code;
    private final ErrorReason reason;
    private final List<FieldViolation> violations;
    private final Map<String, String> metadata;
    private final Duration retryDelay;

    private ApiException(Code code, ErrorReason reason, String message, List<FieldViolation> violations,
                         Map<String, String> metadata, Duration retryDelay, Throwable cause) {
        super(message, cause, false, false);
        this.code = code;
        this.reason = reason;
        this.violations = List.copyOf(violations);
        this.metadata = Map.copyOf(metadata);
        this.retryDelay = retryDelay;
    }

    public static ApiException invalidArgument(String message, List<FieldViolation> violations) {
        return new ApiException(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, message, violations, Map.of(), null, null);
    }

    /** The call did not carry exactly one request message that parses. */
    public static ApiException malformedRequest(String message) {
        return new ApiException(Code.INVALID_ARGUMENT, ErrorReason.MALFORMED_REQUEST, message, List.of(), Map.of(), null, null);
    }

    public static ApiException invalidField(String field, String description) {
        return invalidArgument("invalid " + field + ": " + description, List.of(new FieldViolation(field, description)));
    }

    public static ApiException notFound(ErrorReason reason, String resourceName) {
        return new ApiException(Code.NOT_FOUND, reason, resourceName + " does not exist", List.of(),
                Map.of("resource", resourceName), null, null);
    }

    public static ApiException failedPrecondition(ErrorReason reason, String message, Map<String, String> metadata) {
        return new ApiException(Code.FAILED_PRECONDITION, reason, message, List.of(), metadata, null, null);
    }

    public static ApiException alreadyExists(ErrorReason reason, String message, Map<String, String> metadata) {
        return new ApiException(Code.ALREADY_EXISTS, reason, message, List.of(), metadata, null, null);
    }

    public static ApiException aborted(ErrorReason reason, String message, Throwable cause) {
        return new ApiException(Code.ABORTED, reason, message, List.of(), Map.of(), null, cause);
    }

    /** Only for failures where the request was certainly not processed: retrying is safe. */
    public static ApiException unavailable(String message, Duration retryDelay, Throwable cause) {
        return new ApiException(Code.UNAVAILABLE, ErrorReason.DATABASE_UNAVAILABLE, message, List.of(), Map.of(),
                retryDelay, cause);
    }

    /** Every pooled connection stayed busy for the whole wait: nothing was done, retrying is safe. */
    public static ApiException saturated(String message, Duration retryDelay, Throwable cause) {
        return new ApiException(Code.UNAVAILABLE, ErrorReason.DATABASE_SATURATED, message, List.of(), Map.of(),
                retryDelay, cause);
    }

    /** The replica shed the call before doing anything (see ErrorReason): retrying, elsewhere or later, is safe. */
    public static ApiException shed(ErrorReason reason, String message, Duration retryDelay) {
        return new ApiException(Code.UNAVAILABLE, reason, message, List.of(), Map.of(), retryDelay, null);
    }

    /**
     * The commit was sent and its answer lost: the write may or may not have happened. A keyed call
     * replays safely, so it gets UNAVAILABLE with retry advice; an unkeyed one gets UNKNOWN and no
     * advice, because repeating it could apply it twice.
     */
    public static ApiException commitOutcomeUnknown(boolean keyed, Duration retryDelay, Throwable cause) {
        String message = "the database connection failed while committing: the request may or may not have been"
                + " applied; " + (keyed
                ? "retry with the same idempotency key to get its outcome"
                : "it had no idempotency key, so do not repeat it blindly: read the resource to find out");
        return new ApiException(keyed ? Code.UNAVAILABLE : Code.UNKNOWN, ErrorReason.COMMIT_OUTCOME_UNKNOWN, message,
                List.of(), Map.of(), keyed ? retryDelay : null, cause);
    }

    public static ApiException deadlineExceeded(ErrorReason reason, String message) {
        return new ApiException(Code.DEADLINE_EXCEEDED, reason, message, List.of(), Map.of(), null, null);
    }

    public static ApiException cancelled(String message) {
        return new ApiException(Code.CANCELLED, ErrorReason.CALL_CANCELLED, message, List.of(), Map.of(), null, null);
    }

    /** The caller could not be identified: no token, or one that does not verify. */
    public static ApiException unauthenticated(ErrorReason reason, String message) {
        return new ApiException(Code.UNAUTHENTICATED, reason, message, List.of(), Map.of(), null, null);
    }

    /** The caller is known but may not do this. */
    public static ApiException permissionDenied(ErrorReason reason, String message, Map<String, String> metadata) {
        return new ApiException(Code.PERMISSION_DENIED, reason, message, List.of(), metadata, null, null);
    }

    /** The identity provider's keys cannot be fetched right now; the same call may pass later. */
    public static ApiException tokenKeysUnavailable(String message, Duration retryDelay, Throwable cause) {
        return new ApiException(Code.UNAVAILABLE, ErrorReason.TOKEN_KEYS_UNAVAILABLE, message, List.of(), Map.of(),
                retryDelay, cause);
    }

    /** The caller already has as many open streams as a replica allows one identity. */
    public static ApiException tooManyStreams(String message, Map<String, String> metadata) {
        return new ApiException(Code.RESOURCE_EXHAUSTED, ErrorReason.TOO_MANY_STREAMS, message, List.of(), metadata,
                null, null);
    }

    /**
     * A stream reached its maximum duration: UNAVAILABLE (reconnect at once, RetryInfo 0) with the
     * cursor to resume from in the metadata.
     */
    public static ApiException streamDurationReached(String message, Map<String, String> metadata) {
        return new ApiException(Code.UNAVAILABLE, ErrorReason.STREAM_DURATION_REACHED, message, List.of(), metadata,
                Duration.ZERO, null);
    }

    public Code code() {
        return code;
    }

    public ErrorReason reason() {
        return reason;
    }

    public List<FieldViolation> violations() {
        return violations;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    /** How long a client should wait before retrying, or null when a retry cannot help. */
    public Duration retryDelay() {
        return retryDelay;
    }
}
