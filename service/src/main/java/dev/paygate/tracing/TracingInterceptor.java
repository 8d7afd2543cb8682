package dev.paygate.tracing;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import dev.paygate.grpc.InterceptorOrder;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.micronaut.core.order.Ordered;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.opentelemetry.instrumentation.grpc.v1_6.GrpcTelemetry;
import jakarta.inject.Singleton;

/**
 * While tracing exports, a server span per call (OpenTelemetry's gRPC instrumentation), continuing
 * the caller's {@code traceparent}; off, only the caller's trace ({@link CallerTraceContext}).
 * The outermost interceptor, so the span covers calls that load shedding or
 * authentication refuse. A failed call's span also carries its {@code ErrorInfo} reason and domain
 * beside the gRPC status code the instrumentation records. The instrumentation makes the span
 * current only while it starts the call (and around each response it sends); this keeps it current
 * in the call's callbacks too ({@link SpanInCallbacks}), unless there is no trace to name.
 */
@Singleton
public class TracingInterceptor implements ServerInterceptor, Ordered {

    static final String ERROR_REASON = "paygate.error.reason";
    static final String ERROR_DOMAIN = "paygate.error.domain";

    /** Null with tracing off: then only the caller's trace is kept current ({@link CallerTraceContext}). */
    private final ServerInterceptor serverSpans;
    private final CallerTraceContext callerTrace;

    public TracingInterceptor(Tracing tracing, TracingProperties properties) {
        this.serverSpans = properties.exporting()
                ? GrpcTelemetry.create(tracing.openTelemetry()).createServerInterceptor() : null;
        this.callerTrace = new CallerTraceContext(tracing.openTelemetry().getPropagators().getTextMapPropagator());
    }

    @Override
    public int getOrder() {
        return InterceptorOrder.TRACING;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        if (serverSpans == null) {
            return callerTrace.interceptCall(call, headers, next);
        }
        return serverSpans.interceptCall(call, headers, (spanned, spannedHeaders) -> {
            Context traced = Context.current();  // current while the instrumentation starts the call
            Span span = Span.fromContext(traced);
            ServerCall.Listener<Q> listener = next.startCall(new SimpleForwardingServerCall<>(spanned) {
                @Override
                public void close(Status status, Metadata trailers) {
                    if (!status.isOk() && span.isRecording()) {
                        recordErrorInfo(span, status, trailers);
                    }
                    super.close(status, trailers);
                }
            }, spannedHeaders);
            // No valid span (none started, no traceparent): nothing a log line or a span could name.
            return span.getSpanContext().isValid() ? new SpanInCallbacks<>(listener, traced) : listener;
        });
    }

    private static void recordErrorInfo(Span span, Status status, Metadata trailers) {
        com.google.rpc.Status details = StatusProto.fromStatusAndTrailers(status, trailers);
        for (Any detail : details.getDetailsList()) {
            if (detail.is(ErrorInfo.class)) {
                try {
                    ErrorInfo info = detail.unpack(ErrorInfo.class);
                    span.setAttribute(ERROR_REASON, info.getReason());
                    span.setAttribute(ERROR_DOMAIN, info.getDomain());
                } catch (InvalidProtocolBufferException e) {
                    return;  // a detail that claims to be ErrorInfo and is not: nothing to record
                }
                return;
            }
        }
    }
}
