package dev.paygate.e2e;

import static dev.paygate.e2e.RestPayments.BAD_REQUEST;
import static dev.paygate.e2e.RestPayments.assertError;
import static dev.paygate.e2e.RestPayments.detail;
import static dev.paygate.e2e.RestPayments.units;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paygate.e2e.Edge.Rest;
import dev.paygate.e2e.RestPayments.Balances;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Every REST operation of the contract through Envoy's JSON transcoder, as a curl user sees it:
 * JSON in lowerCamelCase, int64 money units as strings, enums as names, and for every kind of bad
 * input the JSON {@code google.rpc.Status} with an ErrorInfo, with nothing changed behind it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@EndToEnd
class RestTranscodingIT {

    private static final String UUID_PATTERN = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

    private Edge edge;
    private RestPayments rest;

    @BeforeAll
    void setUp(Edge started) {
        edge = started;
        rest = new RestPayments(edge);
    }

    // --- the operations

    @Test
    void createAccount_returnsTheAccountJsonWithStringUnitsAndFullAvailableCredit() {
        Rest created = edge.post("/v1/accounts", """
                {"currencyCode": "EUR", "creditLimit": {"currencyCode": "EUR", "units": "500"}, "displayName": "Ada"}
                """);

        assertThat(created.status()).isEqualTo(200);
        assertThat(created.header("content-type")).startsWith("application/json");
        JsonNode account = created.json();
        assertThat(account.get("name").asText()).matches("accounts/" + UUID_PATTERN);
        assertThat(account.get("currencyCode").asText()).isEqualTo("EUR");
        assertThat(account.get("displayName").asText()).isEqualTo("Ada");
        assertThat(account.get("state").asText()).isEqualTo("OPEN");
        assertThat(units(account, "creditLimit")).isEqualTo("500");
        assertThat(units(account, "held")).isEqualTo("0");
        assertThat(units(account, "captured")).isEqualTo("0");
        assertThat(units(account, "available")).isEqualTo("500");
        assertThat(account.get("available").get("currencyCode").asText()).isEqualTo("EUR");
        assertThat(account.get("createTime").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
        // lowerCamelCase only: the proto field names never appear in output.
        assertThat(account.has("credit_limit")).isFalse();
        assertThat(account.has("create_time")).isFalse();
    }

    @Test
    void getAccount_returnsWhatCreateReturned() {
        JsonNode created = rest.createAccount(300);

        Rest fetched = edge.get("/v1/" + created.get("name").asText());

        assertThat(fetched.status()).isEqualTo(200);
        assertThat(fetched.json()).isEqualTo(created);
    }

    @Test
    void authorize_withinTheLimit_approvesAndHoldsTheAmount() {
        String account = rest.createAccount(500).get("name").asText();

        Rest answer = rest.authorize(account, 120, Map.of());

        assertThat(answer.status()).isEqualTo(200);
        JsonNode authorization = answer.json();
        assertThat(authorization.get("name").asText()).matches(account + "/authorizations/" + UUID_PATTERN);
        assertThat(authorization.get("state").asText()).isEqualTo("APPROVED");
        assertThat(authorization.get("declineReason").asText()).isEqualTo("DECLINE_REASON_UNSPECIFIED");
        assertThat(units(authorization, "amount")).isEqualTo("120");
        assertThat(authorization.get("merchantId").asText()).isEqualTo("shop-1");
        assertThat(authorization.get("merchantCategoryCode").asText()).isEqualTo("5411");
        assertThat(authorization.has("expireTime")).isTrue();
        assertThat(rest.balances(account)).isEqualTo(new Balances("120", "0", "380", 1));

        Rest fetched = edge.get("/v1/" + authorization.get("name").asText());
        assertThat(fetched.status()).isEqualTo(200);
        assertThat(fetched.json()).isEqualTo(authorization);
    }

    @Test
    void authorize_overTheLimit_declinesWithInsufficientFundsAsHttp200() {
        String account = rest.createAccount(100).get("name").asText();

        Rest answer = rest.authorize(account, 101, Map.of());

        assertThat(answer.status()).as("a decline is a result, not an error").isEqualTo(200);
        assertThat(answer.json().get("state").asText()).isEqualTo("DECLINED");
        assertThat(answer.json().get("declineReason").asText()).isEqualTo("INSUFFICIENT_FUNDS");
        assertThat(answer.json().has("expireTime")).isFalse();
        assertThat(rest.balances(account)).isEqualTo(new Balances("0", "0", "100", 1));
    }

    @Test
    void listAuthorizations_inPagesOfTwo_returnsEveryAuthorizationOnceNewestFirst() {
        String account = rest.createAccount(1000).get("name").asText();
        List<String> created = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            created.add(0, rest.authorized(account, i).get("name").asText());
        }

        List<String> listed = new ArrayList<>();
        List<Integer> pageSizes = new ArrayList<>();
        String token = null;
        for (int page = 0; page < 10; page++) {
            Rest answer = edge.get("/v1/" + account + "/authorizations?pageSize=2"
                    + (token == null ? "" : "&pageToken=" + token));
            assertThat(answer.status()).as(answer.text()).isEqualTo(200);
            answer.json().get("authorizations").forEach(a -> listed.add(a.get("name").asText()));
            pageSizes.add(answer.json().get("authorizations").size());
            token = answer.json().path("nextPageToken").asText("");
            if (token.isEmpty()) {
                break;
            }
        }

        assertThat(pageSizes).containsExactly(2, 2, 1);
        assertThat(token).as("no nextPageToken on the last page").isEmpty();
        assertThat(new HashSet<>(listed)).as("no repeats").hasSize(listed.size());
        assertThat(listed).as("no gaps, newest first").isEqualTo(created);
    }

