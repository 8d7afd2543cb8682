package dev.paygate.grpc;

import io.grpc.BindableService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Singleton;

/**
 * gRPC server reflection (what grpcurl uses to list and call methods without .proto files).
 * It reveals the whole API surface, so it is off unless {@code paygate.reflection.enabled} is
 * true; the local configuration that {@code ./paygate run} uses turns it on.
 */
@Factory
@Requires(property = "paygate.reflection.enabled", value = "true")
public class ReflectionFactory {

    @Singleton
    BindableService reflectionService() {
        return ProtoReflectionServiceV1.newInstance();
    }
}
