package dev.paygate.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.micronaut.core.order.Ordered;
import jakarta.inject.Singleton;
import org.slf4j.MDC;

/**
 * Puts {@code x-request-id}, {@code traceparent} and {@code idempotency-key} into the call's
 * {@link Context}, and the first two into the logging MDC around every callback, so each log
 * line of a call carries them whichever executor thread runs it. Also gives handlers a place
 * for response headers ({@link CallMetadata#RESPONSE_HEADERS}).
 */
@Singleton
public class RequestMetadataInterceptor implements ServerInterceptor, Ordered {

    @Override
    public int getOrder() {
        return InterceptorOrder.REQUEST_METADATA;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        String requestId = valueOrEmpty(headers.get(CallMetadata.REQUEST_ID_HEADER));
        String traceparent = valueOrEmpty(headers.get(CallMetadata.TRACEPARENT_HEADER));
        // Absent stays null: an empty idempotency-key entry is a malformed key, not "no key".
        String idempotencyKey = headers.get(CallMetadata.IDEMPOTENCY_KEY_HEADER);
        String method = call.getMethodDescriptor().getFullMethodName();
        Metadata responseHeaders = new Metadata();
        Context context = Context.current()
                .withValue(CallMetadata.REQUEST_ID, requestId)
                .withValue(CallMetadata.IDEMPOTENCY_KEY, idempotencyKey)
                .withValue(CallMetadata.RESPONSE_HEADERS, responseHeaders);
        ServerCall<Q, R> withResponseHeaders = new SimpleForwardingServerCall<>(call) {
            @Override
            public void sendHeaders(Metadata headers) {
                headers.merge(responseHeaders);
                super.sendHeaders(headers);
            }
        };
        ServerCall.Listener<Q> listener = Contexts.interceptCall(context, withResponseHeaders, headers, next);
        return new SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onMessage(Q message) {
                withMdc(() -> super.onMessage(message));
            }

            @Override
            public void onHalfClose() {
                withMdc(super::onHalfClose);
            }

            @Override
            public void onCancel() {
                withMdc(super::onCancel);
            }

            @Override
            public void onComplete() {
                withMdc(super::onComplete);
            }

            @Override
            public void onReady() {
                withMdc(super::onReady);
            }

            private void withMdc(Runnable callback) {
                MDC.put("grpc_method", method);
                putIfPresent("x_request_id", requestId);
                putIfPresent("traceparent", traceparent);
                try {
                    callback.run();
                } finally {
                    MDC.remove("grpc_method");
                    MDC.remove("x_request_id");
                    MDC.remove("traceparent");
                }
            }
        };
    }

    private static void putIfPresent(String key, String value) {
        if (!value.isEmpty()) {
            MDC.put(key, value);
        }
    }

    private static String valueOrEmpty(String value) {
        return value == null ? "" : value;
    }
}