    @Test
    void listAuthorizations_filteredByState_returnsOnlyThatState() {
        String account = rest.createAccount(100).get("name").asText();
        String approved = rest.authorized(account, 10).get("name").asText();
        rest.authorized(account, 1000);  // declined
        String voided = rest.authorized(account, 20).get("name").asText();
        assertThat(edge.post("/v1/" + voided + ":void", "{}").status()).isEqualTo(200);

        Rest answer = edge.get("/v1/" + account + "/authorizations?state=APPROVED");

        assertThat(answer.status()).isEqualTo(200);
        List<String> names = new ArrayList<>();
        answer.json().get("authorizations").forEach(a -> {
            assertThat(a.get("state").asText()).isEqualTo("APPROVED");
            names.add(a.get("name").asText());
        });
        assertThat(names).containsExactly(approved);
        assertThat(answer.json().path("nextPageToken").asText("")).isEmpty();
    }

    @Test
    void listAuthorizationEvents_malformedFilterOrPage_is400NamingTheField_andAnEmptyFilterIsNone() {
        String account = rest.createAccount(100).get("name").asText();
        String authorization = rest.authorized(account, 10).get("name").asText();
        rest.authorized(account, 20);
        String events = "/v1/" + account + "/authorizationEvents";

        // proto3 cannot tell "" from unset: ?authorization= is no filter, as the OpenAPI pattern says.
        Rest all = edge.get(events + "?authorization=");
        assertThat(all.status()).as(all.text()).isEqualTo(200);
        assertThat(all.json().get("authorizationEvents")).hasSize(2);

        // Each refusal: its status, ErrorInfo reason and the fields its BadRequest names.
        Map<String, String> expected = new TreeMap<>(Map.of(
                "authorization=" + authorization.toUpperCase(Locale.ROOT), "400 INVALID_ARGUMENT [authorization]",
                "authorization=" + authorization + "%0A", "400 INVALID_ARGUMENT [authorization]",
                "authorization=%20", "400 INVALID_ARGUMENT [authorization]",
                "authorization=" + account, "400 INVALID_ARGUMENT [authorization]",
                "type=99", "400 MALFORMED_REQUEST [] type:",
                "type=BOGUS", "400 MALFORMED_REQUEST [] type:",
                "pageSize=101", "400 INVALID_ARGUMENT [page_size]",
                "pageSize=-1", "400 INVALID_ARGUMENT [page_size]",
                "pageToken=x", "400 INVALID_ARGUMENT [page_token]"));
        Map<String, String> answered = new TreeMap<>();
        for (String query : expected.keySet()) {
            Rest answer = edge.get(events + "?" + query);
            List<String> fields = new ArrayList<>();
            Optional.ofNullable(answer.json()).map(body -> detail(body, BAD_REQUEST))
                    .ifPresent(bad -> bad.path("fieldViolations").forEach(v -> fields.add(v.path("field").asText())));
            String reason = Optional.ofNullable(answer.json()).map(body -> detail(body, RestPayments.ERROR_INFO))
                    .map(info -> info.path("reason").asText()).orElse("-");
            // The transcoder refuses an enum value it cannot parse itself: its message names the field.
            String message = answer.json() == null ? "" : answer.json().path("message").asText();
            answered.put(query, answer.status() + " " + reason + " " + fields
                    + (reason.equals("MALFORMED_REQUEST") ? " " + message.substring(0, message.indexOf(':') + 1) : ""));
        }
        assertThat(answered).isEqualTo(expected);
        // The document's other spelling of a type, its number, is taken.
        Rest approved = edge.get(events + "?type=1");
        assertThat(approved.status()).as(approved.text()).isEqualTo(200);
        assertThat(approved.json().get("authorizationEvents")).hasSize(2);
    }

