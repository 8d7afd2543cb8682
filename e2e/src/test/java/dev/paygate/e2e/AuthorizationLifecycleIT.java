package dev.paygate.e2e;

import static dev.paygate.e2e.Payments.eur;
import static dev.paygate.e2e.RestPayments.BAD_REQUEST;
import static dev.paygate.e2e.RestPayments.ERROR_INFO;
import static dev.paygate.e2e.RestPayments.assertError;
import static dev.paygate.e2e.RestPayments.detail;
import static dev.paygate.e2e.RestPayments.units;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paygate.e2e.Edge.Rest;
import dev.paygate.e2e.RestPayments.Balances;
import dev.paygate.v1.AdjustAuthorizationRequest;
import dev.paygate.v1.AdjustAuthorizationResponse;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.ExtendAuthorizationRequest;
import dev.paygate.v1.CaptureAuthorizationRequest;
import dev.paygate.v1.ReverseAuthorizationRequest;
import dev.paygate.v1.VoidAuthorizationRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The lifecycle's transitions through the real Envoy, as a curl user and a gRPC client see them:
 * captures in parts, partial reversals and the void that reverses the rest, adjustments (a
 * declined increase a 200 with its reason) and extensions, each answered with
 * the authorization as it is now, and a bad one with the JSON google.rpc.Status (REST) or the
 * status with details (gRPC), with nothing changed behind it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@EndToEnd
class AuthorizationLifecycleIT {

    private Edge edge;
    private RestPayments rest;

    @BeforeAll
    void setUp(Edge started) {
        edge = started;
        rest = new RestPayments(edge);
    }

    @Test
    void rest_capturesInParts_reversesPart_thenCapturesTheRest() {
        String account = rest.createAccount(500).get("name").asText();
        String authorization = rest.authorized(account, 100).get("name").asText();

        JsonNode part = ok(keyed("POST", "/v1/" + authorization + ":capture",
                "{\"amount\": {\"currencyCode\": \"EUR\", \"units\": \"20\"}, \"finalCapture\": false}"));
        assertThat(part.get("state").asText()).isEqualTo("APPROVED");
        assertThat(units(part, "capturedAmount")).isEqualTo("20");
        assertThat(rest.balances(account)).isEqualTo(new Balances("80", "20", "400", 1));

        JsonNode reversed = ok(keyed("POST", "/v1/" + authorization + ":reverse",
                "{\"amount\": {\"currencyCode\": \"EUR\", \"units\": \"30\"}}"));
        assertThat(reversed.get("state").asText()).isEqualTo("APPROVED");
        assertThat(units(reversed, "amount")).isEqualTo("70");
        assertThat(rest.balances(account)).isEqualTo(new Balances("50", "20", "430", 1));

        JsonNode last = ok(edge.post("/v1/" + authorization + ":capture", "{}"));
        assertThat(last.get("state").asText()).isEqualTo("CAPTURED");
        assertThat(units(last, "capturedAmount")).isEqualTo("70");
        assertThat(rest.balances(account)).isEqualTo(new Balances("0", "70", "430", 1));

        Rest events = edge.get("/v1/" + account + "/authorizationEvents?authorization=" + authorization);
        assertThat(events.status()).isEqualTo(200);
        assertThat(events.json().path("authorizationEvents").findValuesAsText("type"))
                .containsExactly("APPROVED", "CAPTURED", "REVERSED", "CAPTURED");
    }

    @Test
    void rest_captureOfMoreThanIsLeft_isA400JsonStatusSayingWhatIsLeft_andChangesNothing() {
        String account = rest.createAccount(500).get("name").asText();
        String authorization = rest.authorized(account, 100).get("name").asText();
        ok(keyed("POST", "/v1/" + authorization + ":capture",
                "{\"amount\": {\"currencyCode\": \"EUR\", \"units\": \"60\"}, \"finalCapture\": false}"));

        Rest answer = keyed("POST", "/v1/" + authorization + ":capture",
                "{\"amount\": {\"currencyCode\": \"EUR\", \"units\": \"41\"}, \"finalCapture\": false}");

        JsonNode error = assertError(answer, 400, 9, "AUTHORIZATION_REMAINDER_EXCEEDED");
        JsonNode metadata = detail(error, ERROR_INFO).path("metadata");
        assertThat(metadata.path("remaining_amount").asText()).isEqualTo("40");
        assertThat(metadata.path("captured_amount").asText()).isEqualTo("60");
        assertThat(rest.balances(account)).isEqualTo(new Balances("40", "60", "400", 1));
    }

    @Test
    void rest_partWithoutAKey_isA400FieldViolationOnRequestId_andChangesNothing() {
        String account = rest.createAccount(500).get("name").asText();
        String authorization = rest.authorized(account, 100).get("name").asText();

        Rest answer = edge.post("/v1/" + authorization + ":reverse",
                "{\"amount\": {\"currencyCode\": \"EUR\", \"units\": \"10\"}}");

        JsonNode error = assertError(answer, 400, 3, "INVALID_ARGUMENT");
        assertThat(detail(error, BAD_REQUEST).path("fieldViolations").findValuesAsText("field"))
                .containsExactly("request_id");
        assertThat(rest.balances(account)).isEqualTo(new Balances("100", "0", "400", 1));
    }

