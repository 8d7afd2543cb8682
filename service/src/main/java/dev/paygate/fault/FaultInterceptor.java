package dev.paygate.fault;

import dev.paygate.error.ApiException;
import dev.paygate.error.ErrorReason;
import dev.paygate.grpc.GrpcErrors;
import dev.paygate.grpc.InterceptorOrder;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.core.order.Ordered;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fault drill ({@link FaultProperties}): refuses the configured share of API calls with
 * UNAVAILABLE / FAULT_INJECTED before the call's message is read, so nothing is read or written
 * and a retry (Envoy's, or the client's) is safe. Health checks and reflection are never refused:
 * the drill is a build that fails calls, not one that is down. Each refusal counts in
 * {@code paygate.fault.injected}. The ratio comes from configuration only; nothing a client sends
 * turns it on.
 */
@Singleton
public class FaultInterceptor implements ServerInterceptor, Ordered {

    private static final Logger LOG = LoggerFactory.getLogger(FaultInterceptor.class);
    private static final String API_PACKAGE = "paygate.v1.";
    private static final Duration RETRY_DELAY = Duration.ofMillis(100);

    private final double ratio;
    private final MeterRegistry meters;

    public FaultInterceptor(FaultProperties properties, MeterRegistry meters) {
        this.ratio = properties.unavailableRatio();
        this.meters = meters;
        if (ratio > 0) {
            LOG.warn("fault drill ON: {} % of API calls are refused with UNAVAILABLE (PAYGATE_FAULT_UNAVAILABLE_RATIO)",
                    ratio * 100);
        }
    }

    @Override
    public int getOrder() {
        return InterceptorOrder.FAULT_DRILL;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        if (ratio == 0 || !method.startsWith(API_PACKAGE) || ThreadLocalRandom.current().nextDouble() >= ratio) {
            return next.startCall(call, headers);
        }
        Counter.builder("paygate.fault.injected")
                .description("API calls the fault drill refused (PAYGATE_FAULT_UNAVAILABLE_RATIO); 0 outside drills")
                .tag("method", method)
                .register(meters)
                .increment();
        StatusRuntimeException error = GrpcErrors.toStatus(ApiException.shed(ErrorReason.FAULT_INJECTED,
                "fault drill: this replica refuses a share of calls on purpose; nothing was done", RETRY_DELAY));
        call.close(error.getStatus(), error.getTrailers());
        return new ServerCall.Listener<>() { };
    }
}