    @Test
    void capture_withEmptyBody_capturesTheWholeAmount() {
        String account = rest.createAccount(500).get("name").asText();
        String authorization = rest.authorized(account, 100).get("name").asText();

        Rest captured = edge.post("/v1/" + authorization + ":capture", "{}");

        assertThat(captured.status()).as(captured.text()).isEqualTo(200);
        assertThat(captured.json().get("name").asText()).isEqualTo(authorization);
        assertThat(captured.json().get("state").asText()).isEqualTo("CAPTURED");
        assertThat(units(captured.json(), "capturedAmount")).isEqualTo("100");
        assertThat(rest.balances(account)).isEqualTo(new Balances("0", "100", "400", 1));
    }

    @Test
    void capture_withAmount_capturesThatPartAndReleasesTheRest() {
        String account = rest.createAccount(500).get("name").asText();
        String authorization = rest.authorized(account, 100).get("name").asText();

        Rest captured = edge.post("/v1/" + authorization + ":capture",
                "{\"amount\": {\"currencyCode\": \"EUR\", \"units\": \"40\"}}");

        assertThat(captured.status()).as(captured.text()).isEqualTo(200);
        assertThat(captured.json().get("state").asText()).isEqualTo("CAPTURED");
        assertThat(units(captured.json(), "capturedAmount")).isEqualTo("40");
        assertThat(units(captured.json(), "amount")).isEqualTo("100");
        assertThat(rest.balances(account)).isEqualTo(new Balances("0", "40", "460", 1));
    }

    /** A careless client: no Idempotency-Key, and the first answer lost, so it sends the capture again. */
    @Test
    void capture_repeatedWithoutAKeyAfterALostAnswer_is200WithTheCapturedAuthorization_andCapturesOnce() {
        Captured first = capturedWithoutAKey("{}");

        Rest repeated = edge.post("/v1/" + first.authorization() + ":capture", "{}");

        assertThat(repeated.status()).as(repeated.text()).isEqualTo(200);
        assertThat(repeated.json()).isEqualTo(first.answer().json());
        assertThat(repeated.header("idempotent-replayed")).isEqualTo("true");
        assertThat(rest.balances(first.account())).isEqualTo(new Balances("0", "100", "400", 1));
    }

