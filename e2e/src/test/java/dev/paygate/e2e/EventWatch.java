package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.v1.AuthorizationServiceGrpc;
import dev.paygate.v1.WatchAuthorizationEventsRequest;
import dev.paygate.v1.WatchAuthorizationEventsResponse;
import io.grpc.Channel;
import io.grpc.ClientInterceptor;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** One WatchAuthorizationEvents stream as a gRPC client sees it: its messages in order, and how it ended. */
final class EventWatch implements ClientResponseObserver<WatchAuthorizationEventsRequest,
        WatchAuthorizationEventsResponse>, AutoCloseable {

    private final BlockingQueue<WatchAuthorizationEventsResponse> received = new LinkedBlockingQueue<>();
    private final CompletableFuture<Throwable> end = new CompletableFuture<>();
    private volatile ClientCallStreamObserver<WatchAuthorizationEventsRequest> call;

    static EventWatch open(Channel channel, ClientInterceptor caller, WatchAuthorizationEventsRequest request) {
        EventWatch watch = new EventWatch();
        AuthorizationServiceGrpc.newStub(channel).withInterceptors(caller).watchAuthorizationEvents(request, watch);
        return watch;
    }

    static WatchAuthorizationEventsRequest after(String account, long sequence) {
        return WatchAuthorizationEventsRequest.newBuilder().setParent(account).setAfterSequence(sequence).build();
    }

    /** The sequences of the next {@code count} events, heartbeats skipped; fails if they do not come within 15 s. */
    List<Long> nextEvents(int count) throws InterruptedException {
        List<Long> sequences = new ArrayList<>();
        while (sequences.size() < count) {
            WatchAuthorizationEventsResponse next = received.poll(15, TimeUnit.SECONDS);
            assertThat(next).as("event %d of %d within 15 s (stream ended: %s)", sequences.size() + 1, count,
                    end.getNow(null)).isNotNull();
            if (next.hasAuthorizationEvent()) {
                sequences.add(next.getAuthorizationEvent().getSequence());
            }
        }
        return sequences;
    }

    /** The next message, or null if none comes within the time. */
    WatchAuthorizationEventsResponse poll(long millis) throws InterruptedException {
        return received.poll(millis, TimeUnit.MILLISECONDS);
    }

    /** Everything received and not yet taken. */
    List<WatchAuthorizationEventsResponse> drain() {
        List<WatchAuthorizationEventsResponse> rest = new ArrayList<>();
        received.drainTo(rest);
        return rest;
    }

    CompletableFuture<Throwable> end() {
        return end;
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
        call.cancel("client done", null);
    }
}
