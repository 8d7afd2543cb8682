package dev.paygate.testing;

import dev.paygate.v1.AccountServiceGrpc;
import dev.paygate.v1.AuthorizationServiceGrpc;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.ApplicationContext;
import io.micronaut.grpc.server.GrpcEmbeddedServer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * The real service in this JVM (Micronaut context, gRPC server on a random port, real database)
 * and a real gRPC channel to it. Tests talk to it only through the channel; they read the
 * database and metrics directly to check what the service did. The service trusts
 * {@link TestTokens}' key; {@link #channel()} calls as {@link TestTokens#DEFAULT_SUBJECT} with
 * read and write scopes, {@link #channelAs} with any token, {@link #channelWithoutToken} with none.
 */
public final class RunningService implements AutoCloseable {

    private final ApplicationContext context;
    private final ManagedChannel channel;
    private final Channel authenticated;

    private RunningService(ApplicationContext context) {
        this.context = context;
        int port = context.getBean(GrpcEmbeddedServer.class).getPort();
        this.channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        this.authenticated = channelAs(
                TestTokens.token(TestTokens.DEFAULT_SUBJECT, TestTokens.READ, TestTokens.WRITE));
    }

    /** Starts the service on the given database, with extra configuration on top of the test defaults. */
    public static RunningService start(TestDatabase database, Map<String, Object> properties) {
        Map<String, Object> all = new HashMap<>(database.properties());
        all.put("paygate.auth.jwks", TestTokens.jwksFile());
        all.putAll(properties);
        return new RunningService(ApplicationContext.run(all, "test"));
    }

    public static RunningService start(TestDatabase database) {
        return start(database, Map.of());
    }

    public AccountServiceGrpc.AccountServiceBlockingStub accounts() {
        return AccountServiceGrpc.newBlockingStub(authenticated).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    public AuthorizationServiceGrpc.AuthorizationServiceBlockingStub authorizations() {
        return AuthorizationServiceGrpc.newBlockingStub(authenticated).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    /** The channel of the default test caller. */
    public Channel channel() {
        return authenticated;
    }

    /** A channel whose calls carry {@code authorization: Bearer <token>}. */
    public Channel channelAs(String token) {
        return ClientInterceptors.intercept(channel, TestTokens.bearer(token));
    }

    /** A channel whose calls carry no token at all. */
    public Channel channelWithoutToken() {
        return channel;
    }

    public DataSource dataSource() {
        return context.getBean(DataSource.class);
    }

    public MeterRegistry meters() {
        return context.getBean(MeterRegistry.class);
    }

    public <T> T bean(Class<T> type) {
        return context.getBean(type);
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        context.close();
    }
}
