package dev.paygate.e2e;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import com.google.type.Money;
import dev.paygate.devstack.credentials.EdgeTls;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.AuthorizationServiceGrpc;
import dev.paygate.v1.CreateAccountRequest;
import dev.paygate.v1.CreateAuthorizationRequest;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Closed-loop keyed authorizations over gRPC through Envoy, as payment terminals send them: each
 * client owns an account and sends one authorization (1 EUR, its own idempotency-key) at a time
 * under a realistic deadline. With {@code retryFailedKeys} a client repeats a failed key (same
 * request, same key) after a short back-off until it succeeds, as a well-behaved client must;
 * without, every attempt is a new key. Every attempt is recorded with its time and outcome, so a
 * test can compute goodput and failures for any window and check exactly-once afterwards.
 */
final class KeyedWriteLoad implements AutoCloseable {

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

    private static final Metadata.Key<String> REPLAYED = Metadata.Key.of("idempotent-replayed",
            Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> REQUEST_ID = Metadata.Key.of("x-request-id",
            Metadata.ASCII_STRING_MARSHALLER);
    private static final Duration BACK_OFF = Duration.ofMillis(50);

    private final Edge edge;
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final List<String> accounts = new ArrayList<>();
    private final Duration deadline;
    private final boolean retryFailedKeys;
    private final ConcurrentLinkedQueue<Attempt> attempts = new ConcurrentLinkedQueue<>();
    private final ScheduledExecutorService clients;
    private volatile boolean running;

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
            accounts.add(edge.accounts().createAccount(CreateAccountRequest.newBuilder()
                    .setAccount(dev.paygate.v1.Account.newBuilder().setCurrencyCode("EUR")
                            .setCreditLimit(Money.newBuilder().setCurrencyCode("EUR").setUnits(1_000_000_000L)))
                    .build()).getName());
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

    void start() {
        running = true;
        for (int i = 0; i < accounts.size(); i++) {
            int client = i;
            clients.execute(() -> next(client, null));
        }
    }

    /** Stops sending new keys; clients that retry finish the key in hand first (see {@link #awaitIdle}). */
    void stop() {
        running = false;
    }

    /** Waits until every client has finished its key in hand. */
    void awaitIdle(Duration timeout) throws InterruptedException {
        clients.shutdown();
        if (!clients.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("clients still busy after " + timeout);
        }
    }

    private void next(int client, String keyInHand) {
        if (keyInHand == null && !running) {
            return;
        }
        String key = keyInHand != null ? keyInHand : UUID.randomUUID().toString();
        Attempt attempt = send(client, key);
        attempts.add(attempt);
        boolean retry = attempt.code() != Status.Code.OK && retryFailedKeys;
        try {
            clients.schedule(() -> next(client, retry ? key : null),
                    attempt.code() == Status.Code.OK ? 0 : BACK_OFF.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // close() while running: the test is over
        }
    }

    /** One authorization with this key; outcomes are recorded, never thrown. */
    Attempt send(int client, String key) {
        String account = accounts.get(client);
        AtomicReference<Metadata> headers = new AtomicReference<>();
        AtomicReference<Metadata> trailers = new AtomicReference<>();
        long startEpochMillis = System.currentTimeMillis();
        long start = System.nanoTime();
        try {
            Authorization authorization = AuthorizationServiceGrpc.newBlockingStub(channels.get(client % channels.size()))
                    .withInterceptors(edge.headers(Map.of("idempotency-key", key)),
                            MetadataUtils.newCaptureMetadataInterceptor(headers, trailers))
                    .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                    .createAuthorization(CreateAuthorizationRequest.newBuilder().setParent(account)
                            .setAuthorization(Authorization.newBuilder()
                                    .setAmount(Money.newBuilder().setCurrencyCode("EUR").setUnits(1))
                                    .setMerchantId("shop-1").setMerchantCategoryCode("5411"))
                            .build());
            boolean replayed = headers.get() != null && "true".equals(headers.get().get(REPLAYED));
            return new Attempt(account, key, requestId(headers, trailers), startEpochMillis, start, System.nanoTime(),
                    Status.Code.OK, "", false, replayed, authorization.getState() == Authorization.State.APPROVED);
        } catch (StatusRuntimeException e) {
            return new Attempt(account, key, requestId(headers, trailers), startEpochMillis, start, System.nanoTime(),
                    e.getStatus().getCode(), reason(e), hasRetryInfo(e), false, false);
        }
    }

    /** The x-request-id Envoy gave the call and echoed (in the trailers of a trailers-only reply); "" if none. */
    private static String requestId(AtomicReference<Metadata> headers, AtomicReference<Metadata> trailers) {
        for (Metadata metadata : new Metadata[] {headers.get(), trailers.get()}) {
            String id = metadata == null ? null : metadata.get(REQUEST_ID);
            if (id != null) {
                return id;
            }
        }
        return "";
    }

    List<Attempt> attempts() {
        return List.copyOf(attempts);
    }

    /** Lets the load run for {@code length} and summarises the attempts that ended meanwhile. */
    Window measure(Duration length) {
        long from = System.nanoTime();
        long to = from + length.toNanos();
        org.awaitility.Awaitility.await("measuring for " + length).atMost(length.plusSeconds(5))
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
