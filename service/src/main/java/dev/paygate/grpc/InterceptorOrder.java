package dev.paygate.grpc;

import io.micronaut.core.order.Ordered;

/**
 * The order of the server interceptors, outermost first: tracing (the call's span covers every
 * refusal below), request metadata (so every later log
 * line carries the request id), load shedding (a call refused for want of a worker costs nothing
 * more), the call's deadline, then authentication (an unknown caller learns nothing, not even which
 * field of its request is wrong), then the fault drill (off unless configured; after authentication,
 * so an unknown caller is still refused as such). Inside them all, {@link RequestGate} parses and validates the
 * message before the handler sees it.
 */
public final class InterceptorOrder {

    public static final int TRACING = Ordered.HIGHEST_PRECEDENCE + 99;
    public static final int REQUEST_METADATA = Ordered.HIGHEST_PRECEDENCE + 100;
    public static final int LOAD_SHEDDING = REQUEST_METADATA + 1;
    public static final int DEADLINE = REQUEST_METADATA + 2;
    public static final int AUTHENTICATION = REQUEST_METADATA + 3;
    public static final int FAULT_DRILL = REQUEST_METADATA + 4;

    private InterceptorOrder() {
    }
}
