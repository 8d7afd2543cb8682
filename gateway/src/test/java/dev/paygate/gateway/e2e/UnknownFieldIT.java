package dev.paygate.gateway.e2e;

import static dev.paygate.gateway.e2e.RestPayments.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paygate.gateway.e2e.Edge.Rest;
import dev.paygate.gateway.e2e.RestPayments.Balances;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A REST body key that the contract does not define is refused at the edge, instead of being
 * dropped by the proto3 JSON mapping (so a typo such as "ammount" cannot pass unnoticed).
 */
@Tag("e2e")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UnknownFieldIT {

    private Edge edge;
    private RestPayments rest;

    @BeforeAll
    void startEdge() {
        edge = Edge.start("unknown-field", 1, Map.of());
        rest = new RestPayments(edge);
    }

    @AfterAll
    void stopEdge() {
        if (edge != null) {
            edge.close();
        }
    }

    @Test
    void unknownBodyField_isRejectedWith400AndChangesNothing() {
        String account = rest.createAccount(500).get("name").asText();
        Balances before = rest.balances(account);
        // Each body is a valid authorization plus one key the contract does not have.
        Map<String, String> bodies = Map.of(
                "bogusField", """
                        {"amount": {"currencyCode": "EUR", "units": "10"}, "merchantId": "shop-1",
                         "merchantCategoryCode": "5411", "bogusField": 1}
                        """,
                "amount.cents", """
                        {"amount": {"currencyCode": "EUR", "units": "10", "cents": 5}, "merchantId": "shop-1",
                         "merchantCategoryCode": "5411"}
                        """);

        bodies.forEach((field, body) -> {
            Rest answer = edge.post("/v1/" + account + "/authorizations", body);

            JsonNode error = assertError(answer, 400, 3, "MALFORMED_REQUEST");
            assertThat(error.get("message").asText()).as("the message names the field").contains(field);
        });
        assertThat(rest.balances(account)).isEqualTo(before);
    }
}
