package dev.paygate.grpc;

import build.buf.protovalidate.ValidationResult;
import build.buf.protovalidate.Validator;
import build.buf.protovalidate.ValidatorFactory;
import build.buf.protovalidate.exceptions.ValidationException;
import build.buf.validate.FieldPathElement;
import build.buf.validate.Violation;
import com.google.protobuf.Message;
import dev.paygate.error.ApiException.FieldViolation;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.stream.Collectors;

/** The protovalidate constraints declared in the contract, checked on a request message. */
@Singleton
public class RequestValidator {

    private final Validator validator = ValidatorFactory.newBuilder().build();

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
