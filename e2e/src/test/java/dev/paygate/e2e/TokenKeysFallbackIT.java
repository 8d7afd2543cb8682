package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The service's JWKS from a URL nobody answers (port 1 on loopback: connection refused), behind
 * an edge that verifies with its own key file. A call with a valid token passes the edge and is
 * refused by the service as UNAVAILABLE TOKEN_KEYS_UNAVAILABLE with retry advice, counted as a
 * JWKS fallback, and changes nothing; a call without a token is still the edge's own 401.
 */
@EndToEnd(serviceEnvironment = "PAYGATE_JWKS=https://127.0.0.1:1/jwks.json")
class TokenKeysFallbackIT {

    private static Edge edge;

    @BeforeAll
    static void setUp(Edge started) {
        edge = started;
    }

    @Test
    void jwksUrlUnreachable_validTokenIsRefusedRetryable_countedOnce_nothingCreated() {
        ServiceMetrics metrics = ServiceMetrics.of(edge, 0);
        long before = metrics.fallbacks("jwks_url", "refuse");
        long accounts = edge.count("SELECT COUNT(*) FROM accounts");

        JsonNode error = RestPayments.assertError(new RestPayments(edge).openAccount(100), 503, 14,
                "TOKEN_KEYS_UNAVAILABLE");

        assertThat(RestPayments.detail(error, RestPayments.RETRY_INFO).path("retryDelay").asText()).isEqualTo("1s");
        assertThat(metrics.fallbacks("jwks_url", "refuse")).isEqualTo(before + 1);
        assertThat(edge.count("SELECT COUNT(*) FROM accounts")).isEqualTo(accounts);
        assertThat(edge.send("GET", "/v1/accounts/00000000-0000-0000-0000-000000000001", null,
                Map.of("authorization", "")).status()).as("no token: the edge's own answer").isEqualTo(401);
    }
}
