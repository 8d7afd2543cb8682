package dev.paygate.bench;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.type.Money;
import dev.paygate.v1.AccountServiceGrpc;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.AuthorizationServiceGrpc;
import dev.paygate.v1.CaptureAuthorizationRequest;
import dev.paygate.v1.CreateAuthorizationRequest;
import dev.paygate.v1.GetAccountRequest;
import dev.paygate.v1.VoidAuthorizationRequest;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** gRPC calls on one channel (HTTP/2, calls multiplexed), to the edge over TLS or the service directly. */
final class GrpcClient implements PaygateClient {

    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> IDEMPOTENCY_KEY =
            Metadata.Key.of("idempotency-key", Metadata.ASCII_STRING_MARSHALLER);

    private final ManagedChannel channel;
    private final String bearer;

    GrpcClient(ManagedChannel channel, String bearer) {
        this.channel = channel;
        this.bearer = bearer;
    }

    @Override
    public CompletableFuture<Reply> getAccount(String account, String callBearer) {
        var stub = with(AccountServiceGrpc.newFutureStub(channel), callBearer, null)
                .withDeadlineAfter(Deadlines.READ_SECONDS, TimeUnit.SECONDS);
        return reply(stub.getAccount(GetAccountRequest.newBuilder().setName(account).build()), ignored -> Reply.ok());
    }

    @Override
    public CompletableFuture<Reply> createAuthorization(String account, long units, String idempotencyKey) {
        var stub = with(AuthorizationServiceGrpc.newFutureStub(channel), bearer, idempotencyKey)
                .withDeadlineAfter(Deadlines.WRITE_SECONDS, TimeUnit.SECONDS);
        return reply(stub.createAuthorization(CreateAuthorizationRequest.newBuilder()
                .setParent(account)
                .setAuthorization(Authorization.newBuilder()
                        .setAmount(Money.newBuilder().setCurrencyCode("EUR").setUnits(units))
                        .setMerchantId("bench").setMerchantCategoryCode("5411"))
                .build()), created -> new Reply(Reply.OK, created.getName(),
                        created.getState() == Authorization.State.APPROVED));
    }

    @Override
    public CompletableFuture<Reply> capture(String authorization, String idempotencyKey) {
        var stub = with(AuthorizationServiceGrpc.newFutureStub(channel), bearer, idempotencyKey)
                .withDeadlineAfter(Deadlines.WRITE_SECONDS, TimeUnit.SECONDS);
        return reply(stub.captureAuthorization(CaptureAuthorizationRequest.newBuilder().setName(authorization).build()),
                ignored -> Reply.ok());
    }

    @Override
    public CompletableFuture<Reply> voidAuthorization(String authorization, String idempotencyKey) {
        var stub = with(AuthorizationServiceGrpc.newFutureStub(channel), bearer, idempotencyKey)
                .withDeadlineAfter(Deadlines.WRITE_SECONDS, TimeUnit.SECONDS);
        return reply(stub.voidAuthorization(VoidAuthorizationRequest.newBuilder().setName(authorization).build()),
                ignored -> Reply.ok());
    }

    private static <S extends AbstractStub<S>> S with(S stub, String callBearer, String idempotencyKey) {
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, callBearer);
        if (idempotencyKey != null) {
            headers.put(IDEMPOTENCY_KEY, idempotencyKey);
        }
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    private static <T> CompletableFuture<Reply> reply(ListenableFuture<T> call, Function<T, Reply> onSuccess) {
        CompletableFuture<Reply> reply = new CompletableFuture<>();
        Futures.addCallback(call, new FutureCallback<>() {
            @Override
            public void onSuccess(T result) {
                reply.complete(onSuccess.apply(result));
            }

            @Override
            public void onFailure(Throwable failure) {
                reply.complete(Reply.failed(Status.fromThrowable(failure).getCode().name()));
            }
        }, MoreExecutors.directExecutor());
        return reply;
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
