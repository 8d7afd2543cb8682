package dev.paygate.authorization;

import static dev.paygate.testing.Fixtures.authorize;
import static dev.paygate.testing.Fixtures.capture;
import static dev.paygate.testing.Fixtures.newAccount;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.paygate.testing.RunningService;
import dev.paygate.testing.StatusDetails;
import dev.paygate.testing.TestDatabase;
import dev.paygate.testing.TestTokens;
import dev.paygate.v1.AccountServiceGrpc;
import dev.paygate.v1.AuthorizationEvent.Type;
import dev.paygate.v1.AuthorizationServiceGrpc;
import dev.paygate.v1.GetAuthorizationRequest;
import dev.paygate.v1.WatchAuthorizationEventsRequest;
import dev.paygate.v1.WatchAuthorizationEventsResponse;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** WatchAuthorizationEvents: replay then follow, heartbeats, its own duration, the owner only, a stream limit. */
class WatchAuthorizationEventsTest {

    private static final Map<String, Object> FAST = Map.of(
            "paygate.streams.heartbeat", "300ms",
            "paygate.streams.poll-interval", "50ms");

    @Test
    void watch_replaysThenFollows_inOrder_withoutGapOrDuplicate_andHeartbeatsWhileIdle() throws Exception {
        try (RunningService service = RunningService.start(TestDatabase.postgres(), FAST)) {
            String account = service.accounts().createAccount(newAccount(1000)).getName();
            String first = service.authorizations().createAuthorization(authorize(account, 10)).getName();
            service.authorizations().captureAuthorization(capture(first));

            try (Watcher all = Watcher.open(service.channel(), request(account).build());
                 Watcher resumed = Watcher.open(service.channel(), request(account).setAfterSequence(1).build());
                 Watcher captures = Watcher.open(service.channel(), request(account).setType(Type.CAPTURED).build())) {
                assertThat(all.nextEvents(2)).containsExactly(1L, 2L);
                // Caught up: the heartbeat carries the cursor.
                assertThat(all.nextHeartbeat()).isEqualTo(2L);
                for (int i = 0; i < 5; i++) {
                    String created = service.authorizations().createAuthorization(authorize(account, 1)).getName();
                    service.authorizations().captureAuthorization(capture(created));
                }
                assertThat(all.nextEvents(10)).containsExactly(3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L);
                assertThat(resumed.nextEvents(11)).containsExactly(2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L);
                assertThat(captures.nextEvents(6)).containsExactly(2L, 4L, 6L, 8L, 10L, 12L);
                // Idle again: heartbeats, and no event twice.
                assertThat(all.nextHeartbeat()).isEqualTo(12L);
                assertThat(all.nextHeartbeat()).isEqualTo(12L);
                assertThat(all.eventsSeen()).isEqualTo(12);
            }
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(service.meters().get("paygate.streams.open").gauge().value()).isZero());
            assertThat(service.meters().get("paygate.stream.events.sent").counter().count()).isEqualTo(12 + 11 + 6);
        }
    }

    @Test
    void watch_outlivesTheUnaryMaximum_andEndsAtItsOwnMaximum_withTheCursorToResumeFrom() throws Exception {
        // The unary maximum leaves the setup calls room on a busy machine; the stream outlives it.
        Map<String, Object> config = Map.of("paygate.deadlines.maximum-budget", "3s",
                "paygate.streams.max-duration", "5s", "paygate.streams.heartbeat", "500ms");
        try (RunningService service = RunningService.start(TestDatabase.postgres(), config)) {
            String account = service.accounts().createAccount(newAccount(1000)).getName();
            service.authorizations().createAuthorization(authorize(account, 10));
            long opened = System.nanoTime();
            try (Watcher watcher = Watcher.open(service.channel(), request(account).build())) {
                assertThat(watcher.nextEvents(1)).containsExactly(1L);
                Throwable end = watcher.end().get(10, TimeUnit.SECONDS);
                assertThat(Duration.ofNanos(System.nanoTime() - opened)).isGreaterThanOrEqualTo(Duration.ofSeconds(5));
                assertThat(Status.fromThrowable(end).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                assertThat(StatusDetails.reason(end)).isEqualTo("STREAM_DURATION_REACHED");
                assertThat(StatusDetails.errorInfo(end).orElseThrow().getMetadataMap()).containsEntry("after_sequence", "1");
                assertThat(StatusDetails.retryInfo(end)).isPresent();
                // The same status came in-band too, as the last message (for REST clients through the edge).
                List<WatchAuthorizationEventsResponse> rest = watcher.remaining();
                assertThat(rest).isNotEmpty();
                com.google.rpc.Status last = rest.get(rest.size() - 1).getEnd();
                assertThat(last.getCode()).isEqualTo(Status.Code.UNAVAILABLE.value());
                assertThat(last).isEqualTo(io.grpc.protobuf.StatusProto.fromThrowable(end));
            }
        }
    }

    @Test
    void watch_endsWhenTheCallersTokenExpires_notAtTheStreamsMaximum() throws Exception {
        try (RunningService service = RunningService.start(TestDatabase.postgres(), FAST)) {
            String account = service.accounts().createAccount(newAccount(1000)).getName();
            service.authorizations().createAuthorization(authorize(account, 10));
            // exp is whole seconds (RFC 7519 NumericDate).
            Instant expires = Instant.now().plusSeconds(4).truncatedTo(ChronoUnit.SECONDS);
            String shortLived = TestTokens.sign(TestTokens.claims("test-client", TestTokens.READ)
                    .expirationTime(Date.from(expires)).build());

            try (Watcher watcher = Watcher.open(service.channelAs(shortLived), request(account).build())) {
                assertThat(watcher.nextEvents(1)).containsExactly(1L);
                Throwable end = watcher.end().get(15, TimeUnit.SECONDS);
                assertThat(Instant.now()).isAfterOrEqualTo(expires);
                assertThat(Status.fromThrowable(end).getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                assertThat(StatusDetails.reason(end)).isEqualTo("TOKEN_INVALID");
                List<WatchAuthorizationEventsResponse> rest = watcher.remaining();
                assertThat(rest.get(rest.size() - 1).getEnd().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED.value());
            }
        }
    }

    @Test
    void watch_onlyForTheOwner_andOnlyTheOwnersAuthorizations() throws Exception {
        try (RunningService service = RunningService.start(TestDatabase.postgres(), FAST)) {
            String account = service.accounts().createAccount(newAccount(1000)).getName();
            String victims = service.authorizations().createAuthorization(authorize(account, 10)).getName();
            Channel stranger = service.channelAs(TestTokens.token("someone-else", TestTokens.READ, TestTokens.WRITE));
            String strangers = AccountServiceGrpc.newBlockingStub(stranger).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .createAccount(newAccount(100)).getName();

            try (Watcher denied = Watcher.open(stranger, request(account).build());
                 Watcher crossed = Watcher.open(stranger, request(strangers).setAuthorization(victims).build());
                 Watcher writeOnly = Watcher.open(service.channelAs(TestTokens.token("test-client", TestTokens.WRITE)),
                         request(account).build())) {
                Throwable deniedEnd = denied.end().get(10, TimeUnit.SECONDS);
                assertThat(Status.fromThrowable(deniedEnd).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                assertThat(StatusDetails.reason(deniedEnd)).isEqualTo("ACCOUNT_ACCESS_DENIED");
                Throwable crossedEnd = crossed.end().get(10, TimeUnit.SECONDS);
                assertThat(Status.fromThrowable(crossedEnd).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                Throwable scopeEnd = writeOnly.end().get(10, TimeUnit.SECONDS);
                assertThat(Status.fromThrowable(scopeEnd).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                assertThat(StatusDetails.reason(scopeEnd)).isEqualTo("INSUFFICIENT_SCOPE");
                // Refused before anything was sent: no in-band end either, the status alone.
                assertThat(denied.remaining()).isEmpty();
                assertThat(crossed.remaining()).isEmpty();
                assertThat(writeOnly.remaining()).isEmpty();
            }
        }
    }

    @Test
    void watch_beyondTheIdentitysLimit_isRefused_othersUnaffected_andStreamsHoldNoWorker() throws Exception {
        Map<String, Object> config = Map.of("paygate.streams.max-per-identity", "2",
                "paygate.streams.poll-interval", "50ms", "paygate.admission.workers", "1");
        try (RunningService service = RunningService.start(TestDatabase.postgres(), config)) {
            String account = service.accounts().createAccount(newAccount(1000)).getName();
            try (Watcher one = Watcher.open(service.channel(), request(account).build());
                 Watcher two = Watcher.open(service.channel(), request(account).build())) {
                assertThat(one.nextHeartbeat()).isZero();
                assertThat(two.nextHeartbeat()).isZero();
                Throwable refused;
                try (Watcher three = Watcher.open(service.channel(), request(account).build())) {
                    refused = three.end().get(10, TimeUnit.SECONDS);
                }
                assertThat(Status.fromThrowable(refused).getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                assertThat(StatusDetails.reason(refused)).isEqualTo("TOO_MANY_STREAMS");
                assertThat(StatusDetails.errorInfo(refused).orElseThrow().getMetadataMap()).containsEntry("limit", "2");
                assertThat(service.meters().get("paygate.streams.refused").tag("reason", "too_many_streams")
                        .counter().count()).isEqualTo(1);

                // Two open streams, one worker: unary calls still run, and the streams still follow.
                String created = service.authorizations().createAuthorization(authorize(account, 10)).getName();
                assertThat(service.authorizations().getAuthorization(GetAuthorizationRequest.newBuilder()
                        .setName(created).build()).getName()).isEqualTo(created);
                assertThat(one.nextEvents(1)).containsExactly(1L);
                assertThat(two.nextEvents(1)).containsExactly(1L);

                // Another identity has its own limit.
                Channel other = service.channelAs(TestTokens.token("someone-else", TestTokens.READ, TestTokens.WRITE));
                String others = AccountServiceGrpc.newBlockingStub(other).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .createAccount(newAccount(100)).getName();
                try (Watcher theirs = Watcher.open(other, request(others).build())) {
                    assertThat(theirs.nextHeartbeat()).isZero();
                }
            }
            // Closed streams give their places back.
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(service.meters().get("paygate.streams.open").gauge().value()).isZero());
            try (Watcher again = Watcher.open(service.channel(), request(account).build())) {
                assertThat(again.nextEvents(1)).containsExactly(1L);
            }
        }
    }

    @Test
    void manyWatches_shareEachPollOfTheReplica_andEachGetsItsAccountsEventsAfterItsOwnCursor() throws Exception {
        Map<String, Object> config = Map.of("paygate.streams.heartbeat", "300ms",
                "paygate.streams.poll-interval", "50ms", "paygate.streams.max-per-identity", "20");
        try (RunningService service = RunningService.start(TestDatabase.postgres(), config)) {
            List<String> accounts = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                accounts.add(service.accounts().createAccount(newAccount(1000)).getName());
            }
            // More than one poll's batch (100) on the first account, two events on the second, none on the others.
            for (int i = 0; i < 110; i++) {
                service.authorizations().createAuthorization(authorize(accounts.get(0), 1));
            }
            service.authorizations().captureAuthorization(capture(
                    service.authorizations().createAuthorization(authorize(accounts.get(1), 5)).getName()));
            long[] last = {110, 2, 0, 0};
            long[][] cursors = {{0, 0, 1, 50, 109}, {0, 1, 2, 2, 0}, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}};
            List<Watcher> watchers = new ArrayList<>();
            try {
                for (int a = 0; a < 4; a++) {
                    for (long cursor : cursors[a]) {
                        watchers.add(Watcher.open(service.channel(),
                                request(accounts.get(a)).setAfterSequence(cursor).build()));
                    }
                }
                for (int w = 0; w < watchers.size(); w++) {
                    int a = w / 5;
                    long cursor = cursors[a][w % 5];
                    assertThat(watchers.get(w).nextEvents((int) (last[a] - cursor)))
                            .as("watcher %d of account %d after %d", w, a, cursor)
                            .containsExactlyElementsOf(LongStream.rangeClosed(cursor + 1, last[a]).boxed().toList());
                    assertThat(watchers.get(w).nextHeartbeat()).isEqualTo(last[a]);
                }

                // Idle: one query per poll interval serves all 20 streams. A query per stream and
                // interval would be 6 per heartbeat (300 ms / 50 ms): far more queries than heartbeats.
                Counter polls = service.meters().get("paygate.stream.polls").counter();
                Counter heartbeats = service.meters().get("paygate.stream.heartbeats.sent").counter();
                double pollsBefore = polls.count();
                double heartbeatsBefore = heartbeats.count();
                for (Watcher watcher : watchers) {
                    for (int i = 0; i < 3; i++) {
                        watcher.nextHeartbeat();
                    }
                }
                double heartbeatsIdle = heartbeats.count() - heartbeatsBefore;
                assertThat(polls.count() - pollsBefore).as("queries while %s heartbeats went out", heartbeatsIdle)
                        .isLessThan(heartbeatsIdle);

                // Live: each stream gets its own account's new event, once.
                service.authorizations().createAuthorization(authorize(accounts.get(0), 1));
                service.authorizations().createAuthorization(authorize(accounts.get(3), 1));
                for (int w = 0; w < watchers.size(); w++) {
                    int a = w / 5;
                    if (a == 0 || a == 3) {
                        assertThat(watchers.get(w).nextEvents(1)).containsExactly(last[a] + 1);
                    }
                }
                for (int w = 0; w < watchers.size(); w++) {
                    int a = w / 5;
                    long now = a == 0 || a == 3 ? last[a] + 1 : last[a];
                    assertThat(watchers.get(w).remaining()).allSatisfy(message -> {
                        assertThat(message.hasHeartbeat()).as("no event twice: %s", message).isTrue();
                        assertThat(message.getHeartbeat().getAfterSequence()).isEqualTo(now);
                    });
                }
            } finally {
                watchers.forEach(Watcher::close);
            }
        }
    }

    private static WatchAuthorizationEventsRequest.Builder request(String account) {
        return WatchAuthorizationEventsRequest.newBuilder().setParent(account);
    }

    /** A client of one stream: what it received, in order, and how it ended. */
    static final class Watcher implements ClientResponseObserver<WatchAuthorizationEventsRequest,
            WatchAuthorizationEventsResponse>, AutoCloseable {

        private final BlockingQueue<WatchAuthorizationEventsResponse> received = new LinkedBlockingQueue<>();
        private final CompletableFuture<Throwable> end = new CompletableFuture<>();
        private volatile ClientCallStreamObserver<WatchAuthorizationEventsRequest> call;
        private int eventsSeen;

        static Watcher open(Channel channel, WatchAuthorizationEventsRequest request) {
            Watcher watcher = new Watcher();
            AuthorizationServiceGrpc.newStub(channel).watchAuthorizationEvents(request, watcher);
            return watcher;
        }

        /** The sequences of the next {@code count} events; heartbeats in between are skipped. */
        List<Long> nextEvents(int count) throws InterruptedException {
            List<Long> sequences = new ArrayList<>();
            while (sequences.size() < count) {
                WatchAuthorizationEventsResponse next = next();
                if (next.hasAuthorizationEvent()) {
                    sequences.add(next.getAuthorizationEvent().getSequence());
                }
            }
            return sequences;
        }

        /** The cursor of the next heartbeat; fails on an event before it. */
        long nextHeartbeat() throws InterruptedException {
            WatchAuthorizationEventsResponse next = next();
            assertThat(next.hasHeartbeat()).as("expected a heartbeat, got %s", next).isTrue();
            return next.getHeartbeat().getAfterSequence();
        }

        /** Everything received and not yet taken. */
        List<WatchAuthorizationEventsResponse> remaining() {
            List<WatchAuthorizationEventsResponse> rest = new ArrayList<>();
            received.drainTo(rest);
            return rest;
        }

        int eventsSeen() {
            return eventsSeen;
        }

        CompletableFuture<Throwable> end() {
            return end;
        }

        private WatchAuthorizationEventsResponse next() throws InterruptedException {
            WatchAuthorizationEventsResponse next = received.poll(10, TimeUnit.SECONDS);
            assertThat(next).as("a message within 10 s (stream ended: %s)", end.getNow(null)).isNotNull();
            if (next.hasAuthorizationEvent()) {
                eventsSeen++;
            }
            return next;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<WatchAuthorizationEventsRequest> requestStream) {
            this.call = requestStream;
        }

        @Override
        public void onNext(WatchAuthorizationEventsResponse value) {
            received.add(value);
        }

        @Override
        public void onError(Throwable t) {
            end.complete(t);
        }

        @Override
        public void onCompleted() {
            end.complete(null);
        }

        @Override
        public void close() {
            call.cancel("test done", null);
            eventsSeen += (int) received.stream().filter(WatchAuthorizationEventsResponse::hasAuthorizationEvent).count();
        }
    }
}
