package dev.paygate.testing;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import com.google.rpc.Status;
import io.grpc.protobuf.StatusProto;
import java.util.Optional;

/** Reads the AIP-193 details (ErrorInfo, RetryInfo, ...) a failed call carried in its trailers. */
public final class StatusDetails {

    private StatusDetails() {
    }

    /** The first detail of the given type, or empty when the status has none (or no details at all). */
    public static <T extends Message> Optional<T> detail(Throwable error, Class<T> type) {
        Status status = StatusProto.fromThrowable(error);
        if (status == null) {
            return Optional.empty();
        }
        for (Any any : status.getDetailsList()) {
            if (any.is(type)) {
                try {
                    return Optional.of(any.unpack(type));
                } catch (InvalidProtocolBufferException e) {
                    throw new IllegalStateException("corrupt " + type.getSimpleName() + " detail", e);
                }
            }
        }
        return Optional.empty();
    }

    public static Optional<ErrorInfo> errorInfo(Throwable error) {
        return detail(error, ErrorInfo.class);
    }

    public static Optional<RetryInfo> retryInfo(Throwable error) {
        return detail(error, RetryInfo.class);
    }

    /** The ErrorInfo reason, or "" when the status carries no ErrorInfo (e.g. a client-side failure). */
    public static String reason(Throwable error) {
        return errorInfo(error).map(ErrorInfo::getReason).orElse("");
    }
}
