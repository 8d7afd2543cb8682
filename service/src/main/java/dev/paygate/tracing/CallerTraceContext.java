package dev.paygate.tracing;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * With tracing off: the caller's trace (its {@code traceparent}) current while the call starts and
 * in its callbacks, so log lines name it, as the instrumentation does with no SDK (its span is then
 * the caller's). Without the instrumentation, which fills a span's and a metric's attributes on
 * every call even when nothing records them.
 */
final class CallerTraceContext implements ServerInterceptor {

    /** Metadata keys by header name, made once: the propagator asks for the same few on every call. */
    private static final Map<String, Metadata.Key<String>> KEYS = new ConcurrentHashMap<>();
    private static final TextMapGetter<Metadata> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Metadata carrier) {
            return carrier.keys();
        }

        @Override
        public String get(Metadata carrier, String key) {
            return carrier == null ? null
                    : carrier.get(KEYS.computeIfAbsent(key, name -> Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER)));
        }
    };

    private final TextMapPropagator propagator;

    CallerTraceContext(TextMapPropagator propagator) {
        this.propagator = propagator;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        Context caller = propagator.extract(Context.current(), headers, HEADERS);
        if (!Span.fromContext(caller).getSpanContext().isValid()) {
            return next.startCall(call, headers);
        }
        ServerCall.Listener<Q> listener;
        try (Scope ignored = caller.makeCurrent()) {
            listener = next.startCall(call, headers);
        }
        return new SpanInCallbacks<>(listener, caller);
    }
}