    @Test
    void partialCapture_repeatedWithoutAKey_is400_sayingWhatWasCaptured_andCapturesOnce() {
        String forty = "{\"amount\": {\"currencyCode\": \"EUR\", \"units\": \"40\"}}";
        Captured first = capturedWithoutAKey(forty);

        Rest repeated = edge.post("/v1/" + first.authorization() + ":capture", forty);

        JsonNode error = assertError(repeated, 400, 9, "AUTHORIZATION_NOT_APPROVED");
        JsonNode metadata = detail(error, RestPayments.ERROR_INFO).path("metadata");
        assertThat(metadata.path("state").asText()).isEqualTo("CAPTURED");
        assertThat(metadata.path("captured_amount").asText()).isEqualTo("40");
        assertThat(metadata.path("currency_code").asText()).isEqualTo("EUR");
        assertThat(rest.balances(first.account())).isEqualTo(new Balances("0", "40", "460", 1));
    }

    /** An account with one authorization of 100 EUR, captured once by {@code body} without a key. */
    private record Captured(String account, String authorization, Rest answer) {
    }

    private Captured capturedWithoutAKey(String body) {
        String account = rest.createAccount(500).get("name").asText();
        String authorization = rest.authorized(account, 100).get("name").asText();
        Rest answer = edge.post("/v1/" + authorization + ":capture", body);
        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
        return new Captured(account, authorization, answer);
    }

    @Test
    void void_releasesTheHold() {
        String account = rest.createAccount(500).get("name").asText();
        String authorization = rest.authorized(account, 75).get("name").asText();
        assertThat(rest.balances(account).held()).isEqualTo("75");

        Rest voided = edge.post("/v1/" + authorization + ":void", "{}");

        assertThat(voided.status()).as(voided.text()).isEqualTo(200);
        assertThat(voided.json().get("state").asText()).isEqualTo("VOIDED");
        assertThat(rest.balances(account)).isEqualTo(new Balances("0", "0", "500", 1));
    }

    @Test
    void authorize_withARepeatedIdempotencyKey_returnsTheFirstAuthorizationAndHoldsOnce() {
        String account = rest.createAccount(500).get("name").asText();
        Map<String, String> key = Map.of("Idempotency-Key", "rest-" + UUID.randomUUID());

        Rest first = rest.authorize(account, 60, key);
        Rest repeat = rest.authorize(account, 60, key);

        assertThat(first.status()).isEqualTo(200);
        assertThat(repeat.status()).isEqualTo(200);
        assertThat(repeat.json().get("name").asText()).isEqualTo(first.json().get("name").asText());
        assertThat(repeat.json()).isEqualTo(first.json());
        assertThat(rest.balances(account)).isEqualTo(new Balances("60", "0", "440", 1));
    }

    @Test
    void authorize_reusingAnIdempotencyKeyForADifferentRequest_isAlreadyExistsAndChangesNothing() {
        String account = rest.createAccount(500).get("name").asText();
        Map<String, String> key = Map.of("Idempotency-Key", "rest-" + UUID.randomUUID());
        assertThat(rest.authorize(account, 60, key).status()).isEqualTo(200);
        Balances before = rest.balances(account);

        Rest reused = rest.authorize(account, 61, key);

        assertError(reused, 409, 6, "IDEMPOTENCY_KEY_REUSED");
        assertThat(rest.balances(account)).isEqualTo(before);
    }

    // --- bad input: the JSON error shape, and nothing changed

    @Test
    void malformedJson_is400InvalidArgumentAndChangesNothing() {
        String account = rest.createAccount(500).get("name").asText();
        Balances before = rest.balances(account);

        Rest answer = edge.post("/v1/" + account + "/authorizations",
                "{\"amount\": {\"currencyCode\": \"EUR\", \"units\": \"10\"");

        assertError(answer, 400, 3, "MALFORMED_REQUEST");
        assertThat(rest.balances(account)).isEqualTo(before);
    }

    @Test
    void wrongFieldType_is400InvalidArgumentNamingTheFieldAndChangesNothing() {
        String account = rest.createAccount(500).get("name").asText();
        Balances before = rest.balances(account);

        Rest answer = edge.post("/v1/" + account + "/authorizations", """
                {"amount": {"currencyCode": "EUR", "units": "abc"}, "merchantId": "shop-1", "merchantCategoryCode": "5411"}
                """);

        JsonNode error = assertError(answer, 400, 3, "MALFORMED_REQUEST");
        assertThat(error.get("message").asText()).contains("units");
        assertThat(rest.balances(account)).isEqualTo(before);
    }

