package dev.paygate.e2e;

import static dev.paygate.e2e.RestPayments.assertError;
import static dev.paygate.e2e.RestPayments.assertRefused;
import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.e2e.Edge.Rest;
import dev.paygate.e2e.RestPayments.Balances;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Requests shaped to slip past the contract, sent through the real Envoy as an attacker or a
 * careless client would: query parameters that override the path or the body, JSON bodies under
 * a content type that is not gRPC but looks like it, paths the transcoder matches in more than
 * one spelling, duplicate keys, NUL characters. Each is a 400 JSON {@code google.rpc.Status}
 * naming what was refused, and nothing changes behind it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@EndToEnd
class StrictRequestIT {

    private Edge edge;
    private RestPayments rest;

    @BeforeAll
    void setUp(Edge started) {
        edge = started;
        rest = new RestPayments(edge);
    }

    // --- query parameters: only those the operation documents

    @Test
    void capture_withAnotherAuthorizationInTheQuery_isRefusedAndCapturesNeither() {
        String accountA = rest.createAccount(500).get("name").asText();
        String accountB = rest.createAccount(500).get("name").asText();
        String x = rest.authorized(accountA, 10).get("name").asText();
        String y = rest.authorized(accountB, 20).get("name").asText();

        Rest answer = edge.post("/v1/" + x + ":capture?name=" + y, "{}");

        assertRefused(answer, "UNKNOWN_QUERY_PARAMETER", "name");
        assertThat(edge.get("/v1/" + x).json().get("state").asText()).isEqualTo("APPROVED");
        assertThat(edge.get("/v1/" + y).json().get("state").asText()).isEqualTo("APPROVED");
        assertThat(rest.balances(accountA)).isEqualTo(new Balances("10", "0", "490", 1));
        assertThat(rest.balances(accountB)).isEqualTo(new Balances("20", "0", "480", 1));
    }

    @Test
    void create_withAnotherAccountAsParentInTheQuery_isRefusedAndChargesNeither() {
        String accountA = rest.createAccount(500).get("name").asText();
        String accountB = rest.createAccount(500).get("name").asText();

        Rest answer = edge.post("/v1/" + accountA + "/authorizations?parent=" + accountB,
                RestPayments.authorizationBody(10));

        assertRefused(answer, "UNKNOWN_QUERY_PARAMETER", "parent");
        assertThat(rest.balances(accountA)).isEqualTo(new Balances("0", "0", "500", 0));
        assertThat(rest.balances(accountB)).isEqualTo(new Balances("0", "0", "500", 0));
    }

    @Test
    void create_withABodyFieldInTheQuery_isRefusedAndChangesNothing() {
        String account = rest.createAccount(500).get("name").asText();

        Rest answer = edge.post("/v1/" + account + "/authorizations?authorization.merchantId=zz",
                RestPayments.authorizationBody(10));

        assertRefused(answer, "UNKNOWN_QUERY_PARAMETER", "authorization.merchantId");
        assertThat(rest.balances(account)).isEqualTo(new Balances("0", "0", "500", 0));
    }

    @Test
    void reads_withTheResourceNameInTheQuery_areRefused() {
        String accountA = rest.createAccount(500).get("name").asText();
        String accountB = rest.createAccount(700).get("name").asText();
        rest.authorized(accountB, 5);

        assertRefused(edge.get("/v1/" + accountA + "?name=" + accountB), "UNKNOWN_QUERY_PARAMETER", "name");
        // The same name percent-encoded: only the documented spelling of a parameter passes.
        assertRefused(edge.get("/v1/" + accountA + "?%6eame=" + accountB), "UNKNOWN_QUERY_PARAMETER", "%6eame");
        assertRefused(edge.get("/v1/" + accountA + "/authorizations?parent=" + accountB),
                "UNKNOWN_QUERY_PARAMETER", "parent");
    }

    @Test
    void list_withTheDocumentedParameters_inEitherSpelling_isServed() {
        String account = rest.createAccount(500).get("name").asText();
        rest.authorized(account, 1);
        rest.authorized(account, 2);

        Rest camel = edge.get("/v1/" + account + "/authorizations?pageSize=1&state=APPROVED");
        Rest proto = edge.get("/v1/" + account + "/authorizations?state=APPROVED&page_size=1&page_token="
                + camel.json().get("nextPageToken").asText());

        assertThat(camel.status()).as(camel.text()).isEqualTo(200);
        assertThat(camel.json().get("authorizations")).hasSize(1);
        assertThat(proto.status()).as(proto.text()).isEqualTo(200);
        assertThat(proto.json().get("authorizations")).hasSize(1);
        assertThat(proto.json().get("authorizations").get(0).get("name"))
                .isNotEqualTo(camel.json().get("authorizations").get(0).get("name"));
    }

    @Test
    void list_withTheSameParameterTwice_isRefused() {
        String account = rest.createAccount(500).get("name").asText();

        assertRefused(edge.get("/v1/" + account + "/authorizations?pageSize=1&page_size=100"),
                "DUPLICATE_QUERY_PARAMETER", "page_size");
    }

    @Test
    void read_withARequestBody_isRefused() {
        String account = rest.createAccount(500).get("name").asText();
        rest.authorized(account, 5);

        // The transcoder would read this body as the request: state applied, bogus dropped.
        Rest answer = edge.send("GET", "/v1/" + account + "/authorizations", "{\"state\": \"VOIDED\", \"bogus\": 1}",
                Map.of());

        assertRefused(answer, "UNEXPECTED_BODY", "*");
    }

