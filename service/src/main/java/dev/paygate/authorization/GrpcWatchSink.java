package dev.paygate.authorization;

import dev.paygate.error.ApiException;
import dev.paygate.grpc.CallMetadata;
import dev.paygate.grpc.GrpcErrors;
import dev.paygate.v1.WatchAuthorizationEventsResponse;
import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ServerCallStreamObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A WatchAuthorizationEvents gRPC stream as a {@link WatchSink}; errors are mapped by {@link GrpcErrors}. */
final class GrpcWatchSink implements WatchSink {

    private static final Logger LOG = LoggerFactory.getLogger(GrpcWatchSink.class);

    private final ServerCallStreamObserver<WatchAuthorizationEventsResponse> stream;
    /** Read on the call's thread, where the failure of a poll has no request id of its own. */
    private final String requestId = CallMetadata.REQUEST_ID.get();
    /**
     * The call's context, whose deadline DeadlineInterceptor set. Nothing in grpc-java ends a call
     * when a context an interceptor made expires, and the poller runs outside it: it asks.
     */
    private final Context call = Context.current();
    private volatile Runnable onCancel = () -> { };
    private boolean sentAny;

    /** Must be created in the handler's own invocation: gRPC takes the cancel handler only then. */
    GrpcWatchSink(ServerCallStreamObserver<WatchAuthorizationEventsResponse> stream) {
        this.stream = stream;
        stream.setOnCancelHandler(() -> onCancel.run());
    }

    @Override
    public boolean ready() {
        return stream.isReady();
    }

    @Override
    public void send(WatchAuthorizationEventsResponse message) {
        stream.onNext(message);
        sentAny = true;
    }

    @Override
    public void fail(RuntimeException failure) {
        StatusRuntimeException status;
        if (failure instanceof ApiException e) {
            LOG.info("stream ended: {} {}: {} (request {})", e.code(), e.reason(), e.getMessage(), requestId);
            status = GrpcErrors.toStatus(e);
        } else {
            LOG.error("stream failed (request {})", requestId, failure);
            status = GrpcErrors.internal(requestId);
        }
        // Once a message went out, the response headers did too: through the edge's transcoder a
        // REST client has its 200 and never sees the trailers (HTTP/1.1 drops them), so the status
        // goes in-band first, as the stream's last message.
        if (sentAny) {
            stream.onNext(WatchAuthorizationEventsResponse.newBuilder().setEnd(StatusProto.fromThrowable(status)).build());
        }
        stream.onError(status);
    }

    @Override
    public boolean expired() {
        return call.isCancelled();
    }

    @Override
    public void onCancel(Runnable action) {
        this.onCancel = action;
    }
}
