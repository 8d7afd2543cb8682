package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paygate.e2e.Edge.Rest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Slow and nosy clients against the edge's HTTP limits: a body trickled a byte at a time is cut off
 * by the request timeout with a JSON 408 and changes nothing; oversized headers are refused; and
 * replies do not say what software answers or how long the replica took.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@EndToEnd
class SlowClientIT {

    /** envoy.yaml's request_timeout. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

    private Edge edge;
    private RestPayments rest;
    private String account;
    private ScheduledExecutorService trickler;

    @BeforeAll
    void setUp(Edge started) {
        edge = started;
        rest = new RestPayments(edge);
        account = rest.createAccount(500).get("name").asText();
        trickler = Executors.newSingleThreadScheduledExecutor();
    }

    @AfterAll
    void stopEdge() {
        if (trickler != null) {
            trickler.shutdownNow();
        }
    }

    @Test
    void bodyTrickledAByteEveryQuarterSecond_gets408WithinTheRequestTimeout_andChangesNothing() throws Exception {
        RestPayments.Balances before = rest.balances(account);
        byte[] body = RestPayments.authorizationBody(10).getBytes(StandardCharsets.UTF_8);
        String head = "POST /v1/" + account + "/authorizations HTTP/1.1\r\nhost: localhost\r\n"
                + "authorization: " + Edge.bearer(edge.token(edge.subject())) + "\r\n"
                + "content-type: application/json\r\ncontent-length: " + body.length + "\r\n\r\n";
        long start = System.nanoTime();
        String answer;
        try (SSLSocket socket = edge.http11Socket(REQUEST_TIMEOUT.plusSeconds(10))) {
            OutputStream out = socket.getOutputStream();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // The attack itself: one byte every 250 ms would take the ~100-byte body 25 s.
            AtomicInteger sent = new AtomicInteger();
            trickler.scheduleAtFixedRate(() -> {
                int next = sent.getAndIncrement();
                if (next < body.length) {
                    try {
                        out.write(body[next]);
                        out.flush();
                    } catch (IOException closedByEnvoy) {
                        throw new IllegalStateException("stop trickling", closedByEnvoy);
                    }
                }
            }, 0, 250, TimeUnit.MILLISECONDS);
            answer = readAll(socket.getInputStream());
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        System.out.printf("trickled body: answered after %d ms: %s%n", took.toMillis(), answer.lines().findFirst().orElse(""));
        assertThat(answer).startsWith("HTTP/1.1 408");
        assertThat(took).isBetween(REQUEST_TIMEOUT.minusMillis(500), REQUEST_TIMEOUT.plusSeconds(3));
        JsonNode error = Edge.JSON.readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4));
        assertThat(error.get("code").asInt()).isEqualTo(4);
        assertThat(RestPayments.detail(error, RestPayments.ERROR_INFO).get("reason").asText()).isEqualTo("REQUEST_TIMEOUT");
        assertThat(rest.balances(account)).as("nothing authorized").isEqualTo(before);
    }

    @Test
    void oversizedHeaders_areRefusedWith431() {
        Rest answer = edge.send("GET", "/v1/" + account, null, Map.of("x-padding", "p".repeat(20 * 1024)));

        assertThat(answer.status()).isEqualTo(431);
    }

    @Test
    void replies_sayNeitherWhichServerAnswersNorHowLongTheReplicaTook() {
        Rest served = edge.get("/v1/" + account);
        Rest refused = edge.send("GET", "/v1/" + account, null, Map.of("authorization", ""));

        assertThat(served.status()).isEqualTo(200);
        assertThat(refused.status()).isEqualTo(401);
        for (Rest answer : new Rest[] {served, refused}) {
            assertThat(answer.header("server")).as("server header").isNull();
            assertThat(answer.header("x-envoy-upstream-service-time")).isNull();
        }
    }

    /** Everything the server sends until it closes the connection (Envoy closes after a 408). */
    private static String readAll(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
}
