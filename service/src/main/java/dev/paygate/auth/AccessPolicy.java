package dev.paygate.auth;

import com.google.protobuf.DescriptorProtos.MethodOptions.IdempotencyLevel;
import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoMethodDescriptorSupplier;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What each gRPC method requires of its caller. The Paygate API's rule comes from the contract
 * itself: a method declared {@code idempotency_level = NO_SIDE_EFFECTS} is a read and needs
 * {@value #READ}; every other method changes state and needs {@value #WRITE}. So a new rpc is
 * covered the day it is added, and a method nobody classified is refused, never opened.
 */
final class AccessPolicy {

    static final String READ = "payments.read";
    static final String WRITE = "payments.write";

    private static final String API_PACKAGE = "paygate.v1.";
    private static final String HEALTH_SERVICE = "grpc.health.v1.Health";
    private static final String REFLECTION_PACKAGE = "grpc.reflection.";

    /** What one method needs: nothing, a verified token, or a verified token with a scope. */
    sealed interface Rule {
        /** Health checks: Envoy (and orchestrators) probe without a token. */
        record Open() implements Rule { }

        /** A valid token of any scope (server reflection: it reveals the API, not data). */
        record Authenticated() implements Rule { }

        record Scope(String scope) implements Rule { }

        /** Not classified: refused even with a valid token. */
        record Deny() implements Rule { }
    }

    private final Map<String, Rule> rules = new ConcurrentHashMap<>();

    Rule ruleFor(MethodDescriptor<?, ?> method) {
        return rules.computeIfAbsent(method.getFullMethodName(), name -> classify(method));
    }

    private static Rule classify(MethodDescriptor<?, ?> method) {
        String service = method.getServiceName() == null ? "" : method.getServiceName();
        if (service.equals(HEALTH_SERVICE)) {
            return new Rule.Open();
        }
        if (service.startsWith(REFLECTION_PACKAGE)) {
            return new Rule.Authenticated();
        }
        if (!service.startsWith(API_PACKAGE)) {
            return new Rule.Deny();
        }
        return idempotencyLevel(method)
                .<Rule>map(level -> new Rule.Scope(level == IdempotencyLevel.NO_SIDE_EFFECTS ? READ : WRITE))
                .orElse(new Rule.Deny());
    }

    private static Optional<IdempotencyLevel> idempotencyLevel(MethodDescriptor<?, ?> method) {
        if (method.getSchemaDescriptor() instanceof ProtoMethodDescriptorSupplier supplier) {
            return Optional.of(supplier.getMethodDescriptor().getOptions().getIdempotencyLevel());
        }
        return Optional.empty();
    }
}
