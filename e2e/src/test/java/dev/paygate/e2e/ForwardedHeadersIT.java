package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.devstack.LocalEdge;
import dev.paygate.devstack.credentials.DevCredentials;
import dev.paygate.devstack.credentials.DevSigningKey;
import dev.paygate.devstack.credentials.EdgeTls;
import dev.paygate.devstack.credentials.TokenPolicy;
import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.EnvoyProcess;
import dev.paygate.edge.FreePorts;
import dev.paygate.edge.Repository;
import dev.paygate.edge.policy.ForwardedHeaders;
import dev.paygate.v1.Account;
import dev.paygate.v1.AccountServiceGrpc;
import dev.paygate.v1.GetAccountRequest;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * What reaches a replica's request headers: the shipped envoy.yaml in a real Envoy, in front of a
 * gRPC server in this JVM that records the metadata of each call. Whatever a client adds, a replica
 * sees only the names on {@link ForwardedHeaders}' list, and the ones the service reads arrive.
 */
@Tag("e2e")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ForwardedHeadersIT {

    private static final String ACCOUNT = "accounts/0b5c6d4e-1f2a-4b3c-8d9e-0a1b2c3d4e5f";
    /** Headers no replica needs, as a client (or Envoy itself: x-forwarded-*) puts them on a call. */
    private static final Map<String, String> CLIENT_EXTRAS = Map.of("x-pad", "~".repeat(2_000), "cookie", "session=1",
            "accept-language", "de", "tracestate", "vendor=1", "grpc-previous-rpc-attempts", "1",
            "x-forwarded-for", "203.0.113.9", "x-paygate-subject", "someone-else");
    /** What the service reads (CallMetadata, AuthInterceptor), sent by the client or set by Envoy. */
    private static final Set<String> SERVICE_READS = Set.of("authorization", "x-request-id", "traceparent",
            "idempotency-key", "x-envoy-expected-rq-timeout-ms");

    private final AtomicReference<Set<String>> received = new AtomicReference<>();
    private Server upstream;
    private EnvoyProcess envoy;
    private ManagedChannel channel;
    private HttpClient http;
    private int port;
    private String bearer;

    @BeforeAll
    void start(@TempDir Path workDir) throws IOException {
        upstream = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerInterceptors.intercept(new RecordingAccounts(), new io.grpc.ServerInterceptor() {
                    @Override
                    public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, R> call,
                            Metadata headers, io.grpc.ServerCallHandler<Q, R> next) {
                        received.set(new TreeSet<>(headers.keys()));
                        return next.startCall(call, headers);
                    }
                }))
                .addService(new HealthStatusManager().getHealthService())
                .build().start();
        Repository repository = Repository.locate();
        DevCredentials credentials = DevCredentials.ensure(workDir);
        port = FreePorts.next();
        int admin = FreePorts.next();
        Path config = LocalEdge.render(EnvoyConfig.load(repository.envoyYaml()), repository, credentials, port, admin,
                        FreePorts.next(), List.of(new InetSocketAddress("127.0.0.1", upstream.getPort())))
                .writeTo(workDir.resolve("envoy.local.yaml"));
        envoy = EnvoyProcess.start(repository.envoyBinary(), config, admin, workDir.resolve("envoy.log"));
        envoy.awaitHealthyHosts("paygate_service", 1, Duration.ofSeconds(30));
        bearer = Edge.bearer(credentials.signingKey().sign(DevSigningKey.claims(TokenPolicy.DEVELOPMENT,
                "forwarded-headers", TokenPolicy.ALL_SCOPES, Duration.ofMinutes(10)).build()));
        channel = EdgeTls.channel(port, credentials.caCertificate());
        http = EdgeTls.httpClient(credentials.caCertificate(), HttpClient.Version.HTTP_1_1);
    }

    @AfterAll
    void stop() {
        if (channel != null) {
            channel.shutdownNow();
        }
        if (envoy != null) {
            envoy.close();
        }
        if (upstream != null) {
            upstream.shutdownNow();
        }
    }

    @Test
    void grpcCall_reachesTheReplicaWithListedHeadersOnly() {
        Metadata metadata = new Metadata();
        allHeaders().forEach((name, value) -> metadata.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value));

        AccountServiceGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata))
                .withDeadlineAfter(5, TimeUnit.SECONDS)
                .getAccount(GetAccountRequest.newBuilder().setName(ACCOUNT).build());

        assertOnlyListedHeadersArrived();
    }

    @Test
    void restCall_reachesTheReplicaWithListedHeadersOnly() throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("https://localhost:" + port + "/v1/" + ACCOUNT))
                .timeout(Duration.ofSeconds(5));
        allHeaders().forEach(request::header);

        HttpResponse<String> answer = http.send(request.build(), HttpResponse.BodyHandlers.ofString());

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertOnlyListedHeadersArrived();
    }

    private Map<String, String> allHeaders() {
        Map<String, String> headers = new java.util.HashMap<>(CLIENT_EXTRAS);
        headers.putAll(Map.of("authorization", bearer, "x-request-id", "forwarded-headers-it",
                "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                "idempotency-key", "forwarded-headers-it"));
        return headers;
    }

    private void assertOnlyListedHeadersArrived() {
        Set<String> names = received.getAndSet(null);
        assertThat(names).as("metadata the replica received").isNotNull()
                .containsAll(SERVICE_READS)
                .allMatch(name -> ForwardedHeaders.NAMES.containsKey(name), "is on the forwarded list")
                .doesNotContainAnyElementsOf(CLIENT_EXTRAS.keySet());
    }

    /** GetAccount answers with the account asked for; the interceptor has recorded the call's metadata. */
    private static final class RecordingAccounts extends AccountServiceGrpc.AccountServiceImplBase {
        @Override
        public void getAccount(GetAccountRequest request, StreamObserver<Account> response) {
            response.onNext(Account.newBuilder().setName(request.getName()).build());
            response.onCompleted();
        }
    }
}
