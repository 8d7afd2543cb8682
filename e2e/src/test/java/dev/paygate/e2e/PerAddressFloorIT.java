package dev.paygate.e2e;

import static dev.paygate.e2e.RestPayments.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.devstack.ForwardedClients;
import dev.paygate.e2e.Edge.Rest;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What the per-address floor (envoy.yaml, filter 0a) counts as one address: an IPv4 address, or
 * an IPv6 /64, since one IPv6 host owns a whole /64 and would otherwise draw from 2^64 buckets.
 * Loopback has one IPv6 address, so this edge trusts one x-forwarded-for hop and each call claims
 * its source there ({@link ForwardedClients}); its floor holds {@value ForwardedClients#FLOOR_CALLS}
 * calls an address. Calls carry no token: the floor answers before the token check, so a call it
 * lets through is the token check's 401, and the service sees none of them. Each test uses its
 * own addresses, so each starts with full buckets.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@EndToEnd(forwardedClients = true)
class PerAddressFloorIT {

    private static final String FLOOR_REFUSALS = "paygate_ratelimit_per_address.http_local_rate_limit.rate_limited";

    private Edge edge;

    @BeforeAll
    void setUp(Edge started) {
        edge = started;
    }

    @Test
    void twoAddressesInOneIpv6Slash64_shareOneBucket() {
        long refusedBefore = edge.stack().envoy().stat(FLOOR_REFUSALS);
        useUpTheFloor("2001:db8:1:1::1");

        assertFloorRefuses(call("2001:db8:1:1::1"));
        assertFloorRefuses(call("2001:db8:1:1:ffff:ffff:ffff:fffe"));
        assertFloorRefuses(call("2001:db8:1:1:8000::42"));
        assertThat(edge.stack().envoy().stat(FLOOR_REFUSALS) - refusedBefore).isEqualTo(3);
    }

    @Test
    void ipv6AddressesInAnotherSlash64_haveTheirOwnBucket() {
        useUpTheFloor("2001:db8:2:1::1");

        assertThat(call("2001:db8:2:2::1").status()).as("the next /64").isEqualTo(401);
        assertThat(call("2001:db8:2:0:ffff:ffff:ffff:ffff").status()).as("the /64 before").isEqualTo(401);
        assertFloorRefuses(call("2001:db8:2:1::1"));
    }

    @Test
    void ipv4Addresses_haveABucketEach() {
        useUpTheFloor("192.0.2.10");

        assertFloorRefuses(call("192.0.2.10"));
        assertThat(call("192.0.2.11").status()).as("the next address").isEqualTo(401);
    }

    /** The floor's calls for {@code address}, each let through to the token check. */
    private void useUpTheFloor(String address) {
        for (int i = 0; i < ForwardedClients.FLOOR_CALLS; i++) {
            assertThat(call(address).status()).as("call %d from %s", i + 1, address).isEqualTo(401);
        }
    }

    private static void assertFloorRefuses(Rest answer) {
        assertError(answer, 429, 8, "RATE_LIMITED");
    }

    /** A read without a token, claiming {@code address} as its source. */
    private Rest call(String address) {
        return edge.send("GET", "/v1/accounts/floor", null, Map.of("authorization", "", "x-forwarded-for", address));
    }
}
