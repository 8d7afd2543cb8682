package dev.paygate.grpc;

/**
 * How a call got (or did not get) a worker: handed from {@link CallAdmission} to
 * {@link LoadSheddingInterceptor} on the thread that starts the call. gRPC runs a call's
 * interceptors synchronously on the executor {@link CallAdmission} chose for it, so a thread-local
 * set around that task is seen by them and by nothing else.
 */
public record AdmissionTicket(boolean refused, long arrivedAtNanos, long startedAtNanos) {

    private static final ThreadLocal<AdmissionTicket> CURRENT = new ThreadLocal<>();

    /** The ticket of the call this thread is starting, or null (not an API call, or a test stub). */
    public static AdmissionTicket current() {
        return CURRENT.get();
    }

    /** Nanoseconds the call waited for a worker. */
    public long queuedNanos() {
        return startedAtNanos - arrivedAtNanos;
    }

    void runWith(Runnable task) {
        AdmissionTicket previous = CURRENT.get();
        CURRENT.set(this);
        try {
            task.run();
        } finally {
            CURRENT.set(previous);
        }
    }
}
