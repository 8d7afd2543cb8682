package dev.paygate.devstack;

import dev.paygate.edge.Repository;
import dev.paygate.edge.generate.GlobalRateLimitEdge;
import dev.paygate.edge.generate.LocalBudgetShare;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Several Envoys in front of one stack's replicas under one budget ({@code ./paygate run --edges N}):
 * the rate-limit service and its Redis ({@link LocalRateLimit}, logs in the work directory), then
 * the stack with every Envoy rendered with the global layer ({@link GlobalRateLimitEdge}) and its
 * local budgets cut to its share, one N-th ({@link LocalBudgetShare}, the N Envoys listed as the
 * local cluster), so that N Envoys admit about one budget to one client even while the global
 * layer fails open. The service's shadow mode follows the Envoys' kept runtime layer
 * ({@link LocalRateLimit#followRuntime}), so ./paygate edge shadow|enforce switch both layers.
 */
public final class MultiEdgeStack implements AutoCloseable {

    private final LocalRateLimit rateLimit;
    private final Stack stack;
    private ScheduledExecutorService supervisor;

    private MultiEdgeStack(LocalRateLimit rateLimit, Stack stack) {
        this.rateLimit = rateLimit;
        this.stack = stack;
    }

    /** The first Envoy on {@code options}' ports, one more on each of {@code more}. */
    public static MultiEdgeStack start(Repository repository, Stack.Options options, List<EdgePorts> more) {
        LocalRateLimit rateLimit = LocalRateLimit.start(repository, options.workDir());
        try {
            InetSocketAddress service = new InetSocketAddress("127.0.0.1", rateLimit.grpcPort());
            List<InetSocketAddress> edges = new ArrayList<>(List.of(new InetSocketAddress("127.0.0.1", options.envoyPort())));
            more.forEach(edge -> edges.add(new InetSocketAddress("127.0.0.1", edge.port())));
            Stack stack = Stack.start(repository, options.withEdgeChange(
                    config -> LocalBudgetShare.render(GlobalRateLimitEdge.render(config, service), edges)));
            try {
                more.forEach(stack::addEdge);
                rateLimit.followRuntime(stack.keptRuntime());
            } catch (RuntimeException | Error e) {
                stack.close();
                throw e;
            }
            return new MultiEdgeStack(rateLimit, stack);
        } catch (RuntimeException | Error e) {
            rateLimit.close();
            throw e;
        }
    }

    /**
     * Restarts what exited, checking every {@code interval}: the replicas and the Envoys
     * ({@link Stack#supervise}), Redis and the rate-limit service. For ./paygate run a development
     * convenience only: in production the platform supervises (Kubernetes, compose's restart policy).
     */
    public void supervise(Duration interval) {
        stack.supervise(interval);
        supervisor = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "paygate-ratelimit-supervisor");
            thread.setDaemon(true);
            return thread;
        });
        supervisor.scheduleWithFixedDelay(() -> {
            try {
                rateLimit.restartExited();
            } catch (RuntimeException e) {
                System.err.println("restarting the rate-limit service or Redis failed, will try again: " + e.getMessage());
            }
        }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    public Stack stack() {
        return stack;
    }

    public LocalRateLimit rateLimit() {
        return rateLimit;
    }

    /** The Envoys and the replicas first, then the rate-limit service they call. */
    @Override
    public void close() {
        if (supervisor != null) {
            supervisor.shutdownNow();
        }
        stack.close();
        rateLimit.close();
    }
}