    @Test
    void unknownQueryParameter_is400InvalidArgument() {
        String account = rest.createAccount(500).get("name").asText();
        rest.authorized(account, 10);
        Balances before = rest.balances(account);

        Rest answer = edge.get("/v1/" + account + "/authorizations?bogus=1");

        JsonNode error = RestPayments.assertRefused(answer, "UNKNOWN_QUERY_PARAMETER", "bogus");
        assertThat(error.get("message").asText()).contains("bogus").contains("pageSize, pageToken, state");
        assertThat(rest.balances(account)).isEqualTo(before);
    }

    @Test
    void unknownPath_is404NotFound() {
        String account = rest.createAccount(500).get("name").asText();
        Balances before = rest.balances(account);

        assertError(edge.get("/v1/nope"), 404, 5, "METHOD_NOT_FOUND");
        assertError(edge.post("/v1/nope", "{}"), 404, 5, "METHOD_NOT_FOUND");
        assertThat(rest.balances(account)).isEqualTo(before);
    }

    @Test
    void unknownAuthorization_is404NotFoundFromTheService() {
        String account = rest.createAccount(500).get("name").asText();
        String missing = account + "/authorizations/" + UUID.randomUUID();

        JsonNode error = assertError(edge.get("/v1/" + missing), 404, 5, "AUTHORIZATION_NOT_FOUND");

        assertThat(detail(error, RestPayments.ERROR_INFO).path("metadata").path("resource").asText())
                .isEqualTo(missing);
    }

    @Test
    void bodyOverThe64KiBLimit_is413InvalidArgumentAndChangesNothing() {
        String account = rest.createAccount(500).get("name").asText();
        Balances before = rest.balances(account);
        // A valid authorization: only its size (whitespace padding past 64 KiB) is wrong.
        String body = RestPayments.authorizationBody(10) + " ".repeat(65 * 1024);

        Rest answer = edge.post("/v1/" + account + "/authorizations", body);

        assertError(answer, 413, 3, "REQUEST_TOO_LARGE");
        assertThat(rest.balances(account)).isEqualTo(before);
    }

    @Test
    void bodyJustUnderTheLimit_isAccepted() {
        String account = rest.createAccount(500).get("name").asText();
        String body = RestPayments.authorizationBody(10);
        body = body + " ".repeat(64 * 1024 - body.length());

        Rest answer = edge.post("/v1/" + account + "/authorizations", body);

        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
        assertThat(rest.balances(account).held()).isEqualTo("10");
    }

    @Test
    void protovalidateViolation_is400WithBadRequestFieldViolationAndChangesNothing() {
        String account = rest.createAccount(500).get("name").asText();
        Balances before = rest.balances(account);

        Rest answer = edge.post("/v1/" + account + "/authorizations", """
                {"amount": {"currencyCode": "EUR", "units": "10"}, "merchantId": "shop-1", "merchantCategoryCode": "12"}
                """);

        JsonNode error = assertError(answer, 400, 3, "INVALID_ARGUMENT");
        JsonNode badRequest = detail(error, BAD_REQUEST);
        assertThat(badRequest).as("a BadRequest detail in %s", error).isNotNull();
        List<String> fields = new ArrayList<>();
        badRequest.path("fieldViolations").forEach(v -> fields.add(v.path("field").asText()));
        assertThat(fields).containsExactly("authorization.merchant_category_code");
        assertThat(rest.balances(account)).isEqualTo(before);
    }

