package dev.paygate.e2e;

import static dev.paygate.e2e.RestPayments.assertError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.paygate.devstack.credentials.DevSigningKey;
import dev.paygate.devstack.credentials.TokenPolicy;
import dev.paygate.e2e.Edge.Rest;
import dev.paygate.v1.GetAccountRequest;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What the edge tells a client that probes it (issue 15, item 4): a token in the query does not
 * come back in a header, a sub that is no valid header value is a bad token (not a retryable 503),
 * unknown methods and escaped slashes get a clear answer, REST replies carry no gRPC transport
 * headers and one set of rate-limit headers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@EndToEnd
class EdgeRepliesIT {

    private static final List<String> GRPC_TRANSPORT = List.of("grpc-status", "grpc-message", "grpc-encoding",
            "grpc-accept-encoding");

    private Edge edge;
    private String account;

    @BeforeAll
    void setUp(Edge started) {
        edge = started;
        account = new RestPayments(edge).createAccount(100).get("name").asText();
    }

    @Test
    void tokenSentInTheQuery_doesNotComeBackInWwwAuthenticate() {
        Rest answer = edge.send("GET", "/v1/" + account + "?access_token=SECRET-TOKEN", null, Map.of("authorization", ""));

        assertError(answer, 401, 16, "UNAUTHENTICATED");
        assertThat(answer.headers().allValues("www-authenticate"))
                .containsExactly("Bearer realm=\"paygate\", error=\"invalid_token\"");
    }

    @Test
    void subWithControlCharacters_isAnInvalidToken_overRestAndGrpc() {
        for (String sub : List.of("mallory\r\nx-injected: 1", "mallory\u0000", "mallory\n")) {
            String token = edge.signingKey().sign(DevSigningKey.claims(TokenPolicy.DEVELOPMENT, sub,
                    TokenPolicy.ALL_SCOPES, Duration.ofMinutes(5)).build());

            Rest answer = edge.send("GET", "/v1/" + account, null, Map.of("authorization", Edge.bearer(token)));
            StatusRuntimeException grpc = catchThrowableOfType(StatusRuntimeException.class, () -> edge
                    .accounts(Map.of("authorization", Edge.bearer(token)))
                    .getAccount(GetAccountRequest.newBuilder().setName(account).build()));

            assertError(answer, 401, 16, "TOKEN_INVALID");
            assertThat(answer.header("www-authenticate")).startsWith("Bearer");
            assertThat(grpc.getStatus().getCode()).as("sub %s", sub.replace("\r", "\\r").replace("\n", "\\n"))
                    .isEqualTo(Status.Code.UNAUTHENTICATED);
        }
    }

    @Test
    void methodsTheApiDoesNotServe_are405WithAllow() {
        Rest trace = edge.send("TRACE", "/v1/" + account, null, Map.of());
        Rest put = edge.send("PUT", "/v1/accounts", "{}", Map.of());
        Rest query = edge.send("QUERY", "/v1/" + account, null, Map.of());  // refused before the filters: no content-type

        assertError(trace, 405, 12, "METHOD_NOT_ALLOWED");
        assertThat(trace.header("allow")).isEqualTo("GET");
        assertError(put, 405, 12, "METHOD_NOT_ALLOWED");
        assertThat(put.header("allow")).isEqualTo("POST");
        assertError(query, 405, 12, "METHOD_NOT_ALLOWED");
        assertThat(query.header("allow")).isEqualTo("GET, POST");
    }

    @Test
    void escapedSlashInThePath_getsAMessage() {
        Rest answer = edge.get("/v1/accounts%2F" + account.substring("accounts/".length()));

        assertError(answer, 400, 3, "ESCAPED_SLASH_IN_PATH");
        assertThat(answer.json().get("message").asText()).contains("%2F");
    }

    @Test
    void restReplies_carryNoGrpcTransportHeaders_andOneSetOfRateLimitHeaders() {
        for (Rest answer : List.of(edge.get("/v1/" + account), edge.get("/v1/accounts/does-not-exist"))) {
            for (String header : GRPC_TRANSPORT) {
                assertThat(answer.header(header)).as(header + " on a REST reply (%s)", answer.status()).isNull();
            }
            assertThat(answer.headers().allValues("x-ratelimit-limit")).as("one set").hasSize(1);
            assertThat(answer.headers().allValues("x-ratelimit-remaining")).hasSize(1);
            assertThat(answer.headers().allValues("x-ratelimit-reset")).hasSize(1);
        }
    }

    @Test
    void grpcReplies_carryOneSetOfRateLimitHeaders() {
        var headers = new java.util.concurrent.atomic.AtomicReference<Metadata>();
        edge.accounts().withInterceptors(io.grpc.stub.MetadataUtils.newCaptureMetadataInterceptor(headers,
                new java.util.concurrent.atomic.AtomicReference<>()))
                .getAccount(GetAccountRequest.newBuilder().setName(account).build());

        assertThat(headers.get().getAll(Metadata.Key.of("x-ratelimit-remaining", Metadata.ASCII_STRING_MARSHALLER)))
                .as("one set").hasSize(1);
    }
}
