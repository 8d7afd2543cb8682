package dev.paygate.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.paygate.devstack.credentials.DevSigningKey;
import dev.paygate.devstack.credentials.TokenPolicy;
import dev.paygate.v1.Account;
import dev.paygate.v1.AccountServiceGrpc;
import dev.paygate.v1.AuthorizationServiceGrpc;
import dev.paygate.v1.CreateAccountRequest;
import dev.paygate.v1.WatchAuthorizationEventsRequest;
import dev.paygate.v1.WatchAuthorizationEventsResponse;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The streams scenario (issue 20: what a stream costs). N WatchAuthorizationEvents streams on the
 * one replica, straight to its gRPC port on one HTTP/2 channel, each on its own new account owned by
 * its own identity: the service allows {@code paygate.streams.max-per-identity} (5) streams per
 * identity per replica, and the bench leaves that default as it is. Then:
 * <ol>
 *   <li>what an open idle stream costs the service: its live heap after a full GC and its RSS
 *       with no stream and with the N streams open and caught up, the difference divided by N;
 *       and per second, with none and with N, the service's CPU, the database's CPU and its
 *       transactions (the replica polls the database for all its streams every
 *       {@code poll-interval});</li>
 *   <li>keyed writes (CreateAuthorization, each with the account owner's token) round-robin over the
 *       watched accounts in an open loop, one step per rate, raised until the delivery or the
 *       writes fall behind (kept_up_means in the report): events received per second over all streams, the delivery latency from
 *       the write's answer arriving to its event arriving, and whether every stream saw its
 *       account's sequences 1, 2, 3, ... with no gap, duplicate or reordering.</li>
 * </ol>
 * A stream that skips, repeats or reorders an event, ends by itself, or misses an answered write's
 * event after the final drain fails the run.
 */
final class StreamFanout {

    /** The scenario's name, as --only matches it. */
    static final String NAME = "grpc_direct.watch.streams";
    /** Delivery is behind when an event takes longer than this at p99: five poll intervals. */
    static final Duration KEPT_UP_P99 = Duration.ofSeconds(1);
    /** How long a step waits after its last answer for the events still on their way. */
    private static final Duration STEP_DRAIN = Duration.ofSeconds(10);
    private static final Duration FINAL_DRAIN = Duration.ofSeconds(30);
    /** Longer than the scenario; the service's own stream maximum (30 min) is longer still. */
    private static final Duration STREAM_DEADLINE = Duration.ofMinutes(10);
    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final ManagedChannel direct;
    private final List<Watcher> watchers = new ArrayList<>();
    private final Map<String, String> bearerByAccount = new LinkedHashMap<>();
    /** Per authorization, whichever of its answer and its event arrived first, and when. */
    private final Map<String, Arrival> firstArrived = new ConcurrentHashMap<>();
    private final AtomicLong answersAwaitingEvent = new AtomicLong();
    private final AtomicLong eventsReceived = new AtomicLong();
    private final AtomicLong lastEventNanos = new AtomicLong();
    private final List<String> violations = java.util.Collections.synchronizedList(new ArrayList<>());
    private final org.HdrHistogram.Recorder delivery = new org.HdrHistogram.Recorder(Latencies.SIGNIFICANT_DIGITS);
    private volatile boolean closing;

    private record Arrival(boolean answer, long nanos) {
    }

    private StreamFanout(ManagedChannel direct) {
        this.direct = direct;
    }

    /** The bearer of each watched account's owner, for the event ledger's check. */
    Map<String, String> bearerByAccount() {
        return bearerByAccount;
    }

    /** Creates one identity and one account per stream (streams are opened by {@link #measure}). */
    static StreamFanout prepare(ManagedChannel direct, DevSigningKey signingKey, int streams) {
        StreamFanout fanout = new StreamFanout(direct);
        for (int i = 0; i < streams; i++) {
            String bearer = "Bearer " + signingKey.sign(DevSigningKey.claims(TokenPolicy.DEVELOPMENT,
                    String.format("bench-stream-%03d", i), TokenPolicy.ALL_SCOPES, Duration.ofHours(2)).build());
            String account = AccountServiceGrpc.newBlockingStub(direct).withInterceptors(headers(bearer))
                    .withDeadlineAfter(5, TimeUnit.SECONDS)
                    .createAccount(CreateAccountRequest.newBuilder().setAccount(Account.newBuilder()
                            .setCurrencyCode("EUR").setCreditLimit(com.google.type.Money.newBuilder()
                                    .setCurrencyCode("EUR").setUnits(1_000_000_000_000L))).build()).getName();
            fanout.bearerByAccount.put(account, bearer);
        }
        return fanout;
    }

    /**
     * Measures the idle cost, then the write steps in order until one falls behind; returns the
     * report's "streams" object, whose "ok" says whether every event arrived exactly once in order.
     */
    ObjectNode measure(ServiceJvmProbe serviceJvm, long servicePid, DatabaseSampler database, List<Integer> writeRates,
                       double idleSeconds, double warmupSeconds, double stepSeconds)
            throws InterruptedException, SQLException {
        ObjectNode report = JsonNodeFactory.instance.objectNode();
        int streams = bearerByAccount.size();
        report.put("streams", streams);
        report.put("identities", streams);
        report.put("path", "grpc_direct: one HTTP/2 channel to the replica's gRPC port");
        long heapNone = serviceJvm.liveHeapBytes();
        long rssNone = ProcessSampler.rssKib(servicePid);
        Usage none = Usage.over(servicePid, database, idleSeconds);
        open();
        Thread.sleep((long) (idleSeconds * 1000));
        long heapOpen = serviceJvm.liveHeapBytes();
        long rssOpen = ProcessSampler.rssKib(servicePid);
        Usage open = Usage.over(servicePid, database, idleSeconds);
        ObjectNode idle = report.putObject("idle");
        idle.put("basis", "the service with no stream, then with every stream open and caught up, no write; heap = "
                + "live objects after a full GC (GC.class_histogram's total, the least of 2), RSS = VmRSS; database transactions = "
                + "pg_stat_database xact_commit + xact_rollback, database CPU = the postmaster and its children");
        idle.put("heap_after_gc_mib_none", Report.round3(heapNone / 1048576.0));
        idle.put("heap_after_gc_mib_open", Report.round3(heapOpen / 1048576.0));
        idle.put("heap_after_gc_bytes_per_stream", (heapOpen - heapNone) / streams);
        idle.put("rss_mib_none", rssNone / 1024);
        idle.put("rss_mib_open", rssOpen / 1024);
        idle.put("rss_bytes_per_stream", (rssOpen - rssNone) * 1024 / streams);
        idle.put("service_cpu_seconds_per_second_none", Report.round3(none.serviceCpu()));
        idle.put("service_cpu_seconds_per_second_open", Report.round3(open.serviceCpu()));
        idle.put("database_transactions_per_second_none", Report.round(none.transactions()));
        idle.put("database_transactions_per_second_open", Report.round(open.transactions()));
        idle.put("database_cpu_seconds_per_second_none", Report.round3(none.databaseCpu()));
        idle.put("database_cpu_seconds_per_second_open", Report.round3(open.databaseCpu()));

        List<GrpcClient> owners = bearerByAccount.values().stream().map(bearer -> new GrpcClient(direct, bearer)).toList();
        List<String> accounts = List.copyOf(bearerByAccount.keySet());
        AtomicInteger next = new AtomicInteger();
        Supplier<CompletableFuture<Reply>> write = () -> {
            int index = Math.floorMod(next.getAndIncrement(), accounts.size());
            return owners.get(index).createAuthorization(accounts.get(index), Operation.UNITS,
                    UUID.randomUUID().toString()).thenApply(reply -> {
                        if (reply.isOk()) {
                            arrived(reply.authorization(), true, System.nanoTime());
                        }
                        return reply;
                    });
        };
        LoadDriver.run(new LoadShape.Open(writeRates.get(0)), write, (long) (warmupSeconds * 1e9), LoadDriver.MAX_IN_FLIGHT);
        drain(STEP_DRAIN);
        delivery.reset();

        ArrayNode steps = report.putArray("steps");
        double highestKeptUp = 0;
        String bound = "not reached: every step kept up, up to the plan's highest write rate";
        for (int rate : writeRates) {
            long eventsBefore = eventsReceived.get();
            Usage.Start usage = Usage.start(servicePid, database);
            long start = System.nanoTime();
            LoadDriver.Window window = LoadDriver.run(new LoadShape.Open(rate), write, (long) (stepSeconds * 1e9),
                    LoadDriver.MAX_IN_FLIGHT);
            boolean drained = drain(STEP_DRAIN);
            Usage used = usage.end();
            org.HdrHistogram.Histogram latency = delivery.getIntervalHistogram();
            long events = eventsReceived.get() - eventsBefore;
            double deliverySeconds = Math.max(lastEventNanos.get() - start, 1) / 1e9;
            Latencies deliveryLatencies = new Latencies(latency);
            Latencies writeLatencies = window.recorder().latencies();
            long writeErrors = window.recorder().errors().values().stream().mapToLong(Long::longValue).sum();
            boolean deliveryKeptUp = drained && deliveryLatencies.millis(0.99) <= KEPT_UP_P99.toMillis();
            boolean writesKeptUp = writeErrors == 0 && window.recorder().ok() >= 0.95 * rate * stepSeconds;
            boolean keptUp = deliveryKeptUp && writesKeptUp;
            ObjectNode step = steps.addObject();
            step.put("offered_writes_per_second", rate);
            step.put("achieved_writes_per_second", Report.round(window.recorder().ok() / window.seconds()));
            step.put("write_errors", writeErrors);
            ObjectNode byCode = step.putObject("write_errors_by_code");
            window.recorder().errors().forEach(byCode::put);
            step.put("write_p99_ms", Report.round(writeLatencies.millis(0.99)));
            step.put("events_received", events);
            step.put("events_per_second", Report.round(events / deliverySeconds));
            ObjectNode latencyMs = step.putObject("delivery_latency_ms");
            latencyMs.put("p50", Report.round(deliveryLatencies.millis(0.50)));
            latencyMs.put("p99", Report.round(deliveryLatencies.millis(0.99)));
            latencyMs.put("max", Report.round(deliveryLatencies.millis(1.0)));
            step.put("all_delivered_within_drain", drained);
            step.put("service_cpu_seconds_per_second", Report.round3(used.serviceCpu()));
            step.put("database_transactions_per_second", Report.round(used.transactions()));
            step.put("database_cpu_seconds_per_second", Report.round3(used.databaseCpu()));
            step.put("delivery_kept_up", deliveryKeptUp);
            step.put("writes_kept_up", writesKeptUp);
            System.err.printf(java.util.Locale.ROOT, "bench: streams x%d writes %5d/s -> %8.0f events/s delivery "
                            + "p50 %7.2f p99 %8.2f ms write errors %d kept up %s%n", streams, rate, events / deliverySeconds,
                    deliveryLatencies.millis(0.5), deliveryLatencies.millis(0.99), writeErrors, keptUp);
            if (!deliveryKeptUp && !writesKeptUp) {
                bound = "both: at " + rate + " writes/s the writes failed or lagged and the events fell behind";
                break;
            }
            if (!deliveryKeptUp) {
                bound = "delivery: at " + rate + " writes/s the events fell behind";
                break;
            }
            if (!writesKeptUp) {
                bound = "writes: the replica did not answer " + rate + " keyed writes/s without error; delivery "
                        + "kept up with what was written";
                break;
            }
            highestKeptUp = Math.max(highestKeptUp, Report.round(events / deliverySeconds));
        }
        report.put("highest_kept_up_events_per_second", highestKeptUp);
        report.put("bound", bound);
        report.put("kept_up_means", "delivery: every answered write's event received within "
                + STEP_DRAIN.toSeconds() + " s of the step's last answer and delivery p99 <= "
                + KEPT_UP_P99.toMillis() + " ms; writes: no error and at least 95 % of the offered writes answered");

        boolean allDelivered = drain(FINAL_DRAIN);
        close();
        long endedEarly = watchers.stream().filter(w -> w.endedEarly != null).count();
        report.put("events_received", eventsReceived.get());
        report.put("events_missing", answersAwaitingEvent.get());
        report.put("streams_ended_early", endedEarly);
        report.put("sequence_violations", violations.size());
        boolean exactlyOnce = allDelivered && violations.isEmpty() && endedEarly == 0;
        report.put("exactly_once_in_order", exactlyOnce);
        ArrayNode listed = report.putArray("violations");
        synchronized (violations) {
            violations.stream().limit(20).forEach(listed::add);
        }
        watchers.stream().filter(w -> w.endedEarly != null).limit(5)
                .forEach(w -> listed.add(w.account + ": stream ended: " + w.endedEarly));
        report.put("ok", exactlyOnce);
        return report;
    }

    /** Opens every stream from the start of its (new, empty) account and waits until each has caught up. */
    private void open() throws InterruptedException {
        for (Map.Entry<String, String> owned : bearerByAccount.entrySet()) {
            Watcher watcher = new Watcher(owned.getKey());
            watchers.add(watcher);
            // Without a deadline the service would give the stream its 5 s default budget.
            AuthorizationServiceGrpc.newStub(direct).withInterceptors(headers(owned.getValue()))
                    .withDeadlineAfter(STREAM_DEADLINE.toSeconds(), TimeUnit.SECONDS)
                    .watchAuthorizationEvents(WatchAuthorizationEventsRequest.newBuilder()
                            .setParent(owned.getKey()).build(), watcher);
        }
        for (Watcher watcher : watchers) {
            // A caught-up stream sends a heartbeat at once (AuthorizationEventWatches).
            if (!watcher.caughtUp.await(30, TimeUnit.SECONDS) || watcher.endedEarly != null) {
                throw new IllegalStateException("stream on " + watcher.account + " did not open: " + watcher.endedEarly);
            }
        }
    }

    private void close() {
        closing = true;
        watchers.forEach(watcher -> {
            if (watcher.call != null) {
                watcher.call.cancel("the bench is done", null);
            }
        });
    }

    /** Waits until every answered write's event has arrived; false if some had not by the deadline. */
    private boolean drain(Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (answersAwaitingEvent.get() > 0) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    /** Pairs a write's answer with its event, in whichever order they arrive; records the delivery latency. */
    private void arrived(String authorization, boolean answer, long nanos) {
        firstArrived.compute(authorization, (name, first) -> {
            if (first == null) {
                if (answer) {
                    answersAwaitingEvent.incrementAndGet();
                }
                return new Arrival(answer, nanos);
            }
            if (first.answer() == answer) {
                violations.add(name + ": " + (answer ? "answered" : "its event received") + " twice");
                return first;
            }
            if (first.answer()) {
                answersAwaitingEvent.decrementAndGet();
            }
            // An event that arrives before its write's answer (polled between the commit and the
            // answer reaching the bench) counts as 0 ms.
            delivery.recordValue(answer ? 0 : Math.max(0, nanos - first.nanos()));
            return null;
        });
    }

    /** Per second over a window: the service's CPU, the database's CPU and its transactions. */
    private record Usage(double serviceCpu, double databaseCpu, double transactions) {

        static Usage over(long servicePid, DatabaseSampler database, double seconds)
                throws InterruptedException, SQLException {
            Start start = start(servicePid, database);
            Thread.sleep((long) (seconds * 1000));
            return start.end();
        }

        static Start start(long servicePid, DatabaseSampler database) throws SQLException {
            return new Start(servicePid, database, System.nanoTime(), ProcessSampler.cpuSeconds(servicePid),
                    database.cpuSeconds(), database.transactions());
        }

        record Start(long servicePid, DatabaseSampler database, long nanos, double serviceCpu, double databaseCpu,
                     long transactions) {
            Usage end() throws SQLException {
                double seconds = (System.nanoTime() - nanos) / 1e9;
                return new Usage((ProcessSampler.cpuSeconds(servicePid) - serviceCpu) / seconds,
                        (database.cpuSeconds() - databaseCpu) / seconds,
                        (database.transactions() - transactions) / seconds);
            }
        }
    }

    private static io.grpc.ClientInterceptor headers(String bearer) {
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, bearer);
        return MetadataUtils.newAttachHeadersInterceptor(headers);
    }

    /** One stream: counts its events, checks their order ({@link StreamSequence}) and pairs them with their writes. */
    private final class Watcher implements ClientResponseObserver<WatchAuthorizationEventsRequest,
            WatchAuthorizationEventsResponse> {

        final String account;
        final CountDownLatch caughtUp = new CountDownLatch(1);
        volatile ClientCallStreamObserver<WatchAuthorizationEventsRequest> call;
        volatile String endedEarly;
        private final StreamSequence sequence = new StreamSequence();

        Watcher(String account) {
            this.account = account;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<WatchAuthorizationEventsRequest> requestStream) {
            call = requestStream;
        }

        @Override
        public void onNext(WatchAuthorizationEventsResponse message) {
            switch (message.getKindCase()) {
                case HEARTBEAT -> caughtUp.countDown();
                case AUTHORIZATION_EVENT -> {
                    long now = System.nanoTime();
                    sequence.next(message.getAuthorizationEvent().getSequence())
                            .ifPresent(wrong -> violations.add(account + ": " + wrong));
                    eventsReceived.incrementAndGet();
                    lastEventNanos.accumulateAndGet(now, Math::max);
                    arrived(message.getAuthorizationEvent().getAuthorization(), false, now);
                }
                case END -> endedEarly = message.getEnd().getMessage();
                default -> endedEarly = "an empty message";
            }
        }

        @Override
        public void onError(Throwable failure) {
            if (!closing) {
                endedEarly = io.grpc.Status.fromThrowable(failure).toString();
            }
            caughtUp.countDown();
        }

        @Override
        public void onCompleted() {
            if (!closing) {
                endedEarly = "completed by the service";
            }
            caughtUp.countDown();
        }
    }
}