    @Test
    void captureAfterVoid_is400FailedPreconditionAndChangesNothing() {
        String account = rest.createAccount(500).get("name").asText();
        String authorization = rest.authorized(account, 50).get("name").asText();
        assertThat(edge.post("/v1/" + authorization + ":void", "{}").status()).isEqualTo(200);
        Balances before = rest.balances(account);

        Rest answer = edge.post("/v1/" + authorization + ":capture", "{}");

        JsonNode error = assertError(answer, 400, 9, "AUTHORIZATION_NOT_APPROVED");
        assertThat(detail(error, RestPayments.ERROR_INFO).path("metadata").path("state").asText())
                .isEqualTo("VOIDED");
        assertThat(rest.balances(account)).isEqualTo(before);
        assertThat(edge.get("/v1/" + authorization).json().get("state").asText()).isEqualTo("VOIDED");
    }

    /** A key the contract lacks is refused at the edge instead of dropped by the JSON mapping. */
    @Test
    void unknownBodyField_isRejectedWith400NamingTheFieldAndChangesNothing() {
        String account = rest.createAccount(500).get("name").asText();
        Balances before = rest.balances(account);
        // Each body is a valid authorization plus one key the contract does not have.
        Map<String, String> bodies = Map.of(
                "authorization.bogusField", """
                        {"amount": {"currencyCode": "EUR", "units": "10"}, "merchantId": "shop-1",
                         "merchantCategoryCode": "5411", "bogusField": 1}
                        """,
                "authorization.amount.cents", """
                        {"amount": {"currencyCode": "EUR", "units": "10", "cents": 5}, "merchantId": "shop-1",
                         "merchantCategoryCode": "5411"}
                        """);

        bodies.forEach((field, body) -> {
            Rest answer = edge.post("/v1/" + account + "/authorizations", body);

            JsonNode error = RestPayments.assertRefused(answer, "UNKNOWN_FIELD", field);
            assertThat(error.get("message").asText()).as("the message names the field").contains(field);
        });
        assertThat(rest.balances(account)).isEqualTo(before);
    }

    // --- request ids

    @Test
    void requestWithoutId_getsOneFromTheEdge_andTheServiceLogsIt() {
        Rest answer = edge.get("/v1/accounts/" + UUID.randomUUID());

        String requestId = answer.header("x-request-id");
        assertThat(requestId).as("x-request-id generated by Envoy").matches(UUID_PATTERN);
        assertThat(serviceLogLineWith(requestId)).as("service log line carrying the edge's request id")
                .contains("ACCOUNT_ACCESS_DENIED");
    }

    @Test
    void requestWithItsOwnId_keepsIt_endToEnd() {
        String requestId = "client-" + UUID.randomUUID();

        Rest answer = edge.send("GET", "/v1/accounts/" + UUID.randomUUID(), null, Map.of("x-request-id", requestId));

        assertThat(answer.header("x-request-id")).isEqualTo(requestId);
        assertThat(serviceLogLineWith(requestId)).contains("ACCOUNT_ACCESS_DENIED");
    }

    @Test
    void requestWithItsOwnUuid_keepsItUnchanged_althoughTheCallIsTraced() {
        // A UUID is what Envoy's request-id extension would rewrite (one character) to mark sampling.
        String requestId = UUID.randomUUID().toString();

        Rest answer = edge.send("GET", "/v1/accounts/" + UUID.randomUUID(), null, Map.of("x-request-id", requestId));

        assertThat(answer.header("x-request-id")).isEqualTo(requestId);
        assertThat(serviceLogLineWith(requestId)).contains("ACCOUNT_ACCESS_DENIED");
    }

    /** The service's JSON log line whose x_request_id is {@code requestId}, once it is written. */
    private String serviceLogLineWith(String requestId) {
        Path log = edge.stack().workDir().resolve("service-0.log");
        return await("service log line for " + requestId)
                .atMost(Duration.ofSeconds(10))
                .until(() -> Files.readAllLines(log).stream()
                        .filter(line -> line.startsWith("{") && line.contains(requestId))
                        .filter(line -> json(line).path("x_request_id").asText().equals(requestId))
                        .findFirst(), Optional::isPresent)
                .orElseThrow();
    }

    private static JsonNode json(String line) {
        try {
            return Edge.JSON.readTree(line);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
