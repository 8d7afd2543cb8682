package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.paygate.devstack.credentials.EdgeTls;
import dev.paygate.edge.EnvoyProcess;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Connection exhaustion without a token (issue 15, item 3): an attacker at 127.0.0.1 opens as many
 * plain TCP connections as the edge's global cap (envoy.yaml's overload manager, 10,000) and never
 * sends a ClientHello, reopening what the edge closes; meanwhile a caller at 127.0.0.2 (loopback is
 * a /8) keeps making calls, each on a new TLS connection. The per-source limit and the handshake
 * deadline leave the caller every call.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@EndToEnd
class ConnectionExhaustionIT {

    /** envoy.yaml's global downstream connection cap: the attacker tries to hold all of it. */
    private static final int GLOBAL_CAP = 10_000;
    /** envoy.yaml's connection_limit_per_source, per worker; the launcher runs 2 workers. */
    private static final int PER_SOURCE_AND_WORKER = 50;
    private static final int WORKERS = 2;
    /** envoy.yaml's transport_socket_connect_timeout. */
    private static final Duration HANDSHAKE_DEADLINE = Duration.ofSeconds(5);

    private Edge edge;
    private String account;

    @BeforeAll
    void setUp(Edge started) {
        edge = started;
        account = new RestPayments(edge).createAccount(100).get("name").asText();
    }

    @Test
    void tenThousandIdleConnectionsFromOneAddress_leaveAnotherAddressEveryCall() {
        EnvoyProcess envoy = edge.stack().envoy();
        Calls alone = victimCalls(Duration.ofSeconds(5));
        System.out.println("victim 127.0.0.2 alone:        " + alone);
        try (IdleConnectionFlood flood = IdleConnectionFlood.start("127.0.0.1", edge.stack().envoyPort(), GLOBAL_CAP, 1_000)) {
            await("the attacker's " + GLOBAL_CAP + " connection attempts").atMost(Duration.ofSeconds(60))
                    .until(() -> flood.attempts() >= GLOBAL_CAP);
            Calls underAttack = victimCalls(Duration.ofSeconds(10));
            System.out.println("victim 127.0.0.2 under attack: " + underAttack);
            System.out.printf("attacker 127.0.0.1: %d connects, %d closed by the edge, %d refused at connect, %d open"
                    + " at the end; edge: %d refused by the per-source limit, %d over the global cap, %d open%n",
                    flood.attempts(), flood.closedByServer(), flood.refusedAtConnect(), flood.open(),
                    envoy.stat("wasmcustom.connection_limit_per_source.refused"), listenerStat("downstream_global_cx_overflow"),
                    listenerStat("downstream_cx_active"));

            assertThat(alone.failures()).as(alone.toString()).isEmpty();
            assertThat(underAttack.failures()).as(underAttack.toString()).isEmpty();
            assertThat(listenerStat("downstream_global_cx_overflow")).as("nobody was refused at the global cap").isZero();
            assertThat(listenerStat("downstream_cx_active")).as("the attacker holds at most its per-source share")
                    .isLessThanOrEqualTo(PER_SOURCE_AND_WORKER * WORKERS + 5);
            assertThat(envoy.stat("wasmcustom.connection_limit_per_source.refused"))
                    .isGreaterThan(GLOBAL_CAP - PER_SOURCE_AND_WORKER * WORKERS);
        }
    }

    @Test
    void aConnectionThatNeverSendsAClientHello_isClosedAtTheHandshakeDeadline() throws IOException {
        long timeoutsBefore = listenerStat("downstream_cx_transport_socket_connect_timeout");
        try (Socket idle = new Socket()) {
            idle.bind(new InetSocketAddress("127.0.0.3", 0));
            idle.connect(new InetSocketAddress("127.0.0.1", edge.stack().envoyPort()), 2_000);
            idle.setSoTimeout((int) HANDSHAKE_DEADLINE.multipliedBy(3).toMillis());
            long start = System.nanoTime();

            int read = idle.getInputStream().read();

            Duration held = Duration.ofNanos(System.nanoTime() - start);
            System.out.println("an idle connection was closed by the edge after " + held.toMillis() + " ms");
            assertThat(read).as("the edge closed it").isEqualTo(-1);
            assertThat(held).isBetween(HANDSHAKE_DEADLINE.minusMillis(500), HANDSHAKE_DEADLINE.plusSeconds(2));
        }
        assertThat(listenerStat("downstream_cx_transport_socket_connect_timeout")).isEqualTo(timeoutsBefore + 1);
    }

    private long listenerStat(String name) {
        return edge.stack().envoy().stat("listener.127.0.0.1_" + edge.stack().envoyPort() + "." + name);
    }

    /** What the caller at 127.0.0.2 saw: each call's latency, and every failure with its reason. */
    record Calls(List<Long> micros, List<String> failures) {
        @Override
        public String toString() {
            List<Long> sorted = micros.stream().sorted().toList();
            if (sorted.isEmpty()) {
                return "0 calls succeeded, " + failures.size() + " failed " + failures.stream().distinct().limit(3).toList();
            }
            return String.format("%d calls succeeded, %d failed %s; latency p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                    sorted.size(), failures.size(), failures.stream().distinct().limit(3).toList(),
                    percentile(sorted, 0.50) / 1000.0, percentile(sorted, 0.99) / 1000.0, sorted.get(sorted.size() - 1) / 1000.0);
        }

        private static long percentile(List<Long> sorted, double p) {
            return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
        }
    }

    /** GetAccount over a new TLS connection from 127.0.0.2, one after another, for {@code duration}. */
    private Calls victimCalls(Duration duration) {
        List<Long> micros = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        long end = System.nanoTime() + duration.toNanos();
        String request = "GET /v1/" + account + " HTTP/1.1\r\nhost: localhost\r\nauthorization: "
                + Edge.bearer(edge.token(edge.subject())) + "\r\nconnection: close\r\n\r\n";
        while (System.nanoTime() < end) {
            long start = System.nanoTime();
            try (Socket plain = new Socket()) {
                plain.bind(new InetSocketAddress("127.0.0.2", 0));
                plain.connect(new InetSocketAddress("127.0.0.1", edge.stack().envoyPort()), 2_000);
                plain.setSoTimeout(5_000);
                SSLSocket tls = (SSLSocket) EdgeTls.trusting(edge.stack().credentials().caCertificate())
                        .getSocketFactory().createSocket(plain, "localhost", edge.stack().envoyPort(), true);
                SSLParameters parameters = tls.getSSLParameters();
                parameters.setApplicationProtocols(new String[] {"http/1.1"});
                tls.setSSLParameters(parameters);
                tls.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
                String status = statusLine(tls.getInputStream());
                if (status.startsWith("HTTP/1.1 200")) {
                    micros.add((System.nanoTime() - start) / 1_000);
                } else {
                    failures.add(status);
                }
            } catch (IOException e) {
                failures.add(e.getClass().getSimpleName() + ": " + e.getMessage());
            }
            sleep(Duration.ofMillis(50));
        }
        return new Calls(micros, failures);
    }

    private static String statusLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c >= 0 && c != '\r'; c = in.read()) {
            line.append((char) c);
        }
        return line.isEmpty() ? "connection closed before a status line" : line.toString();
    }

    private static void sleep(Duration pause) {
        try {
            Thread.sleep(pause.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
