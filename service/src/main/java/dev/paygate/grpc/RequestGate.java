package dev.paygate.grpc;

import com.google.protobuf.Message;
import dev.paygate.error.ApiException;
import dev.paygate.error.ApiException.FieldViolation;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.StatusRuntimeException;
import jakarta.inject.Singleton;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an API method's handler may receive: exactly one request message, well-formed and valid
 * by the contract's protovalidate rules. Anything else is INVALID_ARGUMENT with an ErrorInfo
 * (MALFORMED_REQUEST for bytes that are not one message, INVALID_ARGUMENT with a BadRequest for
 * rule violations) before the handler runs, so bad input never changes state.
 *
 * <p>grpc-java parses a request outside every interceptor: bytes that do not parse end as
 * UNKNOWN "Application error processing RPC" with a stack trace in the log, and for a unary
 * method it cancels a call that sends a second message with RST_STREAM, which Envoy retries as a
 * reset (ServerCallImpl, 1.85). So each unary method is registered taking raw bytes and as
 * client-streaming (a type the wire does not carry), and parsed here, where both can be answered;
 * a server-streaming method (one request, many responses) likewise as bidi-streaming.
 * Its descriptor keeps its name and schema (reflection, access rules); only grpc-java's metrics
 * label {@code methodType} shows the registration type.
 */
@Singleton
public class RequestGate {

    private static final Logger LOG = LoggerFactory.getLogger(RequestGate.class);
    private static final MethodDescriptor.Marshaller<InputStream> RAW = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(InputStream value) {
            return value;
        }

        @Override
        public InputStream parse(InputStream stream) {
            return stream;
        }
    };

    private final RequestValidator validator;

    public RequestGate(RequestValidator validator) {
        this.validator = validator;
    }

    /** The service with every (unary or server-streaming) method behind the gate. */
    public ServerServiceDefinition guard(ServerServiceDefinition service) {
        ServiceDescriptor original = service.getServiceDescriptor();
        ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName())
                .setSchemaDescriptor(original.getSchemaDescriptor());
        List<ServerMethodDefinition<InputStream, ?>> methods = new ArrayList<>();
        for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
            ServerMethodDefinition<InputStream, ?> guarded = guard(method);
            descriptor.addMethod(guarded.getMethodDescriptor());
            methods.add(guarded);
        }
        ServerServiceDefinition.Builder guarded = ServerServiceDefinition.builder(descriptor.build());
        methods.forEach(guarded::addMethod);
        return guarded.build();
    }

    private <Q, R> ServerMethodDefinition<InputStream, R> guard(ServerMethodDefinition<Q, R> method) {
        MethodDescriptor<Q, R> typed = method.getMethodDescriptor();
        // The registration type keeps grpc-java from enforcing one request message itself (the
        // gate does) and, for server streaming, still lets the handler send many responses.
        MethodType registered = switch (typed.getType()) {
            case UNARY -> MethodType.CLIENT_STREAMING;
            case SERVER_STREAMING -> MethodType.BIDI_STREAMING;
            default -> throw new IllegalArgumentException(typed.getFullMethodName()
                    + " is client- or bidi-streaming; the gate takes exactly one request message");
        };
        MethodDescriptor<InputStream, R> raw = typed.toBuilder(RAW, typed.getResponseMarshaller())
                .setType(registered)
                .build();
        ServerCallHandler<InputStream, R> handler = (call, headers) ->
                new OneRequest<>(new TypedServerCall<>(call, typed), headers, method.getServerCallHandler());
        return ServerMethodDefinition.create(raw, handler);
    }

    /** Holds the call's one message until the client half-closes, then hands it to the handler. */
    private final class OneRequest<Q, R> extends ServerCall.Listener<InputStream> {

        private final TypedServerCall<Q, R> call;
        private final ServerCall.Listener<Q> handler;
        private Q request;

        OneRequest(TypedServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            this.call = call;
            this.handler = next.startCall(call, headers);
        }

        @Override
        public void onMessage(InputStream message) {
            if (call.closed()) {
                return;
            }
            if (request != null) {
                refuse(malformed("a unary or server-streaming call carries exactly one request message; this one sent more"));
                return;
            }
            Q parsed;
            try {
                parsed = call.getMethodDescriptor().parseRequest(message);
            } catch (StatusRuntimeException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                refuse(malformed("the request message does not parse: " + cause.getMessage()));
                return;
            }
            List<FieldViolation> violations = validator.violations((Message) parsed);
            if (!violations.isEmpty()) {
                String summary = violations.stream().map(v -> v.field() + ": " + v.description())
                        .collect(Collectors.joining("; "));
                refuse(ApiException.invalidArgument("invalid request: " + summary, violations));
                return;
            }
            request = parsed;
        }

        @Override
        public void onHalfClose() {
            if (call.closed()) {
                return;
            }
            if (request == null) {
                refuse(malformed("the call ended without its request message"));
                return;
            }
            handler.onMessage(request);
            handler.onHalfClose();
        }

        @Override
        public void onCancel() {
            handler.onCancel();
        }

        @Override
        public void onComplete() {
            handler.onComplete();
        }

        @Override
        public void onReady() {
            handler.onReady();
        }

        private ApiException malformed(String why) {
            LOG.info("call refused: INVALID_ARGUMENT MALFORMED_REQUEST: {}", why);
            return ApiException.malformedRequest(why);
        }

        private void refuse(ApiException e) {
            StatusRuntimeException error = GrpcErrors.toStatus(e);
            call.close(error.getStatus(), error.getTrailers());
        }
    }
}
