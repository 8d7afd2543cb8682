package dev.paygate.grpc;

import dev.paygate.persistence.CallBudget;
import dev.paygate.persistence.CallBudgets;
import io.grpc.Context;
import io.grpc.Deadline;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The budget of the gRPC call a thread works for: its {@link Context}'s deadline and cancellation,
 * which {@link DeadlineInterceptor} sets on every call.
 */
@Singleton
public class ContextCallBudgets implements CallBudgets {

    private static final ScheduledExecutorService JOB_TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "paygate-job-deadline-timer");
        thread.setDaemon(true);
        return thread;
    });

    @Override
    public CallBudget current() {
        return new ContextBudget(Context.current());
    }

    @Override
    public <T> T within(Duration budget, Supplier<T> work) {
        Context.CancellableContext context = Context.current()
                .withDeadlineAfter(budget.toMillis(), TimeUnit.MILLISECONDS, JOB_TIMER);
        try {
            return context.wrap(work::get).call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            context.cancel(null);
        }
    }

    private record ContextBudget(Context context) implements CallBudget {

        @Override
        public OptionalLong remainingMillis() {
            Deadline deadline = context.getDeadline();
            return deadline == null ? OptionalLong.empty() : OptionalLong.of(deadline.timeRemaining(TimeUnit.MILLISECONDS));
        }

        @Override
        public boolean isExpired() {
            Deadline deadline = context.getDeadline();
            return deadline != null && deadline.isExpired();
        }

        @Override
        public boolean isCancelled() {
            return context.isCancelled();
        }

        @Override
        public Registration onCancel(Runnable action, Executor executor) {
            Context.CancellationListener listener = cancelled -> action.run();
            context.addListener(listener, executor);
            return () -> context.removeListener(listener);
        }
    }
}
