package dev.paygate.grpc;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import dev.paygate.error.ApiException;
import dev.paygate.error.BearerChallenge;
import dev.paygate.error.ErrorReason;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;

/** The one place that turns failures into {@code google.rpc.Status} with packed details (AIP-193). */
public final class GrpcErrors {

    /** RFC 6750's challenge on refused tokens: a trailer for gRPC callers, a header once transcoded to REST. */
    private static final Metadata.Key<String> WWW_AUTHENTICATE =
            Metadata.Key.of(BearerChallenge.HEADER, Metadata.ASCII_STRING_MARSHALLER);

    private GrpcErrors() {
    }

    public static StatusRuntimeException toStatus(ApiException e) {
        com.google.rpc.Status.Builder status = com.google.rpc.Status.newBuilder()
                .setCode(code(e.code()).getNumber())
                .setMessage(e.getMessage());
        status.addDetails(Any.pack(ErrorInfo.newBuilder()
                .setReason(e.reason().name())
                .setDomain(ErrorReason.DOMAIN)
                .putAllMetadata(e.metadata())
                .build()));
        if (!e.violations().isEmpty()) {
            BadRequest.Builder badRequest = BadRequest.newBuilder();
            e.violations().forEach(v -> badRequest.addFieldViolationsBuilder()
                    .setField(v.field())
                    .setDescription(v.description()));
            status.addDetails(Any.pack(badRequest.build()));
        }
        if (e.retryDelay() != null) {
            status.addDetails(Any.pack(RetryInfo.newBuilder()
                    .setRetryDelay(com.google.protobuf.Duration.newBuilder()
                            .setSeconds(e.retryDelay().getSeconds())
                            .setNanos(e.retryDelay().getNano()))
                    .build()));
        }
        Metadata trailers = new Metadata();
        BearerChallenge.of(e).ifPresent(challenge -> trailers.put(WWW_AUTHENTICATE, challenge));
        return StatusProto.toStatusRuntimeException(status.build(), trailers);
    }

    /** An unexpected failure: say nothing internal, point at the log instead. */
    public static StatusRuntimeException internal(String requestId) {
        return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                .setCode(Code.INTERNAL_VALUE)
                .setMessage("internal error; quote x-request-id " + requestId + " to support")
                .addDetails(Any.pack(ErrorInfo.newBuilder()
                        .setReason(ErrorReason.INTERNAL.name())
                        .setDomain(ErrorReason.DOMAIN)
                        .build()))
                .build());
    }

    private static Code code(ApiException.Code code) {
        return switch (code) {
            case INVALID_ARGUMENT -> Code.INVALID_ARGUMENT;
            case NOT_FOUND -> Code.NOT_FOUND;
            case FAILED_PRECONDITION -> Code.FAILED_PRECONDITION;
            case ALREADY_EXISTS -> Code.ALREADY_EXISTS;
            case ABORTED -> Code.ABORTED;
            case UNAVAILABLE -> Code.UNAVAILABLE;
            case DEADLINE_EXCEEDED -> Code.DEADLINE_EXCEEDED;
            case CANCELLED -> Code.CANCELLED;
            case UNAUTHENTICATED -> Code.UNAUTHENTICATED;
            case PERMISSION_DENIED -> Code.PERMISSION_DENIED;
            case RESOURCE_EXHAUSTED -> Code.RESOURCE_EXHAUSTED;
            case UNKNOWN -> Code.UNKNOWN;
        };
    }
}
