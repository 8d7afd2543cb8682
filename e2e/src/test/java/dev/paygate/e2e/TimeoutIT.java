package dev.paygate.e2e;

import static dev.paygate.e2e.RestPayments.assertError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paygate.e2e.Edge.Rest;
import dev.paygate.e2e.RestPayments.Balances;
import dev.paygate.edge.EnvoyProcess;
import dev.paygate.v1.AccountServiceGrpc.AccountServiceBlockingStub;
import dev.paygate.v1.GetAccountRequest;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The route budgets of envoy.yaml as a client feels them. Slowness is real but test-only: Envoy's
 * fault filter (inserted just before the router in the test configuration only) holds a request
 * for {@code x-envoy-fault-delay-request} ms before the router calls the service. The route's
 * max_stream_duration runs from the moment the request arrives, so the delay counts against it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@EndToEnd
class TimeoutIT {

    private static final String DELAY = "x-envoy-fault-delay-request";
    private static final String GET_ACCOUNT = "paygate.v1.AccountService/GetAccount";
    private static final String CREATE_AUTHORIZATION = "paygate.v1.AuthorizationService/CreateAuthorization";

    private Edge edge;
    private RestPayments rest;
    private EnvoyAccessLog accessLog;
    private ServiceMetrics service;
    private String account;

    @BeforeAll
    void setUp(Edge started) {
        edge = started;
        rest = new RestPayments(edge);
        accessLog = EnvoyAccessLog.of(edge);
        service = ServiceMetrics.of(edge, 0);
        account = rest.createAccount(500).get("name").asText();
        rest.authorized(account, 100);
        // Connect the gRPC channel now, so that timed calls measure the edge, not a first connect.
        edge.accounts().getAccount(GetAccountRequest.newBuilder().setName(account).build());
    }

    @Test
    void restRead_delayedWithinTheBudget_answersAfterTheDelay() {
        long injected = envoy().stat("http.paygate_public.fault.delays_injected");

        Timed<Rest> answer = timed(() -> edge.send("GET", "/v1/" + account, null, Map.of(DELAY, "300")));

        assertThat(answer.value().status()).as(answer.value().text()).isEqualTo(200);
        assertThat(answer.elapsed()).isBetween(Duration.ofMillis(300), Duration.ofMillis(1500));
        assertThat(envoy().stat("http.paygate_public.fault.delays_injected")).isEqualTo(injected + 1);
    }

    @Test
    void restRead_delayedBeyondTheTwoSecondReadBudget_is504DeadlineExceededAtTheBudget() {
        Counters before = counters();
        String requestId = "timeout-read-" + UUID.randomUUID();

        Timed<Rest> answer = timed(() -> edge.send("GET", "/v1/" + account, null,
                Map.of(DELAY, "3000", "x-request-id", requestId)));

        assertError(answer.value(), 504, 4, "UPSTREAM_TIMEOUT");
        assertThat(answer.elapsed()).isBetween(Duration.ofMillis(1900), Duration.ofMillis(2800));
        System.out.printf("REST read, 3000 ms delay on the 2 s reads route: 504 after %d ms%n",
                answer.elapsed().toMillis());
        JsonNode logged = accessLog.entry(requestId);
        assertThat(logged.path("status").asInt()).isEqualTo(504);
        assertThat(logged.path("details").asText()).isEqualTo("max_duration_timeout");
        assertThat(logged.path("attempts").asInt()).as("the delay ran out the budget before any attempt").isZero();
        assertThat(counters()).as("no upstream request, no retry, the service saw nothing").isEqualTo(before);
    }

