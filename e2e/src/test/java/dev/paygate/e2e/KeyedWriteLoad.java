package dev.paygate.e2e;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import com.google.type.Money;
import dev.paygate.devstack.credentials.EdgeTls;
import dev.paygate.v1.CreateAccountRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.awaitility.Awaitility;

/**
 * Keyed authorizations over gRPC through Envoy, as payment terminals send them: each client owns
 * an account and each authorization (1 EUR, {@link KeyedCall}) has its own idempotency-key, under a
 * realistic deadline. The shape of the load is a subclass's: {@link ClosedLoopWrites} (one key in
 * hand per client) or {@link OpenLoopWrites} (keys at a fixed rate). With {@code retryFailedKeys} a
 * client repeats a failed key (same request, same key) after a short back-off until it succeeds, as
 * a well-behaved client must; without, every attempt is a new key. Every attempt is recorded with
 * its time and outcome, so a test can compute goodput and failures for any window and check
 * exactly-once afterwards.
 */
abstract class KeyedWriteLoad implements AutoCloseable {

    /**
     * One call's outcome: when (wall clock and monotonic), how long, its status code, ErrorInfo.reason,
     * whether it replayed, and the x-request-id Envoy echoed, which finds its access log entry.
     */
    record Attempt(String account, String key, String requestId, long startEpochMillis, long startNanos, long endNanos,
                   Status.Code code, String reason, boolean retryAdvice, boolean replayed, boolean approved) {

        long millis() {
            return TimeUnit.NANOSECONDS.toMillis(endNanos - startNanos);
        }

        /** "UNAVAILABLE/SERVER_OVERLOADED", "DEADLINE_EXCEEDED", "OK". */
        String kind() {
            return reason.isEmpty() ? code.name() : code + "/" + reason;
        }
    }

    /** The attempts that ended inside a window, summarised. */
    record Window(double seconds, long ok, Map<String, Long> failures, long slowestFailureMillis) {

        double goodput() {
            return ok / seconds;
        }

        long failed() {
            return failures.values().stream().mapToLong(Long::longValue).sum();
        }

        long count(Status.Code code) {
            return failures.entrySet().stream().filter(e -> e.getKey().startsWith(code.name()))
                    .mapToLong(Map.Entry::getValue).sum();
        }

        @Override
        public String toString() {
            return String.format("%.1f s: goodput %.0f/s (%d ok), %d failed %s, slowest failure %d ms",
                    seconds, goodput(), ok, failed(), failures, slowestFailureMillis);
        }
    }

    /** How long a client waits before it sends a failed key again. */
    static final Duration BACK_OFF = Duration.ofMillis(50);

    private final Edge edge;
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final List<String> accounts = new ArrayList<>();
    private final Duration deadline;
    private final boolean retryFailedKeys;
    private final ConcurrentLinkedQueue<Attempt> attempts = new ConcurrentLinkedQueue<>();
    private final ScheduledExecutorService clients;
    private volatile boolean running;
    // Keys sent and not yet answered OK (or given up, without retries).
    private final AtomicInteger keysInHand = new AtomicInteger();

    /**
     * {@code clients} accounts, each with a credit limit far above what the run can hold, spread over
     * {@code connections} TLS connections (Envoy allows 100 streams on each).
     */
    KeyedWriteLoad(Edge edge, int clients, int connections, Duration deadline, boolean retryFailedKeys) {
        this.edge = edge;
        this.deadline = deadline;
        this.retryFailedKeys = retryFailedKeys;
        for (int i = 0; i < connections; i++) {
            channels.add(EdgeTls.channel(edge.stack().envoyPort(), edge.stack().credentials().caCertificate()));
        }
        for (int i = 0; i < clients; i++) {
            accounts.add(createAccount());
        }
        this.clients = Executors.newScheduledThreadPool(clients, runnable -> {
            Thread thread = new Thread(runnable, "keyed-write-client");
            thread.setDaemon(true);
            return thread;
        });
    }

    List<String> accounts() {
        return accounts;
    }

    /**
     * One account, its key repeated until it is answered: a cold replica on a loaded machine can
     * miss the route's timeout on the stack's first writes (seen at load average 20).
     */
    private String createAccount() {
        Map<String, String> key = Map.of("idempotency-key", UUID.randomUUID().toString());
        CreateAccountRequest request = CreateAccountRequest.newBuilder()
                .setAccount(dev.paygate.v1.Account.newBuilder().setCurrencyCode("EUR")
                        .setCreditLimit(Money.newBuilder().setCurrencyCode("EUR").setUnits(1_000_000_000L)))
                .build();
        return Awaitility.await("account created").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptionsMatching(e -> e instanceof StatusRuntimeException failed
                        && (failed.getStatus().getCode() == Status.Code.UNAVAILABLE
                        || failed.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED))
                .until(() -> edge.accounts(key).createAccount(request).getName(), name -> !name.isEmpty());
    }

    /** Lets new keys be taken ({@link #takeNewKey}) until {@link #stop}. */
    protected final void begin() {
        running = true;
    }

