package dev.paygate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.testing.RunningService;
import dev.paygate.testing.TestDatabase;
import io.micronaut.runtime.server.EmbeddedServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the service exposes with its shipped defaults: gRPC and management listen on loopback only,
 * and management serves /health (status, no details) and /prometheus, nothing else.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NetworkExposureTest {

    private static final String IPV4_MAPPED = "0000000000000000FFFF0000";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private RunningService service;
    private int grpcPort;
    private int managementPort;

    @BeforeAll
    void start() throws IOException {
        grpcPort = freePort();
        managementPort = freePort();
        // The test environment moves ports only; hosts keep application.yml's defaults.
        service = RunningService.start(TestDatabase.postgres(), Map.of(
                "grpc.server.port", grpcPort,
                "micronaut.server.port", managementPort,
                "endpoints.all.port", managementPort));
        // A test context starts the gRPC server only; the application also starts this one.
        service.bean(EmbeddedServer.class).start();
    }

    @AfterAll
    void stop() throws InterruptedException {
        service.close();
    }

    @Test
    void grpcAndManagement_listenOnLoopbackOnly() throws IOException {
        assertThat(listeningAddresses(grpcPort)).containsExactly("127.0.0.1");
        assertThat(listeningAddresses(managementPort)).containsExactly("127.0.0.1");
    }

    @Test
    void health_answersWithoutDetails() throws Exception {
        HttpResponse<String> health = get("/health");

        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"status\":\"UP\"").doesNotContain("details").doesNotContain("jdbc");
    }

    @Test
    void prometheus_isServed() throws Exception {
        HttpResponse<String> metrics = get("/prometheus");

        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("jvm_memory_used_bytes");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/threaddump", "/routes", "/info", "/beans", "/env", "/loggers", "/caches", "/refresh",
            "/metrics", "/stop", "/health/liveness/../../beans"})
    void everyOtherEndpoint_isAbsent(String path) throws Exception {
        assertThat(get(path).statusCode()).as(path).isEqualTo(404);
        assertThat(send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString("{}"))
                .header("content-type", "application/json")).statusCode()).as("POST " + path).isIn(404, 405);
    }

    private HttpResponse<String> get(String path) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + managementPort + path);
    }

    /** The local addresses of the sockets listening on {@code port}, from the kernel's own tables. */
    private static List<String> listeningAddresses(int port) throws IOException {
        String hexPort = String.format(Locale.ROOT, "%04X", port);
        List<String> addresses = new java.util.ArrayList<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            List<String> lines = Files.readAllLines(Path.of(table));
            for (String line : lines.subList(1, lines.size())) {
                String[] fields = line.trim().split("\\s+");
                String[] local = fields[1].split(":");
                if (local[1].equals(hexPort) && fields[3].equals("0A")) {
                    addresses.add(address(local[0]));
                }
            }
        }
        return addresses;
    }

    /**
     * /proc/net/tcp prints IPv4 addresses as little-endian hex, tcp6 prefixes them with
     * {@value #IPV4_MAPPED}; any other IPv6 address (such as :: for every interface) stays hex.
     */
    private static String address(String hex) {
        if (hex.length() == 32 && hex.startsWith(IPV4_MAPPED)) {
            hex = hex.substring(IPV4_MAPPED.length());
        }
        if (hex.length() != 8) {
            return hex;
        }
        long value = Long.parseLong(hex, 16);
        return (value & 0xff) + "." + (value >> 8 & 0xff) + "." + (value >> 16 & 0xff) + "." + (value >> 24 & 0xff);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
