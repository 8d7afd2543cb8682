package dev.paygate.grpc;

import io.grpc.Context;
import io.grpc.Metadata;

/** Request metadata that handlers read from the gRPC {@link Context}. */
public final class CallMetadata {

    /** Set by Envoy (generated when missing), or by the client. */
    public static final Metadata.Key<String> REQUEST_ID_HEADER =
            Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);
    /** W3C trace context, passed through to the logs. */
    public static final Metadata.Key<String> TRACEPARENT_HEADER =
            Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);
    /** REST clients send {@code Idempotency-Key}; Envoy forwards it as this metadata entry. */
    public static final Metadata.Key<String> IDEMPOTENCY_KEY_HEADER =
            Metadata.Key.of("idempotency-key", Metadata.ASCII_STRING_MARSHALLER);
    /** The route budget Envoy announces to REST calls, which carry no grpc-timeout. */
    public static final Metadata.Key<String> ENVOY_TIMEOUT_HEADER =
            Metadata.Key.of("x-envoy-expected-rq-timeout-ms", Metadata.ASCII_STRING_MARSHALLER);

    /** Response header on a mutation answered from its idempotency key's stored response. */
    public static final Metadata.Key<String> IDEMPOTENT_REPLAYED_HEADER =
            Metadata.Key.of("idempotent-replayed", Metadata.ASCII_STRING_MARSHALLER);

    /** Headers a handler adds to its response; sent with the response's first message. */
    public static final Context.Key<Metadata> RESPONSE_HEADERS = Context.key("paygate-response-headers");
    public static final Context.Key<String> REQUEST_ID = Context.keyWithDefault("paygate-request-id", "");
    /** The idempotency-key metadata entry as sent, or null when the call has none. */
    public static final Context.Key<String> IDEMPOTENCY_KEY = Context.key("paygate-idempotency-key");

    private CallMetadata() {
    }
}
