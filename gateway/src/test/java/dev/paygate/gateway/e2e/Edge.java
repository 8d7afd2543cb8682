package dev.paygate.gateway.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.paygate.gateway.Repository;
import dev.paygate.gateway.Stack;
import dev.paygate.v1.AccountServiceGrpc;
import dev.paygate.v1.AuthorizationServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
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
 * the clients a user has: REST/JSON over HTTP/1.1 and gRPC over HTTP/2, both through Envoy's one
 * public port. Every request names a client id, so suites do not share the anonymous bucket.
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
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();
    private final ManagedChannel channel;
    private final String clientId;

    private Edge(Stack stack, String clientId) {
        this.stack = stack;
        this.clientId = clientId;
        this.channel = ManagedChannelBuilder.forAddress("127.0.0.1", stack.envoyPort()).usePlaintext().build();
    }

    /** Starts the stack with {@code replicas} service processes under a fresh work directory. */
    public static Edge start(String suite, int replicas, Map<String, String> serviceEnvironment) {
        try {
            Path workDir = Files.createTempDirectory("paygate-e2e-" + suite + "-");
            Stack.Options options = Stack.Options.forTests(replicas, workDir).withServiceEnvironment(serviceEnvironment);
            return new Edge(Stack.start(Repository.locate(), options), suite + "-client");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Stack stack() {
        return stack;
    }

    public String clientId() {
        return clientId;
    }

    // --- REST through Envoy

    public Rest get(String path) {
        return send("GET", path, null, Map.of());
    }

    public Rest post(String path, String jsonBody) {
        return send("POST", path, jsonBody, Map.of());
    }

    /**
     * Any REST call; {@code headers} may override x-client-id (an empty value drops it) and the
     * body's content-type (application/json unless given).
     */
    public Rest send(String method, String path, String body, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stack.envoyPort() + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null && !headers.containsKey("content-type")) {
            request.header("content-type", "application/json");
        }
        String client = headers.getOrDefault("x-client-id", clientId);
        if (!client.isEmpty()) {
            request.header("x-client-id", client);
        }
        headers.forEach((name, value) -> {
            if (!name.equals("x-client-id")) {
                request.header(name, value);
            }
        });
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
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

    // --- gRPC through Envoy

    public AccountServiceGrpc.AccountServiceBlockingStub accounts() {
        return AccountServiceGrpc.newBlockingStub(channel).withInterceptors(headers(Map.of()))
                .withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    public AuthorizationServiceGrpc.AuthorizationServiceBlockingStub authorizations() {
        return authorizations(Map.of());
    }

    /** Authorization stub sending extra metadata (e.g. idempotency-key) besides x-client-id. */
    public AuthorizationServiceGrpc.AuthorizationServiceBlockingStub authorizations(Map<String, String> metadata) {
        return AuthorizationServiceGrpc.newBlockingStub(channel).withInterceptors(headers(metadata))
                .withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    public ManagedChannel channel() {
        return channel;
    }

    private io.grpc.ClientInterceptor headers(Map<String, String> metadata) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("x-client-id", Metadata.ASCII_STRING_MARSHALLER), clientId);
        metadata.forEach((name, value) -> headers.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value));
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
        String url = stack.databaseUrl();
        if (url.startsWith("jdbc:postgresql:")) {
            return DriverManager.getConnection(url, "postgres", "postgres");
        }
        // H2 in file mode allows one process; AUTO_SERVER is not on, so read through the service
        // instead: tests on one replica count via the API, not JDBC.
        throw new IllegalStateException("JDBC counting needs the PostgreSQL stack (replicas >= 2)");
    }

    @Override
    public void close() {
        channel.shutdownNow();
        stack.close();
    }
}
