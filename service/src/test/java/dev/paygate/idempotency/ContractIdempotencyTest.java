package dev.paygate.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DescriptorProtos.MethodOptions.IdempotencyLevel;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import dev.paygate.v1.AccountServiceProto;
import dev.paygate.v1.AuthorizationServiceProto;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The contract says what is true about repeating a call, for generated clients and proxies: reads
 * are NO_SIDE_EFFECTS; writes are idempotent only with a key, so they must not claim IDEMPOTENT,
 * and each carries the {@code request_id} that makes it so.
 */
class ContractIdempotencyTest {

    @Test
    void writes_doNotClaimIdempotency_andEachCarriesARequestId() {
        List<MethodDescriptor> methods = Stream.of(AccountServiceProto.getDescriptor(),
                        AuthorizationServiceProto.getDescriptor())
                .flatMap(file -> file.getServices().stream())
                .map(ServiceDescriptor::getMethods)
                .flatMap(List::stream)
                .toList();

        assertThat(methods).isNotEmpty().allSatisfy(method -> {
            IdempotencyLevel level = method.getOptions().getIdempotencyLevel();
            if (level != IdempotencyLevel.NO_SIDE_EFFECTS) {
                assertThat(level).as(method.getFullName()).isEqualTo(IdempotencyLevel.IDEMPOTENCY_UNKNOWN);
                assertThat(method.getInputType().findFieldByName("request_id")).as(method.getFullName()).isNotNull();
            }
        });
    }
}
