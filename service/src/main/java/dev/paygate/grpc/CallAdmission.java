package dev.paygate.grpc;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.grpc.health.v1.HealthGrpc;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bounded executor of API calls: at most {@code workers} calls run at once and at most
 * {@code queueCapacity} wait for a worker. A call that finds the queue full is not queued: it is
 * started on the thread that dispatched it with a refused {@link AdmissionTicket}, and
 * {@link LoadSheddingInterceptor} answers UNAVAILABLE before anything else runs. Without this
 * bound, Micronaut's I/O executor (the gRPC server's default, an unbounded cached pool) gave every
 * call a thread, so overload became hundreds of threads queueing for the database pool until
 * their deadlines ran out.
 *
 * <p>gRPC asks this supplier for each call's executor once the method is known
 * (ServerImpl's MethodLookup), and runs everything of that call on it from then on, starting with
 * the interceptors. Only the first task of a call is subject to the bound: the later ones (the
 * message, half-close, completion) belong to an admitted call and must run, so the pool's own
 * queue is unbounded and holds at most a few tasks per admitted call. Health checks (Envoy's and
 * the orchestrator's) bypass the bound: a busy replica is healthy, and must not be taken out of
 * rotation for being busy.
 */
@Singleton
public class CallAdmission implements ServerCallExecutorSupplier {

    private final ThreadPoolExecutor workers;
    private final int queueCapacity;
    private final AtomicInteger waiting = new AtomicInteger();

    public CallAdmission(AdmissionProperties properties, MeterRegistry meters) {
        this.queueCapacity = properties.queueCapacity();
        AtomicInteger threadNumber = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(properties.workers(), properties.workers(),
                30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), task -> {
                    Thread thread = new Thread(task, "paygate-call-" + threadNumber.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        workers.allowCoreThreadTimeOut(true);
        Gauge.builder("paygate.calls.waiting", waiting, AtomicInteger::get)
                .description("API calls admitted and waiting for a worker")
                .register(meters);
        Gauge.builder("paygate.calls.running", workers, ThreadPoolExecutor::getActiveCount)
                .description("Workers running an API call")
                .register(meters);
    }

    @Override
    public <Q, R> Executor getExecutor(ServerCall<Q, R> call, Metadata headers) {
        if (HealthGrpc.SERVICE_NAME.equals(call.getMethodDescriptor().getServiceName())) {
            return null;  // the server's default executor
        }
        return new CallExecutor();
    }

    /** One call's executor; gRPC calls it serially (its SerializingExecutor schedules one run at a time). */
    private final class CallExecutor implements Executor {

        private final long arrivedAtNanos = System.nanoTime();
        private volatile boolean started;
        private volatile boolean refused;

        @Override
        public void execute(Runnable task) {
            if (!started) {
                started = true;
                if (waiting.incrementAndGet() > queueCapacity) {
                    waiting.decrementAndGet();
                    refused = true;
                    // Cheap: the interceptors answer UNAVAILABLE at once, so it runs here.
                    new AdmissionTicket(true, arrivedAtNanos, System.nanoTime()).runWith(task);
                    return;
                }
                workers.execute(() -> {
                    waiting.decrementAndGet();
                    new AdmissionTicket(false, arrivedAtNanos, System.nanoTime()).runWith(task);
                });
            } else if (refused) {
                task.run();  // the closed call's remaining callbacks reach a listener that does nothing
            } else {
                workers.execute(task);
            }
        }
    }
}
