package dev.paygate.edge.serviceconfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paygate.v1.Account;
import dev.paygate.v1.AccountServiceGrpc;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.AuthorizationServiceGrpc;
import dev.paygate.v1.CreateAuthorizationRequest;
import dev.paygate.v1.GetAccountRequest;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What the shipped service configs make a grpc-java client do (the subject is the client's
 * policy, so the server is a fake on a real port that fails each call's first attempt with
 * UNAVAILABLE): a read is retried and succeeds; a write is not retried under the default config,
 * and is retried under the config for clients that key every write.
 */
@Tag("static")
class ServiceConfigRetryTest {

    private final AtomicInteger readAttempts = new AtomicInteger();
    private final AtomicInteger writeAttempts = new AtomicInteger();
    private Server server;
    private ManagedChannel channel;

    @BeforeEach
    void startFlakyServer() throws IOException {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new AccountServiceGrpc.AccountServiceImplBase() {
                    @Override
                    public void getAccount(GetAccountRequest request, StreamObserver<Account> response) {
                        if (readAttempts.incrementAndGet() == 1) {
                            response.onError(Status.UNAVAILABLE.withDescription("first attempt fails").asRuntimeException());
                            return;
                        }
                        response.onNext(Account.newBuilder().setName(request.getName()).build());
                        response.onCompleted();
                    }
                })
                .addService(new AuthorizationServiceGrpc.AuthorizationServiceImplBase() {
                    @Override
                    public void createAuthorization(CreateAuthorizationRequest request, StreamObserver<Authorization> response) {
                        if (writeAttempts.incrementAndGet() == 1) {
                            response.onError(Status.UNAVAILABLE.withDescription("first attempt fails").asRuntimeException());
                            return;
                        }
                        response.onNext(Authorization.newBuilder().setName(request.getParent() + "/authorizations/x").build());
                        response.onCompleted();
                    }
                })
                .build()
                .start();
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void defaultConfig_retriesAnUnavailableRead() {
        connect(ServiceConfigs.DEFAULT);

        Account account = AccountServiceGrpc.newBlockingStub(channel)
                .getAccount(GetAccountRequest.newBuilder().setName("accounts/a").build());

        assertThat(account.getName()).isEqualTo("accounts/a");
        assertThat(readAttempts).hasValue(2);
    }

    @Test
    void defaultConfig_neverRetriesAWrite() {
        connect(ServiceConfigs.DEFAULT);

        assertThatThrownBy(() -> AuthorizationServiceGrpc.newBlockingStub(channel).createAuthorization(unkeyedWrite()))
                .isInstanceOf(StatusRuntimeException.class)
                .satisfies(e -> assertThat(((StatusRuntimeException) e).getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        assertThat(writeAttempts).hasValue(1);
    }

    @Test
    void withoutAServiceConfig_theReadIsNotRetried() {
        // The control: the retry above comes from the shipped config, not from a client default.
        channel = NettyChannelBuilder.forAddress("127.0.0.1", port()).usePlaintext().build();

        assertThatThrownBy(() -> AccountServiceGrpc.newBlockingStub(channel)
                .getAccount(GetAccountRequest.newBuilder().setName("accounts/a").build()))
                .isInstanceOf(StatusRuntimeException.class);
        assertThat(readAttempts).hasValue(1);
    }

    @Test
    void keyedWritesConfig_retriesAKeyedWrite() {
        connect(ServiceConfigs.KEYED_WRITES);

        Authorization created = AuthorizationServiceGrpc.newBlockingStub(channel)
                .createAuthorization(unkeyedWrite().toBuilder().setRequestId(UUID.randomUUID().toString()).build());

        assertThat(created.getName()).startsWith("accounts/a/");
        assertThat(writeAttempts).hasValue(2);
    }

    private void connect(String serviceConfig) {
        Map<String, ?> config = ServiceConfigs.load(serviceConfig);
        channel = NettyChannelBuilder.forAddress("127.0.0.1", port())
                .usePlaintext()
                .defaultServiceConfig(config)
                .enableRetry()
                .build();
    }

    private int port() {
        return ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
    }

    private static CreateAuthorizationRequest unkeyedWrite() {
        return CreateAuthorizationRequest.newBuilder().setParent("accounts/a").build();
    }
}
