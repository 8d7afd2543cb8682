package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.e2e.Edge.Rest;
import dev.paygate.e2e.ServiceMetrics.Budget;
import dev.paygate.v1.AccountServiceGrpc;
import dev.paygate.v1.GetAccountRequest;
import io.grpc.ManagedChannel;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The deadline each call arrives at the service with, read from the service's own metric
 * {@code paygate.call.budget} (by method and by where the budget came from): a client's shorter
 * gRPC deadline, else the route's per-try budget that Envoy announces, never the service default
 * for a call that came through the edge. Each test takes the difference of two scrapes around
 * exactly one call, so the sum's difference is that call's budget.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@EndToEnd(serviceEnvironment = "PAYGATE_DEFAULT_DEADLINE=" + DeadlinePropagationIT.SERVICE_DEFAULT_MILLIS + "ms")
class DeadlinePropagationIT {

    private static final String GET_ACCOUNT = "paygate.v1.AccountService/GetAccount";
    private static final String CREATE_AUTHORIZATION = "paygate.v1.AuthorizationService/CreateAuthorization";
    /** Distinct from every edge budget, so a call that fell back to it cannot pass for one. */
    static final long SERVICE_DEFAULT_MILLIS = 9000;

    private Edge edge;
    private RestPayments rest;
    private ServiceMetrics service;
    private String account;

    @BeforeAll
    void setUp(Edge started) {
        edge = started;
        rest = new RestPayments(edge);
        service = ServiceMetrics.of(edge, 0);
        account = rest.createAccount(500).get("name").asText();
        edge.accounts().getAccount(getAccount());  // connects the gRPC channel
    }

    @Test
    void grpcCall_withA400msDeadline_arrivesWithThatDeadline() {
        Sources before = sources(GET_ACCOUNT);

        edge.accounts().withDeadlineAfter(400, TimeUnit.MILLISECONDS).getAccount(getAccount());

        Sources seen = sources(GET_ACCOUNT).minus(before);
        assertThat(seen.grpcTimeout().count()).as("one call, budget from grpc-timeout: %s", seen).isEqualTo(1);
        assertThat(seen.envoyRoute().count()).isZero();
        assertThat(seen.serviceDefault().count()).isZero();
        assertThat(seen.grpcTimeout().sumMillis()).isGreaterThan(300).isLessThanOrEqualTo(400);
        System.out.printf("gRPC GetAccount, 400 ms client deadline: service budget %.0f ms (grpc_timeout)%n",
                seen.grpcTimeout().sumMillis());
    }

    @Test
    void grpcCall_withADeadlineLongerThanTheRoute_arrivesWithTheReadPerTryBudget() {
        Sources before = sources(GET_ACCOUNT);

        edge.accounts().withDeadlineAfter(10, TimeUnit.SECONDS).getAccount(getAccount());

        Sources seen = sources(GET_ACCOUNT).minus(before);
        assertThat(seen.envoyRoute().count()).as("one call, budget from Envoy's route: %s", seen).isEqualTo(1);
        assertThat(seen.grpcTimeout().count()).isZero();
        assertThat(seen.serviceDefault().count()).isZero();
        assertThat(seen.envoyRoute().sumMillis()).isGreaterThan(300).isLessThanOrEqualTo(600);
        System.out.printf("gRPC GetAccount, 10 s client deadline: service budget %.0f ms (envoy_route)%n",
                seen.envoyRoute().sumMillis());
    }

    @Test
    void restRead_withoutAClientDeadline_arrivesWithTheReadPerTryBudget() {
        Sources before = sources(GET_ACCOUNT);

        assertThat(edge.get("/v1/" + account).status()).isEqualTo(200);

        Sources seen = sources(GET_ACCOUNT).minus(before);
        assertThat(seen.envoyRoute().count()).as("one call, budget from Envoy's route: %s", seen).isEqualTo(1);
        assertThat(seen.grpcTimeout().count()).isZero();
        assertThat(seen.serviceDefault().count()).isZero();
        assertThat(seen.envoyRoute().sumMillis()).isGreaterThan(300).isLessThanOrEqualTo(600);
        System.out.printf("REST GET account: service budget %.0f ms (envoy_route)%n", seen.envoyRoute().sumMillis());
    }

