package io.grpc.override;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Context;
import org.junit.jupiter.api.Test;

/**
 * gRPC uses this service's storage, not OpenTelemetry's bridge from the same class name: attaching a
 * gRPC context leaves OpenTelemetry's current context as it was (the bridge makes a new one current
 * on every attach, with the attached context in it).
 */
class ContextStorageOverrideTest {

    private static final Context.Key<String> KEY = Context.key("test-key");

    @Test
    void attach_setsGrpcContextOnly_andDetachRestoresIt() {
        io.opentelemetry.context.Context otelBefore = io.opentelemetry.context.Context.current();
        Context outer = Context.current();
        Context attached = Context.ROOT.withValue(KEY, "value");

        Context previous = attached.attach();
        try {
            assertThat(KEY.get()).isEqualTo("value");
            assertThat(io.opentelemetry.context.Context.current()).isSameAs(otelBefore);
        } finally {
            attached.detach(previous);
        }

        assertThat(Context.current()).isSameAs(outer);
        assertThat(KEY.get()).isNull();
    }
}
