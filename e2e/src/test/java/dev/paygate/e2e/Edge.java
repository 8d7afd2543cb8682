package dev.paygate.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.paygate.devstack.Stack;
import dev.paygate.devstack.TestStacks;
import dev.paygate.devstack.credentials.DevSigningKey;
import dev.paygate.devstack.credentials.EdgeTls;
import dev.paygate.devstack.credentials.TokenPolicy;
import dev.paygate.edge.Repository;
import dev.paygate.v1.AccountServiceGrpc;
import dev.paygate.v1.AuthorizationServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A running edge for one end-to-end suite: real Envoy in front of real service processes, plus
 * the clients a user has: REST/JSON over HTTPS (HTTP/1.1) and gRPC over TLS (HTTP/2), both through
 * Envoy's one public port and trusting the stack's local CA. Every request carries a bearer token
 * for the suite's own caller ({@link #subject()}), signed by the stack's development key, unless a
 * test passes its own {@code authorization} header (an empty value sends none).
 */
public final class Edge implements AutoCloseable {

    public static final ObjectMapper JSON = new ObjectMapper();

    /** A REST answer: HTTP status, headers and the parsed JSON body (null when not JSON). */
    public record Rest(int status, java.net.http.HttpHeaders headers, String text, JsonNode json) {
        public String header(String name) {
            return headers.firstValue(name).orElse(null);
        }
    }

    private final Stack stack;
    private final int port;
    private final boolean ownsStack;
    private final HttpClient http;
    private final HttpClient http2;
    private final ManagedChannel channel;
    private final String subject;
    private final String bearer;

    private Edge(Stack stack, String subject) {
        this(stack, subject, stack.envoyPort(), true);
    }

    private Edge(Stack stack, String subject, int port, boolean ownsStack) {
        this.stack = stack;
        this.port = port;
        this.ownsStack = ownsStack;
        this.subject = subject;
        this.bearer = bearer(token(subject));
        var credentials = stack.credentials();
        if (stack.mutualTls()) {
            this.http = EdgeTls.httpClient(credentials.caCertificate(), HttpClient.Version.HTTP_1_1,
                    credentials.clientCertificate(), credentials.clientKey());
            this.http2 = EdgeTls.httpClient(credentials.caCertificate(), HttpClient.Version.HTTP_2,
                    credentials.clientCertificate(), credentials.clientKey());
            this.channel = EdgeTls.channel(port, credentials.caCertificate(),
                    credentials.clientCertificate(), credentials.clientKey());
        } else {
            this.http = EdgeTls.httpClient(credentials.caCertificate(), HttpClient.Version.HTTP_1_1);
            this.http2 = EdgeTls.httpClient(credentials.caCertificate(), HttpClient.Version.HTTP_2);
            this.channel = EdgeTls.channel(port, credentials.caCertificate());
        }
    }

    /** Starts the stack with {@code replicas} service processes under a fresh work directory. */
    public static Edge start(String suite, int replicas, Map<String, String> serviceEnvironment) {
        return start(suite, options -> options.withServiceEnvironment(serviceEnvironment).withReplicas(replicas));
    }

