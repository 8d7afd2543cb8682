package dev.paygate.e2e;

import static dev.paygate.e2e.RestPayments.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.e2e.Edge.Rest;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.CreateAuthorizationRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A careless client's idempotency key: empty, blank, too long, sent twice, or an empty requestId. Envoy used to send such a write
 * down the retrying route (its key header was "present"), while the service treated it as unkeyed,
 * so a retry after a commit charged twice. Now the edge refuses it before any replica sees it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@EndToEnd
class IdempotencyKeyIT {

    private static final String UPSTREAM_REQUESTS = "cluster.paygate_service.upstream_rq_total";

    private Edge edge;
    private RestPayments rest;
    private String account;

    @BeforeAll
    void setUp(Edge started) {
        edge = started;
        rest = new RestPayments(edge);
        account = rest.createAccount(500).get("name").asText();
    }

    @Test
    void repeatedKey_isAnsweredWithTheFirstResult_markedAsReplayed_overRest() {
        Map<String, String> key = Map.of("idempotency-key", "replay-" + java.util.UUID.randomUUID());

        Rest first = rest.authorize(account, 15, key);
        Rest repeat = rest.authorize(account, 15, key);

        assertThat(first.status()).isEqualTo(200);
        assertThat(first.header("idempotent-replayed")).as("a first answer is not a replay").isNull();
        assertThat(repeat.status()).isEqualTo(200);
        assertThat(repeat.header("idempotent-replayed")).isEqualTo("true");
        assertThat(repeat.json()).isEqualTo(first.json());
    }

    @ParameterizedTest(name = "key \"{0}\"")
    @ValueSource(strings = {"", " ", "   ", "two words", "256x"})
    void malformedKey_isRefusedAtTheEdge_overRestAndGrpc_andNothingReachesAReplica(String key) {
        String idempotencyKey = key.equals("256x") ? "k".repeat(256) : key;
        RestPayments.Balances before = rest.balances(account);
        long upstream = edge.stack().envoy().stat(UPSTREAM_REQUESTS);

        Rest answer = rest.authorize(account, 10, Map.of("idempotency-key", idempotencyKey));
        Status.Code grpc;
        try {
            edge.authorizations(Map.of("idempotency-key", idempotencyKey)).createAuthorization(
                    CreateAuthorizationRequest.newBuilder().setParent(account).setAuthorization(Authorization.newBuilder()
                            .setAmount(com.google.type.Money.newBuilder().setCurrencyCode("EUR").setUnits(10))
                            .setMerchantId("shop-1").setMerchantCategoryCode("5411")).build());
            grpc = Status.Code.OK;
        } catch (StatusRuntimeException e) {
            grpc = e.getStatus().getCode();
        }

        assertError(answer, 400, 3, "MALFORMED_REQUEST");
        assertThat(answer.json().get("message").asText()).contains("idempotency-key");
        assertThat(grpc).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(edge.stack().envoy().stat(UPSTREAM_REQUESTS)).as("no replica saw it").isEqualTo(upstream);
        assertThat(rest.balances(account)).as("nothing charged").isEqualTo(before);
    }

    /**
     * Two Idempotency-Key lines (gRPC: two idempotency-key entries): Envoy's route matcher judged
     * one copy, so the write went down the keyed, retrying route with two keys; now it is a 400
     * and no replica sees it.
     */
    @Test
    void keySentTwice_isRefusedAtTheEdge_overRestAndGrpc_andNothingReachesAReplica() throws Exception {
        RestPayments.Balances before = rest.balances(account);
        long upstream = edge.stack().envoy().stat(UPSTREAM_REQUESTS);
        String body = RestPayments.authorizationBody(10);

        String rawAnswer;
        try (javax.net.ssl.SSLSocket socket = edge.http11Socket(java.time.Duration.ofSeconds(10))) {
            socket.getOutputStream().write(("POST /v1/" + account + "/authorizations HTTP/1.1\r\nhost: localhost\r\n"
                    + "authorization: " + Edge.bearer(edge.token(edge.subject())) + "\r\ncontent-type: application/json\r\n"
                    + "idempotency-key: first-" + java.util.UUID.randomUUID() + "\r\nidempotency-key: second\r\n"
                    + "content-length: " + body.length() + "\r\nconnection: close\r\n\r\n" + body)
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            rawAnswer = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        io.grpc.Metadata twoKeys = new io.grpc.Metadata();
        io.grpc.Metadata.Key<String> keyHeader = io.grpc.Metadata.Key.of("idempotency-key", io.grpc.Metadata.ASCII_STRING_MARSHALLER);
        twoKeys.put(keyHeader, "first-" + java.util.UUID.randomUUID());
        twoKeys.put(keyHeader, "second");
        Status.Code grpc;
        try {
            edge.authorizations().withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(twoKeys))
                    .createAuthorization(CreateAuthorizationRequest.newBuilder().setParent(account).setAuthorization(
                            Authorization.newBuilder().setAmount(com.google.type.Money.newBuilder().setCurrencyCode("EUR")
                                    .setUnits(10)).setMerchantId("shop-1").setMerchantCategoryCode("5411")).build());
            grpc = Status.Code.OK;
        } catch (StatusRuntimeException e) {
            grpc = e.getStatus().getCode();
        }

        assertThat(rawAnswer).startsWith("HTTP/1.1 400").contains("DUPLICATE_IDEMPOTENCY_KEY");
        assertThat(grpc).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(edge.stack().envoy().stat(UPSTREAM_REQUESTS)).as("no replica saw them").isEqualTo(upstream);
        assertThat(rest.balances(account)).as("nothing charged").isEqualTo(before);
    }

    /** An empty requestId would make the write unkeyed while the client believes it keyed. */
    @ParameterizedTest(name = "?{0}")
    @ValueSource(strings = {"requestId=", "requestId=%20", "request_id="})
    void emptyRequestId_isRefusedAtTheEdge_andNothingCharged(String query) {
        RestPayments.Balances before = rest.balances(account);

        Rest answer = edge.send("POST", "/v1/" + account + "/authorizations?" + query, RestPayments.authorizationBody(10),
                Map.of());

        RestPayments.assertRefused(answer, "EMPTY_REQUEST_ID", "request_id");
        assertThat(rest.balances(account)).as("nothing charged").isEqualTo(before);
    }
}
