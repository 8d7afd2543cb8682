package dev.paygate.grpc;

import dev.paygate.error.ApiException;
import dev.paygate.error.ErrorReason;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Deadline;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.core.order.Ordered;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Every call runs under a deadline: the earlier of the caller's gRPC deadline and the budget Envoy
 * announces in {@code x-envoy-expected-rq-timeout-ms}; else the configured default. A call whose budget is
 * already below the minimum fails fast with DEADLINE_EXCEEDED before any database work; one above the
 * maximum is cut to the maximum (for a server-streaming call: its stream maximum duration, plus a
 * little, as the stream ends itself first).
 *
 * <p>The budget each call saw is recorded in {@code paygate.call.budget} by source, so operators
 * (and the end-to-end tests) can see that edge timeouts really reach the service.
 */
@Singleton
public class DeadlineInterceptor implements ServerInterceptor, Ordered {

    /** Where a call's deadline came from. */
    enum Source { GRPC_TIMEOUT, ENVOY_ROUTE, SERVICE_DEFAULT }

    // One timer thread fires every call's deadline; cancellation work itself is tiny.
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "paygate-deadline-timer");
        thread.setDaemon(true);
        return thread;
    });
    /** A stream's own end (StreamProperties.maxDuration) comes first; this much later the deadline cancels it. */
    private static final Duration STREAM_BACKSTOP = Duration.ofSeconds(5);

    private final DeadlineProperties properties;
    private final StreamProperties streams;
    private final MeterRegistry meters;
    private final Map<Source, Map<String, DistributionSummary>> budgetSummaries = new EnumMap<>(Source.class);

    public DeadlineInterceptor(DeadlineProperties properties, StreamProperties streams, MeterRegistry meters) {
        this.properties = properties;
        this.streams = streams;
        this.meters = meters;
        for (Source source : Source.values()) {
            budgetSummaries.put(source, new ConcurrentHashMap<>());
        }
    }

    @Override
    public int getOrder() {
        return InterceptorOrder.DEADLINE;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        boolean streaming = !call.getMethodDescriptor().getType().serverSendsOneMessage();
        Deadline deadline = Context.current().getDeadline();
        Source source = Source.GRPC_TIMEOUT;
        // Envoy announces the budget of this attempt (its per-try timeout), which is shorter than
        // the grpc-timeout it forwards for the whole call when retries are allowed: use the earlier.
        AdmissionTicket ticket = AdmissionTicket.current();
        Deadline attempt = envoyAttemptDeadline(headers, ticket == null ? 0 : ticket.queuedNanos());
        if (attempt != null) {
            if (deadline == null || attempt.isBefore(deadline)) {
                deadline = attempt;
                source = Source.ENVOY_ROUTE;
            }
        }
        if (deadline == null) {
            deadline = Deadline.after(properties.defaultBudget().toMillis(), TimeUnit.MILLISECONDS);
            source = Source.SERVICE_DEFAULT;
        }
        // A caller's hour-long deadline would let one call hold a connection and locks for an hour.
        // A stream holds neither between its polls: it ends itself at its own maximum duration
        // (StreamProperties, with a status to reconnect on); this cap is only a backstop after it.
        Deadline longest = Deadline.after(streaming
                ? streams.maxDuration().plus(STREAM_BACKSTOP).toMillis()
                : properties.maximumBudget().toMillis(), TimeUnit.MILLISECONDS);
        if (longest.isBefore(deadline)) {
            deadline = longest;
        }
        long remainingMillis = deadline.timeRemaining(TimeUnit.MILLISECONDS);
        budgetSummary(method, source).record(Math.max(remainingMillis, 0));
        if (remainingMillis < properties.minimumBudget().toMillis()) {
            Counter.builder("paygate.call.deadline.rejected")
                    .description("Calls refused because their remaining deadline was below the minimum")
                    .tags("method", method)
                    .register(meters)
                    .increment();
            StatusRuntimeException error = GrpcErrors.toStatus(ApiException.deadlineExceeded(
                    ErrorReason.DEADLINE_TOO_SHORT,
                    "remaining deadline " + remainingMillis + " ms is below the minimum of "
                            + properties.minimumBudget().toMillis() + " ms; nothing was done"));
            call.close(error.getStatus(), error.getTrailers());
            return new ServerCall.Listener<>() { };
        }
        Context.CancellableContext context = Context.current().withDeadline(deadline, timer);
        ServerCall.Listener<Q> listener = Contexts.interceptCall(context, call, headers, next);
        // Release the deadline timer as soon as the call is over.
        return new SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onComplete() {
                try {
                    super.onComplete();
                } finally {
                    context.cancel(null);
                }
            }

            @Override
            public void onCancel() {
                try {
                    super.onCancel();
                } finally {
                    context.cancel(null);
                }
            }
        };
    }

    /** The method's {@code paygate.call.budget} for this source, registered on first use: a lookup builds tags and an id. */
    private DistributionSummary budgetSummary(String method, Source source) {
        Map<String, DistributionSummary> byMethod = budgetSummaries.get(source);
        DistributionSummary summary = byMethod.get(method);
        return summary != null ? summary : byMethod.computeIfAbsent(method, m -> DistributionSummary.builder("paygate.call.budget")
                .description("Deadline budget a call arrived with, by where it came from")
                .baseUnit("milliseconds")
                .tags("method", m, "source", source.name().toLowerCase())
                .register(meters));
    }

    /**
     * The attempt budget Envoy announced, counted from when the call arrived: the time it waited
     * for a worker ({@link CallAdmission}) is already spent on Envoy's clock. Null without the header.
     * (The gRPC deadline needs no such care: gRPC fixed it when the call arrived.)
     */
    static Deadline envoyAttemptDeadline(Metadata headers, long queuedNanos) {
        Long envoyBudget = parseMillis(headers.get(CallMetadata.ENVOY_TIMEOUT_HEADER));
        return envoyBudget == null ? null
                : Deadline.after(TimeUnit.MILLISECONDS.toNanos(envoyBudget) - queuedNanos, TimeUnit.NANOSECONDS);
    }

    private static Long parseMillis(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            long millis = Long.parseLong(value.trim());
            return millis > 0 ? millis : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