    @Test
    void grpcRead_delayedBeyondTheTwoSecondReadBudget_isDeadlineExceededAtTheBudget() {
        Counters before = counters();
        // The client allows 10 s (Edge's default deadline); the route allows 2 s.
        AccountServiceBlockingStub stub = edge.accounts().withInterceptors(metadata(DELAY, "3000"));

        Timed<StatusRuntimeException> error = timed(() -> catchThrowableOfType(StatusRuntimeException.class,
                () -> stub.getAccount(GetAccountRequest.newBuilder().setName(account).build())));

        assertThat(error.value()).as("a 3 s delay on a 2 s route must fail").isNotNull();
        assertThat(error.value().getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        assertThat(error.elapsed()).isBetween(Duration.ofMillis(1900), Duration.ofMillis(2800));
        System.out.printf("gRPC read, 3000 ms delay on the 2 s reads route: %s after %d ms%n",
                error.value().getStatus().getCode(), error.elapsed().toMillis());
        assertThat(counters()).as("no upstream request, no retry, the service saw nothing").isEqualTo(before);
    }

    @Test
    void restWrite_delayedBeyondTheFiveSecondWriteBudget_is504AndHoldsNothing() {
        Balances balances = rest.balances(account);
        Counters before = counters();
        String requestId = "timeout-write-" + UUID.randomUUID();

        Timed<Rest> answer = timed(() -> edge.send("POST", "/v1/" + account + "/authorizations",
                RestPayments.authorizationBody(10), Map.of(DELAY, "6000", "x-request-id", requestId)));

        assertError(answer.value(), 504, 4, "UPSTREAM_TIMEOUT");
        assertThat(answer.elapsed()).isBetween(Duration.ofMillis(4900), Duration.ofMillis(5800));
        System.out.printf("REST write, 6000 ms delay on the 5 s writes route: 504 after %d ms%n",
                answer.elapsed().toMillis());
        assertThat(accessLog.entry(requestId).path("attempts").asInt()).isZero();
        assertThat(counters()).as("no upstream request, no retry, the service saw nothing").isEqualTo(before);
        assertThat(rest.balances(account)).as("nothing held, nothing created").isEqualTo(balances);
    }

    @Test
    void grpcClientDeadline_shorterThanTheRouteBudget_endsTheCallAtTheClientDeadline() {
        Counters before = counters();
        AccountServiceBlockingStub stub = edge.accounts().withInterceptors(metadata(DELAY, "1000"))
                .withDeadlineAfter(300, TimeUnit.MILLISECONDS);

        Timed<StatusRuntimeException> error = timed(() -> catchThrowableOfType(StatusRuntimeException.class,
                () -> stub.getAccount(GetAccountRequest.newBuilder().setName(account).build())));

        assertThat(error.value()).as("a 1 s delay under a 300 ms deadline must fail").isNotNull();
        assertThat(error.value().getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        assertThat(error.elapsed()).isBetween(Duration.ofMillis(290), Duration.ofMillis(800));
        System.out.printf("gRPC read, 300 ms client deadline, 1000 ms delay: %s after %d ms%n",
                error.value().getStatus().getCode(), error.elapsed().toMillis());
        assertThat(counters()).as("the service saw nothing").isEqualTo(before);
    }

    /**
     * A REST client has no deadline timer of its own, so only Envoy can end this call at 300 ms:
     * proof that Envoy takes a shorter grpc-timeout over the route budget.
     */
    @Test
    void grpcTimeoutHeader_shorterThanTheRouteBudget_isEnforcedByEnvoy() {
        long envoyTimeouts = envoy().stat("http.paygate_public.downstream_rq_max_duration_reached");

        Timed<Rest> answer = timed(() -> edge.send("GET", "/v1/" + account, null,
                Map.of(DELAY, "1000", "grpc-timeout", "300m")));

        assertError(answer.value(), 504, 4, "UPSTREAM_TIMEOUT");
        assertThat(answer.elapsed()).isBetween(Duration.ofMillis(290), Duration.ofMillis(800));
        System.out.printf("REST read with grpc-timeout 300m, 1000 ms delay: 504 after %d ms%n",
                answer.elapsed().toMillis());
        assertThat(envoy().stat("http.paygate_public.downstream_rq_max_duration_reached"))
                .isEqualTo(envoyTimeouts + 1);
    }

    // --- helpers

    /** What must not move when a request never left Envoy. */
    private record Counters(long upstreamRequests, long retries, long getAccountCalls, long createAuthorizationCalls) {
    }

    private Counters counters() {
        return new Counters(envoy().stat("cluster.paygate_service.upstream_rq_total"),
                envoy().stat("cluster.paygate_service.upstream_rq_retry"),
                service.calls(GET_ACCOUNT), service.calls(CREATE_AUTHORIZATION));
    }

    private EnvoyProcess envoy() {
        return edge.stack().envoy();
    }

    private static io.grpc.ClientInterceptor metadata(String name, String value) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value);
        return MetadataUtils.newAttachHeadersInterceptor(headers);
    }

    private record Timed<T>(T value, Duration elapsed) {
    }

    private static <T> Timed<T> timed(java.util.function.Supplier<T> call) {
        long start = System.nanoTime();
        T value = call.get();
        return new Timed<>(value, Duration.ofNanos(System.nanoTime() - start));
    }
}
