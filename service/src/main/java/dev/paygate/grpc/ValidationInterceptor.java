package dev.paygate.grpc;

import build.buf.protovalidate.ValidationResult;
import build.buf.protovalidate.Validator;
import build.buf.protovalidate.ValidatorFactory;
import build.buf.protovalidate.exceptions.ValidationException;
import build.buf.validate.FieldPathElement;
import build.buf.validate.Violation;
import com.google.protobuf.Message;
import dev.paygate.error.ApiException;
import dev.paygate.error.ApiException.FieldViolation;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import io.micronaut.core.order.Ordered;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Enforces the protovalidate constraints declared in the contract on every request message,
 * before any handler runs: bad input never reaches the business code, so it never changes state.
 */
@Singleton
public class ValidationInterceptor implements ServerInterceptor, Ordered {

    private final Validator validator = ValidatorFactory.newBuilder().build();

    @Override
    public int getOrder() {
        return InterceptorOrder.VALIDATION;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        ServerCall.Listener<Q> listener = next.startCall(call, headers);
        return new SimpleForwardingServerCallListener<>(listener) {
            private boolean rejected;

            @Override
            public void onMessage(Q message) {
                List<FieldViolation> violations = violations((Message) message);
                if (violations.isEmpty()) {
                    super.onMessage(message);
                    return;
                }
                rejected = true;
                String summary = violations.stream()
                        .map(v -> v.field() + ": " + v.description())
                        .collect(Collectors.joining("; "));
                StatusRuntimeException error = GrpcErrors.toStatus(
                        ApiException.invalidArgument("invalid request: " + summary, violations));
                call.close(error.getStatus(), error.getTrailers());
            }

            @Override
            public void onHalfClose() {
                if (!rejected) {
                    super.onHalfClose();
                }
            }
        };
    }

    List<FieldViolation> violations(Message message) {
        ValidationResult result;
        try {
            result = validator.validate(message);
        } catch (ValidationException e) {
            // A broken rule in our own contract: a bug on our side, not bad input.
            throw new IllegalStateException("cannot evaluate validation rules of " + message.getDescriptorForType(), e);
        }
        return result.getViolations().stream()
                .map(v -> v.toProto())
                .map(v -> new FieldViolation(fieldPath(v), v.getMessage()))
                .toList();
    }

    private static String fieldPath(Violation violation) {
        return violation.getField().getElementsList().stream()
                .map(FieldPathElement::getFieldName)
                .collect(Collectors.joining("."));
    }
}
