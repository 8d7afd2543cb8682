package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paygate.e2e.Edge.Rest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a REST client of the edge does over and over: open an account, authorize against it,
 * read its balances back, and check that an error body is the JSON {@code google.rpc.Status}
 * (AIP-193) that every error through the edge has.
 */
final class RestPayments {

    static final String ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo";
    static final String BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest";
    static final String RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo";

    /** An account's balances and how many authorizations it has: equal before and after = nothing changed. */
    record Balances(String held, String captured, String available, int authorizations) {
    }

    private final Edge edge;

    RestPayments(Edge edge) {
        this.edge = edge;
    }

    /** Opens a EUR account with this credit limit; returns the Account JSON. */
    JsonNode createAccount(long creditLimitUnits) {
        Rest created = openAccount(creditLimitUnits);
        assertThat(created.status()).as("create account: %s", created.text()).isEqualTo(200);
        return created.json();
    }

    /** POST /v1/accounts (no idempotency key); returns the raw answer. */
    Rest openAccount(long creditLimitUnits) {
        return edge.post("/v1/accounts", """
                {"currencyCode": "EUR", "creditLimit": {"currencyCode": "EUR", "units": "%d"}, "displayName": "e2e"}
                """.formatted(creditLimitUnits));
    }

    /** The JSON body of a valid authorization of {@code units} EUR at a grocery (MCC 5411). */
    static String authorizationBody(long units) {
        return """
                {"amount": {"currencyCode": "EUR", "units": "%d"}, "merchantId": "shop-1", "merchantCategoryCode": "5411"}
                """.formatted(units);
    }

    /** POST {parent}/authorizations with a valid body; returns the raw answer. */
    Rest authorize(String account, long units, Map<String, String> headers) {
        return edge.send("POST", "/v1/" + account + "/authorizations", authorizationBody(units), headers);
    }

    /** Authorizes and expects an answer (APPROVED or DECLINED); returns the Authorization JSON. */
    JsonNode authorized(String account, long units) {
        Rest answer = authorize(account, units, Map.of());
        assertThat(answer.status()).as("authorize: %s", answer.text()).isEqualTo(200);
        return answer.json();
    }

    JsonNode account(String account) {
        Rest answer = edge.get("/v1/" + account);
        assertThat(answer.status()).as("get account: %s", answer.text()).isEqualTo(200);
        return answer.json();
    }

    /** Every authorization name of the account, newest first, following nextPageToken to the end. */
    List<String> authorizationNames(String account) {
        List<String> names = new ArrayList<>();
        String token = "";
        do {
            Rest page = edge.get("/v1/" + account + "/authorizations?pageSize=100"
                    + (token.isEmpty() ? "" : "&pageToken=" + token));
            assertThat(page.status()).as("list: %s", page.text()).isEqualTo(200);
            page.json().path("authorizations").forEach(a -> names.add(a.get("name").asText()));
            token = page.json().path("nextPageToken").asText("");
        } while (!token.isEmpty());
        return names;
    }

    Balances balances(String account) {
        JsonNode json = account(account);
        return new Balances(units(json, "held"), units(json, "captured"), units(json, "available"),
                authorizationNames(account).size());
    }

    /** Money units as the JSON mapping prints int64: a string. */
    static String units(JsonNode owner, String moneyField) {
        JsonNode units = owner.path(moneyField).path("units");
        assertThat(units.isTextual()).as("%s.units is an int64 and so a JSON string: %s", moneyField, owner).isTrue();
        return units.asText();
    }

    /**
     * Asserts the AIP-193 error shape: HTTP status, JSON body {code, message, details[]} with an
     * ErrorInfo of domain paygate.dev and the given reason. Returns the body for further checks.
     */
    static JsonNode assertError(Rest answer, int httpStatus, int code, String reason) {
        assertThat(answer.status()).as("HTTP status of %s", answer.text()).isEqualTo(httpStatus);
        assertThat(answer.json()).as("a JSON body (content-type %s): %s", answer.header("content-type"),
                answer.text()).isNotNull();
        JsonNode body = answer.json();
        assertThat(body.path("code").isInt()).as("numeric code in %s", body).isTrue();
        assertThat(body.get("code").asInt()).as("code in %s", body).isEqualTo(code);
        assertThat(body.path("message").asText()).as("message in %s", body).isNotBlank();
        assertThat(body.path("details").isArray()).as("details[] in %s", body).isTrue();
        JsonNode info = detail(body, ERROR_INFO);
        assertThat(info).as("an ErrorInfo in %s", body).isNotNull();
        assertThat(info.path("domain").asText()).isEqualTo("paygate.dev");
        assertThat(info.path("reason").asText()).isEqualTo(reason);
        return body;
    }

    /**
     * Asserts a 400 INVALID_ARGUMENT from the edge for one piece of the request: the error shape
     * above with this ErrorInfo reason, and a BadRequest field violation naming {@code field}.
     */
    static JsonNode assertRefused(Rest answer, String reason, String field) {
        JsonNode error = assertError(answer, 400, 3, reason);
        JsonNode badRequest = detail(error, BAD_REQUEST);
        assertThat(badRequest).as("a BadRequest detail in %s", error).isNotNull();
        List<String> fields = new ArrayList<>();
        badRequest.path("fieldViolations").forEach(v -> fields.add(v.path("field").asText()));
        assertThat(fields).as("field violations in %s", error).containsExactly(field);
        return error;
    }

    /** The first detail of this @type, or null. */
    static JsonNode detail(JsonNode status, String type) {
        for (JsonNode detail : status.path("details")) {
            if (type.equals(detail.path("@type").asText())) {
                return detail;
            }
        }
        return null;
    }
}