    /** The clients' threads, on which a shape schedules its sends. */
    protected final ScheduledExecutorService clients() {
        return clients;
    }

    /** Runs {@code task} on the clients' threads after {@code delay}; nothing once closed. */
    protected final void later(Runnable task, Duration delay) {
        try {
            clients.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closed) {
            // close() while running: the test is over
        }
    }

    /**
     * Records the attempt in the ledger; true when its key is to be sent again (it failed and
     * clients retry), else the key is out of hand.
     */
    protected final boolean settle(Attempt attempt) {
        attempts.add(attempt);
        boolean retry = attempt.code() != Status.Code.OK && retryFailedKeys;
        if (!retry) {
            keysInHand.decrementAndGet();
        }
        return retry;
    }

    /** Stops sending new keys; clients that retry finish the key in hand first (see {@link #awaitIdle}). */
    void stop() {
        running = false;
    }

    /** Waits until every client has finished its key in hand. */
    void awaitIdle(Duration timeout) throws InterruptedException {
        Awaitility.await("keys in hand answered").atMost(timeout).until(() -> keysInHand.get() == 0);
        clients.shutdown();
        if (!clients.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("clients still busy after " + timeout);
        }
    }

    /**
     * A new key unless stopped. Counted in hand before {@code running} is read: {@link #awaitIdle}
     * (which reads them the other way round) either sees it or this sees the stop.
     */
    protected final boolean takeNewKey() {
        keysInHand.incrementAndGet();
        if (running) {
            return true;
        }
        keysInHand.decrementAndGet();
        return false;
    }

    /** One authorization with this key from this client; outcomes are recorded, never thrown. */
    Attempt send(int client, String key) {
        return call(client, key).send();
    }

    /** {@link #send} without blocking: {@code done} gets the outcome on a gRPC thread. */
    protected final void sendAsync(int client, String key, Consumer<Attempt> done) {
        call(client, key).sendAsync(done);
    }

    private KeyedCall call(int client, String key) {
        return new KeyedCall(edge, channels.get(client % channels.size()), accounts.get(client), key, deadline);
    }

    List<Attempt> attempts() {
        return List.copyOf(attempts);
    }

    /** Lets the load run for {@code length} and summarises the attempts that ended meanwhile. */
    Window measure(Duration length) {
        long from = System.nanoTime();
        long to = from + length.toNanos();
        Awaitility.await("measuring for " + length).atMost(length.plusSeconds(5))
                .pollInterval(Duration.ofMillis(100)).until(() -> System.nanoTime() >= to);
        return window(from, to);
    }

    /** The attempts that ended in [from, to). */
    Window window(long fromNanos, long toNanos) {
        long ok = 0;
        long slowestFailure = 0;
        Map<String, Long> failures = new TreeMap<>();
        for (Attempt attempt : attempts) {
            if (attempt.endNanos() < fromNanos || attempt.endNanos() >= toNanos) {
                continue;
            }
            if (attempt.code() == Status.Code.OK) {
                ok++;
            } else {
                failures.merge(attempt.kind(), 1L, Long::sum);
                slowestFailure = Math.max(slowestFailure, attempt.millis());
            }
        }
        return new Window((toNanos - fromNanos) / 1e9, ok, Collections.unmodifiableMap(failures), slowestFailure);
    }

    /** The second of [from, to) with the fewest OK answers (whole seconds from {@code from}; at least one). */
    Window worstSecond(long fromNanos, long toNanos) {
        long second = TimeUnit.SECONDS.toNanos(1);
        Window worst = window(fromNanos, fromNanos + second);
        for (long at = fromNanos + second; at + second <= toNanos; at += second) {
            Window next = window(at, at + second);
            if (next.ok() < worst.ok()) {
                worst = next;
            }
        }
        return worst;
    }

    /** The {@code percent}-th percentile of these attempts' durations, in ms (0 for none). */
    static long percentileMillis(List<Attempt> attempts, int percent) {
        long[] sorted = attempts.stream().mapToLong(Attempt::millis).sorted().toArray();
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, sorted.length * percent / 100)];
    }

    /** The ErrorInfo.reason of a failure, "" when the status carries none (e.g. Envoy's own replies). */
    static String reason(StatusRuntimeException e) {
        com.google.rpc.Status status = StatusProto.fromThrowable(e);
        if (status == null) {
            return "";
        }
        for (com.google.protobuf.Any detail : status.getDetailsList()) {
            if (detail.is(ErrorInfo.class)) {
                try {
                    return detail.unpack(ErrorInfo.class).getReason();
                } catch (InvalidProtocolBufferException ignored) {
                    return "";
                }
            }
        }
        return "";
    }

    /** True when the failure carries google.rpc.RetryInfo. */
    static boolean hasRetryInfo(StatusRuntimeException e) {
        com.google.rpc.Status status = StatusProto.fromThrowable(e);
        return status != null && status.getDetailsList().stream().anyMatch(d -> d.is(com.google.rpc.RetryInfo.class));
    }

    @Override
    public void close() {
        running = false;
        clients.shutdownNow();
        channels.forEach(ManagedChannel::shutdownNow);
    }
}
