package dev.paygate.e2e;

import com.google.type.Money;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.AuthorizationServiceGrpc;
import dev.paygate.v1.CreateAuthorizationRequest;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * One authorization of 1 EUR to an account with one idempotency-key, through Envoy under a
 * deadline, and its outcome as a {@link KeyedWriteLoad.Attempt}: outcomes are recorded, never thrown.
 */
final class KeyedCall {

    private static final Metadata.Key<String> REPLAYED = Metadata.Key.of("idempotent-replayed",
            Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> REQUEST_ID = Metadata.Key.of("x-request-id",
            Metadata.ASCII_STRING_MARSHALLER);

    private final String account;
    private final String key;
    private final ManagedChannel channel;
    private final Duration deadline;
    private final AtomicReference<Metadata> headers = new AtomicReference<>();
    private final AtomicReference<Metadata> trailers = new AtomicReference<>();
    private final ClientInterceptor[] interceptors;
    private final long startEpochMillis = System.currentTimeMillis();
    private final long start = System.nanoTime();

    KeyedCall(Edge edge, ManagedChannel channel, String account, String key, Duration deadline) {
        this.account = account;
        this.key = key;
        this.channel = channel;
        this.deadline = deadline;
        this.interceptors = new ClientInterceptor[] {edge.headers(Map.of("idempotency-key", key)),
                MetadataUtils.newCaptureMetadataInterceptor(headers, trailers)};
    }

    /** Sends it and waits for the answer. */
    KeyedWriteLoad.Attempt send() {
        try {
            return answered(AuthorizationServiceGrpc.newBlockingStub(channel).withInterceptors(interceptors)
                    .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS).createAuthorization(request()));
        } catch (StatusRuntimeException e) {
            return failed(e);
        }
    }

    /** {@link #send} without blocking: {@code done} gets the outcome on a gRPC thread. */
    void sendAsync(Consumer<KeyedWriteLoad.Attempt> done) {
        AuthorizationServiceGrpc.newStub(channel).withInterceptors(interceptors)
                .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                .createAuthorization(request(), new StreamObserver<>() {
                    private Authorization answer;

                    @Override
                    public void onNext(Authorization authorization) {
                        answer = authorization;
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.accept(failed(t instanceof StatusRuntimeException e ? e
                                : Status.fromThrowable(t).asRuntimeException()));
                    }

                    @Override
                    public void onCompleted() {
                        done.accept(answered(answer));
                    }
                });
    }

    private CreateAuthorizationRequest request() {
        return CreateAuthorizationRequest.newBuilder().setParent(account)
                .setAuthorization(Authorization.newBuilder()
                        .setAmount(Money.newBuilder().setCurrencyCode("EUR").setUnits(1))
                        .setMerchantId("shop-1").setMerchantCategoryCode("5411"))
                .build();
    }

    private KeyedWriteLoad.Attempt answered(Authorization authorization) {
        boolean replayed = headers.get() != null && "true".equals(headers.get().get(REPLAYED));
        return new KeyedWriteLoad.Attempt(account, key, requestId(), startEpochMillis, start, System.nanoTime(),
                Status.Code.OK, "", false, replayed, authorization.getState() == Authorization.State.APPROVED);
    }

    private KeyedWriteLoad.Attempt failed(StatusRuntimeException e) {
        return new KeyedWriteLoad.Attempt(account, key, requestId(), startEpochMillis, start, System.nanoTime(),
                e.getStatus().getCode(), KeyedWriteLoad.reason(e), KeyedWriteLoad.hasRetryInfo(e), false, false);
    }

    /** The x-request-id Envoy gave the call and echoed (in the trailers of a trailers-only reply); "" if none. */
    private String requestId() {
        for (Metadata metadata : new Metadata[] {headers.get(), trailers.get()}) {
            String id = metadata == null ? null : metadata.get(REQUEST_ID);
            if (id != null) {
                return id;
            }
        }
        return "";
    }
}