    /** Starts a stack, as {@code configure} changes the tests' defaults, under a fresh work directory. */
    public static Edge start(String suite, java.util.function.UnaryOperator<Stack.Options> configure) {
        try {
            return startIn(Files.createTempDirectory("paygate-e2e-" + suite + "-"), suite, configure);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts one replica's stack in {@code workDir}, e.g. again on the database an earlier stack kept there. */
    static Edge startIn(Path workDir, String suite, java.util.function.UnaryOperator<Stack.Options> configure) {
        Stack.Options options = configure.apply(TestStacks.options(1, workDir));
        return new Edge(Stack.start(Repository.locate(), options), suite + "-client");
    }

    /**
     * The clients of {@code stack} (started elsewhere) through its Envoy on {@code envoyPort}, as
     * {@code suite}'s caller; closing it closes the clients, not the stack.
     */
    public static Edge through(Stack stack, int envoyPort, String suite) {
        return new Edge(stack, suite + "-client", envoyPort, false);
    }

    public Stack stack() {
        return stack;
    }

    /** The caller every request is made as unless a test says otherwise: the token's sub. */
    public String subject() {
        return subject;
    }

    /** A valid token (both scopes, one hour) for {@code subject}, signed by the stack's key. */
    public String token(String subject) {
        return token(subject, TokenPolicy.ALL_SCOPES);
    }

    public String token(String subject, String scope) {
        return signingKey().sign(DevSigningKey.claims(TokenPolicy.DEVELOPMENT, subject, scope,
                Duration.ofHours(1)).build());
    }

    public DevSigningKey signingKey() {
        return stack.credentials().signingKey();
    }

    /** The header value for a token: {@code Bearer <token>}. */
    public static String bearer(String token) {
        return "Bearer " + token;
    }

    // --- REST through Envoy

    public Rest get(String path) {
        return send("GET", path, null, Map.of());
    }

    public Rest post(String path, String jsonBody) {
        return send("POST", path, jsonBody, Map.of());
    }

    /**
     * Any REST call; {@code headers} may override authorization (an empty value sends none) and
     * the body's content-type (application/json unless given).
     */
    public Rest send(String method, String path, String body, Map<String, String> headers) {
        return send(http, method, path, body, headers);
    }

    /** {@link #send} over HTTP/2 (ALPN h2), as REST clients that speak it call. */
    public Rest sendHttp2(String method, String path, String body, Map<String, String> headers) {
        return send(http2, method, path, body, headers);
    }

    private Rest send(HttpClient client, String method, String path, String body, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("https://localhost:" + port + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null && !headers.containsKey("content-type")) {
            request.header("content-type", "application/json");
        }
        String authorization = headers.getOrDefault("authorization", bearer);
        if (!authorization.isEmpty()) {
            request.header("authorization", authorization);
        }
        headers.forEach((name, value) -> {
            if (!name.equals("authorization")) {
                request.header(name, value);
            }
        });
        try {
            HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode json = null;
            if (response.headers().firstValue("content-type").orElse("").startsWith("application/json")) {
                json = JSON.readTree(response.body());
            }
            return new Rest(response.statusCode(), response.headers(), response.body(), json);
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * A REST GET whose body is read line by line as Envoy sends it (a server stream as NDJSON or
     * SSE), over HTTP/2 or HTTP/1.1; {@code headers} as for {@link #send}. Close the stream to
     * hang up.
     */
    public HttpResponse<java.util.stream.Stream<String>> streamLines(String path, Map<String, String> headers,
                                                                      boolean overHttp2) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("https://localhost:" + port + path)).GET();
        String authorization = headers.getOrDefault("authorization", bearer);
        if (!authorization.isEmpty()) {
            request.header("authorization", authorization);
        }
        headers.forEach((name, value) -> {
            if (!name.equals("authorization")) {
                request.header(name, value);
            }
        });
        try {
            return (overHttp2 ? http2 : http).send(request.build(), HttpResponse.BodyHandlers.ofLines());
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * A raw HTTP/1.1 connection to Envoy over TLS, for requests no well-behaved client sends (a
     * body trickled or withheld); a read blocks at most {@code readTimeout}.
     */
    public javax.net.ssl.SSLSocket http11Socket(Duration readTimeout) throws IOException {
        javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) EdgeTls.trusting(stack.credentials().caCertificate())
                .getSocketFactory().createSocket("localhost", port);
        javax.net.ssl.SSLParameters parameters = socket.getSSLParameters();
        parameters.setApplicationProtocols(new String[] {"http/1.1"});
        socket.setSSLParameters(parameters);
        socket.setSoTimeout((int) readTimeout.toMillis());
        return socket;
    }

    // --- gRPC through Envoy

    public AccountServiceGrpc.AccountServiceBlockingStub accounts() {
        return accounts(Map.of());
    }

    /** Account stub sending this metadata (e.g. another caller's authorization) as well. */
    public AccountServiceGrpc.AccountServiceBlockingStub accounts(Map<String, String> metadata) {
        return AccountServiceGrpc.newBlockingStub(channel).withInterceptors(headers(metadata))
                .withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    public AuthorizationServiceGrpc.AuthorizationServiceBlockingStub authorizations() {
        return authorizations(Map.of());
    }

    /** Authorization stub sending extra metadata (e.g. idempotency-key) besides the caller's token. */
    public AuthorizationServiceGrpc.AuthorizationServiceBlockingStub authorizations(Map<String, String> metadata) {
        return AuthorizationServiceGrpc.newBlockingStub(channel).withInterceptors(headers(metadata))
                .withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    public ManagedChannel channel() {
        return channel;
    }

    /**
     * A plaintext channel straight to one replica's gRPC port, bypassing Envoy, as a process on
     * the same host could open it.
     */
    public ManagedChannel directChannel(int replica) {
        return io.grpc.ManagedChannelBuilder.forAddress("127.0.0.1", stack.replicas().get(replica).grpcPort())
                .usePlaintext().build();
    }

    /** Attaches the caller's token and this metadata (an {@code authorization} entry replaces the token). */
    public io.grpc.ClientInterceptor headers(Map<String, String> metadata) {
        Metadata headers = new Metadata();
        String authorization = metadata.getOrDefault("authorization", bearer);
        if (!authorization.isEmpty()) {
            headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), authorization);
        }
        metadata.forEach((name, value) -> {
            if (!name.equals("authorization")) {
                headers.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value);
            }
        });
        return MetadataUtils.newAttachHeadersInterceptor(headers);
    }

    // --- the database behind the service, to count what was really stored

    public long count(String sql) {
        try (Connection connection = connect();
             Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery(sql)) {
            row.next();
            return row.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(stack.databaseUrl(), "postgres", "postgres");
    }

    @Override
    public void close() {
        channel.shutdownNow();
        if (ownsStack) {
            stack.close();
        }
    }
}