    @Test
    void restWrite_withAnIdempotencyKey_arrivesWithTheKeyedWritePerTryBudget() {
        Sources before = sources(CREATE_AUTHORIZATION);

        Rest answer = rest.authorize(account, 1, Map.of("Idempotency-Key", "deadline-" + UUID.randomUUID()));

        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
        Sources seen = sources(CREATE_AUTHORIZATION).minus(before);
        assertThat(seen.envoyRoute().count()).as("one call, budget from Envoy's route: %s", seen).isEqualTo(1);
        assertThat(seen.grpcTimeout().count()).isZero();
        assertThat(seen.serviceDefault().count()).isZero();
        assertThat(seen.envoyRoute().sumMillis()).isGreaterThan(1000).isLessThanOrEqualTo(1500);
        System.out.printf("REST keyed write: service budget %.0f ms (envoy_route)%n", seen.envoyRoute().sumMillis());
    }

    /**
     * Unkeyed writes may get a second attempt only if the first never reached a replica, so each
     * attempt has 2.3 s of the 5 s budget: Envoy announces that (x-envoy-expected-rq-timeout-ms)
     * beside the route's grpc-timeout, and the service takes the earlier.
     */
    @Test
    void restWrite_withoutAnIdempotencyKey_arrivesWithItsAttemptsBudget() {
        Sources before = sources(CREATE_AUTHORIZATION);

        Rest answer = rest.authorize(account, 1, Map.of());

        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
        Sources seen = sources(CREATE_AUTHORIZATION).minus(before);
        Budget edgeBudget = new Budget(seen.grpcTimeout().count() + seen.envoyRoute().count(),
                seen.grpcTimeout().sumMillis() + seen.envoyRoute().sumMillis());
        assertThat(edgeBudget.count()).as("one call, budget from the edge: %s", seen).isEqualTo(1);
        assertThat(seen.serviceDefault().count()).isZero();
        assertThat(edgeBudget.sumMillis()).isGreaterThan(2000).isLessThanOrEqualTo(2300);
        System.out.printf("REST unkeyed write: service budget %.0f ms (%s)%n", edgeBudget.sumMillis(),
                seen.grpcTimeout().count() == 1 ? "grpc_timeout" : "envoy_route");
    }

    /** The control: a call that bypasses the edge without a deadline shows up as the service default. */
    @Test
    void directCall_withoutADeadline_fallsBackToTheServiceDefault() {
        Sources before = sources(GET_ACCOUNT);
        ManagedChannel direct = edge.directChannel(0);
        try {
            AccountServiceGrpc.newBlockingStub(direct).withInterceptors(edge.headers(Map.of())).getAccount(getAccount());
        } finally {
            direct.shutdownNow();
        }

        Sources seen = sources(GET_ACCOUNT).minus(before);
        assertThat(seen.serviceDefault().count()).as("one call, the service default: %s", seen).isEqualTo(1);
        assertThat(seen.grpcTimeout().count()).isZero();
        assertThat(seen.envoyRoute().count()).isZero();
        assertThat(seen.serviceDefault().sumMillis()).isGreaterThan(SERVICE_DEFAULT_MILLIS - 1000)
                .isLessThanOrEqualTo(SERVICE_DEFAULT_MILLIS);
    }

    // --- helpers

    private GetAccountRequest getAccount() {
        return GetAccountRequest.newBuilder().setName(account).build();
    }

    /** One method's budget series, by source. */
    private record Sources(Budget grpcTimeout, Budget envoyRoute, Budget serviceDefault) {
        Sources minus(Sources before) {
            return new Sources(grpcTimeout.minus(before.grpcTimeout), envoyRoute.minus(before.envoyRoute),
                    serviceDefault.minus(before.serviceDefault));
        }
    }

    private Sources sources(String method) {
        return new Sources(service.budget(method, "grpc_timeout"), service.budget(method, "envoy_route"),
                service.budget(method, "service_default"));
    }
}
