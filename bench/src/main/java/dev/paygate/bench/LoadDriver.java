package dev.paygate.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Offers load in this JVM (the Java driver: grpc-java future stubs, and Netty's HTTP/2 client for
 * REST), in a closed or an open loop, and records what comes back.
 */
final class LoadDriver {

    /**
     * Calls one open loop may have outstanding unless the client allows fewer. Beyond it the sender
     * waits, and the wait counts in the latency of the calls it delays (measured from their intended time).
     */
    static final int MAX_IN_FLIGHT = 4096;

    /** What one window measured. */
    record Window(Recorder recorder, long sent, double seconds) {
    }

    private LoadDriver() {
    }

    static Window run(LoadShape shape, Supplier<CompletableFuture<Reply>> call, long windowNanos, int maxInFlight)
            throws InterruptedException {
        if (shape instanceof LoadShape.Open open) {
            return open(open.ratePerSecond(), call, windowNanos, maxInFlight);
        }
        return closed(((LoadShape.Closed) shape).clients(), call, windowNanos);
    }

    private static Window closed(int clients, Supplier<CompletableFuture<Reply>> call, long windowNanos)
            throws InterruptedException {
        Recorder recorder = new Recorder();
        long start = System.nanoTime();
        long end = start + windowNanos;
        List<Thread> threads = new ArrayList<>();
        long[] sent = new long[clients];
        for (int i = 0; i < clients; i++) {
            int client = i;
            Thread thread = new Thread(() -> {
                while (System.nanoTime() < end) {
                    long sentAt = System.nanoTime();
                    Reply reply = await(call.get());
                    recorder.record(System.nanoTime() - sentAt, reply.code());
                    sent[client]++;
                }
            }, "bench-client-" + i);
            thread.start();
            threads.add(thread);
        }
        for (Thread thread : threads) {
            thread.join();
        }
        long total = 0;
        for (long n : sent) {
            total += n;
        }
        return new Window(recorder, total, (System.nanoTime() - start) / 1e9);
    }

    private static Window open(int rate, Supplier<CompletableFuture<Reply>> call, long windowNanos, int maxInFlight)
            throws InterruptedException {
        Recorder recorder = new Recorder();
        Semaphore inFlight = new Semaphore(maxInFlight);
        OpenLoopSchedule schedule = new OpenLoopSchedule(System.nanoTime(), rate);
        long calls = schedule.callsIn(windowNanos);
        long[] lastReply = {schedule.startNanos()};
        for (long i = 0; i < calls; i++) {
            long intended = schedule.intendedNanos(i);
            long wait = intended - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            inFlight.acquire();
            call.get().whenComplete((reply, failure) -> {
                long now = System.nanoTime();
                recorder.record(now - intended, failure != null ? "CLIENT_" + failure.getClass().getSimpleName()
                        : reply.code());
                synchronized (lastReply) {
                    lastReply[0] = Math.max(lastReply[0], now);
                }
                inFlight.release();
            });
        }
        // Every call has a deadline (at most Deadlines.WRITE_SECONDS); a client that misses its own
        // by seconds more has failed those calls, and they count as such.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Deadlines.WRITE_SECONDS + 5);
        while (!inFlight.tryAcquire(maxInFlight, 100, TimeUnit.MILLISECONDS)) {
            if (System.nanoTime() > deadline) {
                int unanswered = maxInFlight - inFlight.availablePermits();
                for (int i = 0; i < unanswered; i++) {
                    recorder.record(System.nanoTime() - schedule.startNanos(), "CLIENT_NO_REPLY");
                }
                break;
            }
        }
        double seconds;
        synchronized (lastReply) {
            seconds = Math.max(lastReply[0] - schedule.startNanos(), windowNanos) / 1e9;
        }
        return new Window(recorder, calls, seconds);
    }

    private static Reply await(CompletableFuture<Reply> reply) {
        try {
            return reply.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Reply.failed("CLIENT_INTERRUPTED");
        } catch (ExecutionException e) {
            return Reply.failed("CLIENT_" + e.getCause().getClass().getSimpleName());
        }
    }
}