    // --- content types: only what Envoy itself treats as gRPC skips the check

    @Test
    void restBody_sentAsGrpcWebOrLookalike_isStillChecked() {
        String account = rest.createAccount(500).get("name").asText();
        String typo = """
                {"amount": {"currencyCode": "EUR", "units": "10"}, "ammount": {"currencyCode": "EUR", "units": "10"},
                 "merchantId": "shop-1", "merchantCategoryCode": "5411"}
                """;

        for (String contentType : new String[] {"application/grpc-web", "application/grpcfoo",
                "application/grpc-web+json", "Application/grpc", "text/plain"}) {
            Rest answer = edge.send("POST", "/v1/" + account + "/authorizations", typo,
                    Map.of("content-type", contentType));

            assertRefused(answer, "UNKNOWN_FIELD", "authorization.ammount");
        }
        assertThat(rest.balances(account)).isEqualTo(new Balances("0", "0", "500", 0));
    }

    @Test
    void edgeErrors_forAGrpcWebContentType_haveTheJsonShapeToo() {
        // Not gRPC to Envoy, so transcoded as REST: its errors are REST errors.
        Rest answer = edge.send("POST", "/v1/nope", "{}", Map.of("content-type", "application/grpc-web"));

        assertError(answer, 404, 5, "METHOD_NOT_FOUND");
    }

    // --- paths: every spelling the transcoder maps to an operation is checked

    @Test
    void unknownField_onEverySpellingOfTheCreatePath_isRefused() {
        String account = rest.createAccount(500).get("name").asText();
        String id = account.substring("accounts/".length());
        String body = """
                {"amount": {"currencyCode": "EUR", "units": "10"}, "merchantId": "shop-1", "merchantCategoryCode": "5411",
                 "bogus": 1}
                """;

        for (String path : new String[] {"/v1/" + account + "/authorizations/", "/v1/" + account + "/authorizations//",
                "/v1/%61ccounts/" + id + "/authorizations", "/v1//" + account + "/authorizations?"}) {
            assertRefused(edge.post(path, body), "UNKNOWN_FIELD", "authorization.bogus");
        }
        assertThat(rest.balances(account)).isEqualTo(new Balances("0", "0", "500", 0));
    }

    @Test
    void unknownField_onACustomVerb_isRefused() {
        String account = rest.createAccount(500).get("name").asText();
        String authorization = rest.authorized(account, 10).get("name").asText();

        assertRefused(edge.post("/v1/" + authorization + ":capture", "{\"ammount\": {}}"), "UNKNOWN_FIELD", "ammount");
        // After the verb a slash ends the last segment: no custom verb, and the path names the
        // authorization itself (the transcoder drops a trailing slash), which serves GET only.
        Rest slashAfterVerb = edge.post("/v1/" + authorization + ":capture/", "{}");
        assertError(slashAfterVerb, 405, 12, "METHOD_NOT_ALLOWED");
        assertThat(slashAfterVerb.header("allow")).isEqualTo("GET");
        assertRefused(edge.post("/v1/" + authorization + ":void", "{\"reason\": \"x\"}"), "UNKNOWN_FIELD", "reason");
        assertThat(rest.balances(account)).isEqualTo(new Balances("10", "0", "490", 1));
    }

    // --- JSON: one value per key, no NUL, escapes decoded

    @Test
    void duplicateKeys_areRefusedAndChangeNothing() {
        String account = rest.createAccount(1000).get("name").asText();

        Rest sameKey = edge.post("/v1/" + account + "/authorizations", """
                {"amount": {"currencyCode": "EUR", "units": "5", "units": "900"}, "merchantId": "shop-1",
                 "merchantCategoryCode": "5411"}
                """);
        Rest twoSpellings = edge.post("/v1/" + account + "/authorizations", """
                {"amount": {"currencyCode": "EUR", "units": "5"}, "merchantId": "shop-1", "merchant_id": "shop-2",
                 "merchantCategoryCode": "5411"}
                """);

        assertRefused(sameKey, "DUPLICATE_FIELD", "authorization.amount.units");
        assertRefused(twoSpellings, "DUPLICATE_FIELD", "authorization.merchant_id");
        assertThat(rest.balances(account)).isEqualTo(new Balances("0", "0", "1000", 0));
    }

    @Test
    void nulCharacter_inAString_isRefused() {
        Rest answer = edge.post("/v1/accounts", """
                {"currencyCode": "EUR", "creditLimit": {"currencyCode": "EUR", "units": "5"}, "displayName": "a\\u0000b"}
                """);

        assertRefused(answer, "INVALID_CHARACTER", "account.displayName");
    }

    @Test
    void keyWrittenWithEscapes_isTheSameField() {
        String account = rest.createAccount(500).get("name").asText();

        Rest answer = edge.post("/v1/" + account + "/authorizations", """
                {"\\u0061mount": {"currencyCode": "EUR", "units": "7"}, "merchantId": "shop-1",
                 "merchantCategoryCode": "5411"}
                """);

        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
        assertThat(rest.balances(account)).isEqualTo(new Balances("7", "0", "493", 1));
    }

    @Test
    void malformedJson_isRefusedByTheEdgeWithTheSameReasonAsBefore() {
        String account = rest.createAccount(500).get("name").asText();

        assertError(edge.post("/v1/" + account + "/authorizations", "{\"amount\": {} } trailing"),
                400, 3, "MALFORMED_REQUEST");
        assertThat(rest.balances(account)).isEqualTo(new Balances("0", "0", "500", 0));
    }
}