    @Test
    void grpc_capturesAPart_reversesAPart_thenVoidsTheRest() {
        String account = edge.accounts().createAccount(Payments.account(500)).getName();
        Authorization approved = edge.authorizations().createAuthorization(Payments.authorize(account, 100));

        Authorization part = edge.authorizations().captureAuthorization(CaptureAuthorizationRequest.newBuilder()
                .setName(approved.getName()).setAmount(eur(25)).setFinalCapture(false)
                .setRequestId(UUID.randomUUID().toString()).build());
        Authorization reversed = edge.authorizations().reverseAuthorization(ReverseAuthorizationRequest.newBuilder()
                .setName(approved.getName()).setAmount(eur(15)).setRequestId(UUID.randomUUID().toString()).build());
        StatusRuntimeException tooMuch = catchThrowableOfType(StatusRuntimeException.class,
                () -> edge.authorizations().reverseAuthorization(ReverseAuthorizationRequest.newBuilder()
                        .setName(approved.getName()).setAmount(eur(61)).setRequestId(UUID.randomUUID().toString())
                        .build()));
        Authorization voided = edge.authorizations().voidAuthorization(
                VoidAuthorizationRequest.newBuilder().setName(approved.getName()).build());

        assertThat(part.getState()).isEqualTo(Authorization.State.APPROVED);
        assertThat(part.getCapturedAmount()).isEqualTo(eur(25));
        assertThat(reversed.getAmount()).isEqualTo(eur(85));
        assertThat(tooMuch.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(voided.getState()).isEqualTo(Authorization.State.VOIDED);
        assertThat(voided.getCapturedAmount()).isEqualTo(eur(25));
        assertThat(rest.balances(account)).isEqualTo(new Balances("0", "25", "475", 1));
    }

    @Test
    void rest_adjustsUpAndDown_declinesAnIncreaseWithAReason_andExtends() {
        String account = rest.createAccount(500).get("name").asText();
        JsonNode authorization = rest.authorized(account, 100);
        String name = authorization.get("name").asText();

        JsonNode up = ok(edge.post("/v1/" + name + ":adjust", "{\"amount\": {\"currencyCode\": \"EUR\", \"units\": \"150\"}}"));
        assertThat(units(up.get("authorization"), "amount")).isEqualTo("150");
        assertThat(up.get("declineReason").asText()).isEqualTo("DECLINE_REASON_UNSPECIFIED");
        JsonNode declined = ok(edge.post("/v1/" + name + ":adjust",
                "{\"amount\": {\"currencyCode\": \"EUR\", \"units\": \"501\"}}"));
        assertThat(declined.get("declineReason").asText()).as("a decline is a result: 200").isEqualTo("INSUFFICIENT_FUNDS");
        assertThat(units(declined.get("authorization"), "amount")).isEqualTo("150");
        JsonNode down = ok(edge.post("/v1/" + name + ":adjust", "{\"amount\": {\"currencyCode\": \"EUR\", \"units\": \"80\"}}"));
        assertThat(units(down.get("authorization"), "amount")).isEqualTo("80");
        assertThat(rest.balances(account)).isEqualTo(new Balances("80", "0", "420", 1));

        java.time.Instant later = java.time.Instant.parse(authorization.get("createTime").asText()).plus(java.time.Duration.ofDays(10));
        JsonNode extended = ok(edge.post("/v1/" + name + ":extend", "{\"expireTime\": \"" + later + "\"}"));
        assertThat(java.time.Instant.parse(extended.get("expireTime").asText())).isEqualTo(later);
        assertThat(extended.get("state").asText()).isEqualTo("APPROVED");

        Rest tooLate = edge.post("/v1/" + name + ":extend", "{\"expireTime\": \""
                + later.plus(java.time.Duration.ofDays(60)) + "\"}");
        JsonNode error = assertError(tooLate, 400, 3, "INVALID_ARGUMENT");
        assertThat(detail(error, BAD_REQUEST).path("fieldViolations").findValuesAsText("field"))
                .containsExactly("expire_time");
        assertThat(edge.get("/v1/" + name).json().get("expireTime").asText()).isEqualTo(extended.get("expireTime").asText());

        Rest events = edge.get("/v1/" + account + "/authorizationEvents?authorization=" + name);
        assertThat(events.json().path("authorizationEvents").findValuesAsText("type"))
                .containsExactly("APPROVED", "ADJUSTED", "ADJUSTMENT_DECLINED", "ADJUSTED", "EXTENDED");
    }

    @Test
    void grpc_adjustsAndExtends() {
        String account = edge.accounts().createAccount(Payments.account(500)).getName();
        Authorization approved = edge.authorizations().createAuthorization(Payments.authorize(account, 100));

        AdjustAuthorizationResponse adjusted = edge.authorizations().adjustAuthorization(
                AdjustAuthorizationRequest.newBuilder().setName(approved.getName()).setAmount(eur(120)).build());
        com.google.protobuf.Timestamp later = approved.getExpireTime().toBuilder()
                .setSeconds(approved.getExpireTime().getSeconds() + 86_400).build();
        Authorization extended = edge.authorizations().extendAuthorization(ExtendAuthorizationRequest.newBuilder()
                .setName(approved.getName()).setExpireTime(later).build());

        assertThat(adjusted.getDeclineReason()).isEqualTo(Authorization.DeclineReason.DECLINE_REASON_UNSPECIFIED);
        assertThat(adjusted.getAuthorization().getAmount()).isEqualTo(eur(120));
        assertThat(extended.getExpireTime()).isEqualTo(later);
        assertThat(extended.getAmount()).isEqualTo(eur(120));
        assertThat(rest.balances(account)).isEqualTo(new Balances("120", "0", "380", 1));
    }

    private Rest keyed(String method, String path, String body) {
        return edge.send(method, path, body, Map.of("idempotency-key", UUID.randomUUID().toString()));
    }

    private static JsonNode ok(Rest answer) {
        assertThat(answer.status()).as("answer: %s", answer.text()).isEqualTo(200);
        return answer.json();
    }
}
