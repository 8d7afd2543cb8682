package dev.paygate.grpc;

import dev.paygate.error.ApiException;
import dev.paygate.error.ErrorReason;
import io.grpc.Context;
import io.grpc.Deadline;
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
import java.util.concurrent.TimeUnit;

/**
 * Refuses, before any other work, the calls {@link CallAdmission} could not serve in time: one
 * that found every worker busy and the queue full, and one that waited in the queue until less
 * than the minimum budget was left (it would fail on its deadline after holding a database
 * connection). Both get UNAVAILABLE with ErrorInfo and RetryInfo: the replica is briefly unable to
 * serve, which is what UNAVAILABLE means in gRPC's status code guide ("transient... retrying with a
 * backoff"); Envoy's routes retry it on the other replica for reads and keyed writes. (Not
 * RESOURCE_EXHAUSTED: the guide reserves it for quotas and exhausted resources a retry on another
 * host would not cure, and Envoy maps it to 429, telling a client it sent too much.)
 * A call whose deadline was too short on arrival is the caller's doing and is left to
 * {@link DeadlineInterceptor} (DEADLINE_EXCEEDED). Each refusal counts in
 * {@code paygate.calls.refused{reason}}; nothing is read or written.
 */
@Singleton
public class LoadSheddingInterceptor implements ServerInterceptor, Ordered {

    /** Long enough for the queue to drain a little; short enough to hit a retry's budget. */
    static final Duration RETRY_DELAY = Duration.ofMillis(100);

    private final DeadlineProperties deadlines;
    private final MeterRegistry meters;

    public LoadSheddingInterceptor(DeadlineProperties deadlines, MeterRegistry meters) {
        this.deadlines = deadlines;
        this.meters = meters;
    }

    @Override
    public int getOrder() {
        return InterceptorOrder.LOAD_SHEDDING;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        AdmissionTicket ticket = AdmissionTicket.current();
        if (ticket == null) {
            return next.startCall(call, headers);
        }
        if (ticket.refused()) {
            return refuse(call, ErrorReason.SERVER_OVERLOADED,
                    "every worker of this replica is busy and its queue is full; nothing was done");
        }
        long remainingNanos = remainingNanos(headers, ticket);
        long minimumNanos = deadlines.minimumBudget().toNanos();
        if (remainingNanos < minimumNanos && remainingNanos + ticket.queuedNanos() >= minimumNanos) {
            return refuse(call, ErrorReason.QUEUED_PAST_DEADLINE, "waited "
                    + TimeUnit.NANOSECONDS.toMillis(ticket.queuedNanos()) + " ms for a worker and "
                    + Math.max(0, TimeUnit.NANOSECONDS.toMillis(remainingNanos))
                    + " ms of the deadline are left; nothing was done");
        }
        return next.startCall(call, headers);
    }

    /** What is left of the call's earliest deadline (gRPC's or Envoy's attempt budget); MAX if none. */
    private static long remainingNanos(Metadata headers, AdmissionTicket ticket) {
        long remaining = Long.MAX_VALUE;
        Deadline grpc = Context.current().getDeadline();
        if (grpc != null) {
            remaining = grpc.timeRemaining(TimeUnit.NANOSECONDS);
        }
        Deadline envoy = DeadlineInterceptor.envoyAttemptDeadline(headers, ticket.queuedNanos());
        if (envoy != null) {
            remaining = Math.min(remaining, envoy.timeRemaining(TimeUnit.NANOSECONDS));
        }
        return remaining;
    }

    private <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, ErrorReason reason, String message) {
        Counter.builder("paygate.calls.refused")
                .description("API calls a replica refused without doing anything, by why")
                .tags("reason", reason.name().toLowerCase(), "method", call.getMethodDescriptor().getFullMethodName())
                .register(meters)
                .increment();
        StatusRuntimeException error = GrpcErrors.toStatus(ApiException.shed(reason, message, RETRY_DELAY));
        call.close(error.getStatus(), error.getTrailers());
        return new ServerCall.Listener<>() { };
    }
}
