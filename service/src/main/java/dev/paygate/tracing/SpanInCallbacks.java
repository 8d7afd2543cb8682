package dev.paygate.tracing;

import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.ServerCall;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;

/**
 * Makes a call's OpenTelemetry context (its span) current around each of its callbacks, where the
 * handlers run: so their log lines name the trace and their SQL spans sit under the call's span.
 */
final class SpanInCallbacks<Q> extends SimpleForwardingServerCallListener<Q> {

    private final Context context;

    SpanInCallbacks(ServerCall.Listener<Q> delegate, Context context) {
        super(delegate);
        this.context = context;
    }

    @Override
    public void onMessage(Q message) {
        try (Scope ignored = context.makeCurrent()) {
            super.onMessage(message);
        }
    }

    @Override
    public void onHalfClose() {
        try (Scope ignored = context.makeCurrent()) {
            super.onHalfClose();
        }
    }

    @Override
    public void onCancel() {
        try (Scope ignored = context.makeCurrent()) {
            super.onCancel();
        }
    }

    @Override
    public void onComplete() {
        try (Scope ignored = context.makeCurrent()) {
            super.onComplete();
        }
    }

    @Override
    public void onReady() {
        try (Scope ignored = context.makeCurrent()) {
            super.onReady();
        }
    }
}
