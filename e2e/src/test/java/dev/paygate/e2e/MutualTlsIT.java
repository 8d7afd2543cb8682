package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.paygate.devstack.credentials.EdgeTls;
import dev.paygate.e2e.Edge.Rest;
import dev.paygate.e2e.EndToEnd.RateLimits;
import dev.paygate.v1.AccountServiceGrpc;
import dev.paygate.v1.GetAccountRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The opt-in mTLS mode ({@code ./paygate run --mtls}): the edge completes no TLS handshake without a
 * client certificate from the local CA, and the calling workload's identity for rate limits is the
 * certificate's URI SAN, whichever token's sub rides on the call. The token is still required.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
// One address sends everything here: the SAN's bucket alone is under test.
@EndToEnd(mutualTls = true, rateLimits = RateLimits.PER_ADDRESS_FLOOR_SHADOWED)
class MutualTlsIT {

    private static final long READ_BURST = 200;
    private static final long READ_REFILL_PER_SECOND = 100;

    private Edge edge;
    private ExecutorService callers;

    @BeforeAll
    void setUp(Edge started) {
        edge = started;
        callers = Executors.newFixedThreadPool(16);
    }

    @AfterAll
    void stopEdge() {
        if (callers != null) {
            callers.shutdownNow();
        }
    }

    @Test
    void clientWithTheCertificate_andAToken_isServed() {
        String account = new RestPayments(edge).createAccount(100).get("name").asText();

        assertThat(edge.get("/v1/" + account).status()).isEqualTo(200);
    }

    @Test
    void restClientWithoutACertificate_failsTheHandshake_evenWithAValidToken() {
        HttpClient noCertificate = EdgeTls.httpClient(edge.stack().credentials().caCertificate(),
                HttpClient.Version.HTTP_1_1);
        HttpRequest request = HttpRequest.newBuilder(URI.create("https://localhost:" + edge.stack().envoyPort()
                        + "/v1/accounts/00000000-0000-0000-0000-000000000000"))
                .header("authorization", Edge.bearer(edge.token(edge.subject())))
                .timeout(Duration.ofSeconds(5)).GET().build();

        Throwable refused = catchThrowable(() -> noCertificate.send(request, HttpResponse.BodyHandlers.ofString()));

        assertThat(refused).as("no HTTP answer without a client certificate").isInstanceOf(IOException.class);
    }

    @Test
    void grpcClientWithoutACertificate_isUnavailable_evenWithAValidToken() {
        ManagedChannel noCertificate = EdgeTls.channel(edge.stack().envoyPort(), edge.stack().credentials().caCertificate());
        try {
            Throwable refused = catchThrowable(() -> AccountServiceGrpc.newBlockingStub(noCertificate)
                    .withInterceptors(edge.headers(Map.of())).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .getAccount(GetAccountRequest.newBuilder().setName("accounts/x").build()));

            assertThat(refused).isInstanceOf(StatusRuntimeException.class);
            assertThat(((StatusRuntimeException) refused).getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        } finally {
            noCertificate.shutdownNow();
        }
    }

    @Test
    void certificateWithoutAToken_isStillUnauthenticated() {
        Rest answer = edge.send("GET", "/v1/accounts/00000000-0000-0000-0000-000000000000", null,
                Map.of("authorization", ""));

        RestPayments.assertError(answer, 401, 16, "UNAUTHENTICATED");
    }

    @Test
    void twoTokenSubjectsThroughOneCertificate_shareTheCertificatesReadBucket() {
        // Outside mTLS mode each sub has its own bucket (RateLimitIT); here the workload is the
        // certificate's SAN, so switching tokens buys nothing.
        String first = Edge.bearer(edge.token("mtls-first"));
        String second = Edge.bearer(edge.token("mtls-second"));
        String firstAccount = accountOf(first);
        String secondAccount = accountOf(second);
        long start = System.nanoTime();
        List<Future<Rest>> calls = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            boolean odd = i % 2 == 1;
            String token = odd ? second : first;
            String account = odd ? secondAccount : firstAccount;
            calls.add(callers.submit(() -> edge.send("GET", "/v1/" + account, null, Map.of("authorization", token))));
        }
        long served = 0;
        long refused = 0;
        for (Future<Rest> call : calls) {
            int status = get(call).status();
            served += status == 200 ? 1 : 0;
            refused += status == 429 ? 1 : 0;
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

        System.out.printf("mTLS, 1000 reads alternating two subs through one certificate in %d ms: %d served, %d refused%n",
                elapsed.toMillis(), served, refused);
        assertThat(served + refused).isEqualTo(1000);
        assertThat(refused).as("one bucket for the certificate").isPositive();
        assertThat(served).isLessThanOrEqualTo(READ_BURST + READ_REFILL_PER_SECOND * (elapsed.toMillis() / 1000 + 1));
    }

    private String accountOf(String bearer) {
        Rest created = edge.send("POST", "/v1/accounts",
                "{\"currencyCode\": \"EUR\", \"creditLimit\": {\"currencyCode\": \"EUR\", \"units\": \"100\"}}",
                Map.of("authorization", bearer));
        assertThat(created.status()).as("create account: %s", created.text()).isEqualTo(200);
        return created.json().get("name").asText();
    }

    private static Rest get(Future<Rest> call) {
        try {
            return call.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
