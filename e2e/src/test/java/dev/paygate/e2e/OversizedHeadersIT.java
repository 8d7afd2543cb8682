package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.type.Money;
import dev.paygate.devstack.credentials.EdgeTls;
import dev.paygate.e2e.Edge.Rest;
import dev.paygate.e2e.EndToEnd.RateLimits;
import dev.paygate.v1.Account;
import dev.paygate.v1.AccountServiceGrpc;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.CreateAccountRequest;
import dev.paygate.v1.CreateAuthorizationRequest;
import dev.paygate.v1.GetAccountRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One caller, holding nothing but a valid token of its own, floods the edge with requests whose
 * headers are too large (several sizes across the edge's 8 KiB bound, REST over HTTP/1.1 and
 * HTTP/2, and gRPC) while another caller makes unkeyed writes. A header block over the service's
 * metadata limit would make grpc-java close Envoy's shared HTTP/2 connection to the replica
 * (GOAWAY) and so reset every call on it, whoever made it. The edge must refuse each oversized
 * request itself, with the JSON 431 (gRPC: INVALID_ARGUMENT) and an ErrorInfo, and forward only
 * the headers the service needs, so that the other caller loses nothing.
 */
// Both callers share one address and the flood is far above any budget; rate limits are
// RateLimitIT's subject (shadow mode: counted, not refused).
@EndToEnd(rateLimits = RateLimits.SHADOWED)
class OversizedHeadersIT {

    /** Unkeyed writes per victim thread (one gRPC, one REST); a reset one could not be repeated safely. */
    private static final int VICTIM_WRITES = 60;
    /** Header padding above the edge's 8 KiB bound, below its 16 KiB codec limit. */
    private static final List<Integer> OVERSIZED = List.of(8_500, 9_500, 11_000, 13_000, 15_500);
    /** Above the codec limit: over HTTP/1.1 the codec's own 431, which must carry the JSON body too. */
    private static final int OVER_CODEC_LIMIT = 20_000;
    /** Below the bound: served as usual (x-pad is not forwarded; x-request-id is, and fits the service). */
    private static final int UNDER_BOUND = 6_500;
    private static final String RESETS = "cluster.paygate_service.upstream_cx_destroy_remote_with_active_rq";

    private static Edge edge;
    private static ManagedChannel attackerChannel;
    private static String attackerBearer;
    private static Account attackerAccount;

    @BeforeAll
    static void setUp(Edge started) {
        edge = started;
        attackerBearer = Edge.bearer(edge.token("mallory"));
        attackerChannel = EdgeTls.channel(edge.stack().envoyPort(), edge.stack().credentials().caCertificate());
        attackerAccount = attacker().createAccount(CreateAccountRequest.newBuilder()
                .setAccount(Account.newBuilder().setCurrencyCode("EUR").setCreditLimit(eur(100))).build());
    }

    @AfterAll
    static void closeAttackerChannel() {
        if (attackerChannel != null) {
            attackerChannel.shutdownNow();
        }
    }

    @Test
    void oversizedHeaderFlood_resetsNoOtherCallersWrites_andEachOversizedRequestGetsThe431() throws Exception {
        Account victimAccount = edge.accounts().createAccount(CreateAccountRequest.newBuilder()
                .setAccount(Account.newBuilder().setCurrencyCode("EUR").setCreditLimit(eur(1_000_000))).build());
        Map<String, Long> alone = victimWrites(victimAccount, "alone");
        long resetsBefore = edge.stack().envoy().stat(RESETS);

        AtomicBoolean victimDone = new AtomicBoolean();
        ConcurrentLinkedQueue<String> refusals = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        CompletableFuture<Integer> flood = CompletableFuture.supplyAsync(() -> {
            int rounds = 0;
            while (!victimDone.get() || rounds == 0) {
                floodOnce(refusals, wrong);
                rounds++;
            }
            return rounds;
        });
        Map<String, Long> attacked;
        try {
            attacked = victimWrites(victimAccount, "attacked");
        } finally {
            victimDone.set(true);
        }
        int rounds = flood.get(120, TimeUnit.SECONDS);
        long resets = edge.stack().envoy().stat(RESETS) - resetsBefore;
        long held = edge.accounts().getAccount(GetAccountRequest.newBuilder().setName(victimAccount.getName()).build())
                .getHeld().getUnits();
        Map<String, Long> refused = refusals.stream()
                .collect(Collectors.groupingBy(r -> r, TreeMap::new, Collectors.counting()));
        System.out.printf("OversizedHeadersIT: victim alone %s; victim under the flood %s; flood rounds %d;"
                        + " %s delta %d; attacker answers %s; not as required %s%n",
                alone, attacked, rounds, RESETS, resets, refused, wrong);

        assertThat(attacked).as("the victim's unkeyed writes under the flood").containsOnlyKeys("OK");
        assertThat(resets).as("upstream connections the replica closed with calls on them").isZero();
        assertThat(held).as("every acknowledged write held once").isEqualTo(2L * (alone.get("OK") + attacked.get("OK")));
        assertThat(wrong).as("oversized requests answered otherwise than with the 431").isEmpty();
    }

    /** One round of the flood: every size over every protocol, each answer checked into one of the queues. */
    private static void floodOnce(ConcurrentLinkedQueue<String> refusals, ConcurrentLinkedQueue<String> wrong) {
        String path = "/v1/" + attackerAccount.getName();
        for (int size : OVERSIZED) {
            String pad = pad(size);
            check("REST h1 " + size, () -> edge.send("GET", path, null, attackerHeaders("x-pad", pad)), refusals, wrong);
            check("REST h2 " + size, () -> edge.sendHttp2("GET", path, null, attackerHeaders("x-pad", pad)),
                    refusals, wrong);
            checkGrpc("gRPC " + size, pad, refusals, wrong);
        }
        check("REST h1 " + OVER_CODEC_LIMIT, () -> edge.send("GET", path, null,
                attackerHeaders("x-pad", pad(OVER_CODEC_LIMIT))), refusals, wrong);
        for (String header : List.of("x-pad", "x-request-id")) {
            Rest served = edge.send("GET", path, null, attackerHeaders(header, pad(UNDER_BOUND)));
            if (served.status() != 200) {
                wrong.add(header + " " + UNDER_BOUND + " (under the bound): " + served.status() + " " + brief(served.text()));
            }
        }
    }

    private static void check(String label, Supplier<Rest> request, ConcurrentLinkedQueue<String> refusals,
                              ConcurrentLinkedQueue<String> wrong) {
        Rest answer;
        try {
            answer = request.get();
        } catch (UncheckedIOException e) {
            wrong.add(label + ": " + e.getCause());
            return;
        }
        JsonNode info = answer.json() == null ? null : RestPayments.detail(answer.json(), RestPayments.ERROR_INFO);
        boolean json431 = answer.status() == 431 && answer.json().path("code").asInt() == 3
                && info != null && "HEADERS_TOO_LARGE".equals(info.path("reason").asText());
        (json431 ? refusals : wrong).add(label + ": " + answer.status() + (json431 ? "" : " " + brief(answer.text())));
    }

    private static void checkGrpc(String label, String pad, ConcurrentLinkedQueue<String> refusals,
                                  ConcurrentLinkedQueue<String> wrong) {
        try {
            AccountServiceGrpc.newBlockingStub(attackerChannel)
                    .withInterceptors(edge.headers(attackerHeaders("x-pad", pad)))
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .getAccount(GetAccountRequest.newBuilder().setName(attackerAccount.getName()).build());
            wrong.add(label + ": served");
        } catch (StatusRuntimeException e) {
            String reason = KeyedWriteLoad.reason(e);
            boolean refused = e.getStatus().getCode() == io.grpc.Status.Code.INVALID_ARGUMENT
                    && "HEADERS_TOO_LARGE".equals(reason);
            (refused ? refusals : wrong).add(label + ": " + e.getStatus().getCode() + (refused ? "" : " " + reason
                    + " " + e.getStatus().getDescription()));
        }
    }

    /** Unkeyed CreateAuthorizations of 2 EUR, one thread over gRPC and one over REST; counts by outcome. */
    private static Map<String, Long> victimWrites(Account account, String phase) throws Exception {
        CompletableFuture<List<String>> grpc = CompletableFuture.supplyAsync(() -> {
            List<String> outcomes = new ArrayList<>();
            for (int i = 0; i < VICTIM_WRITES; i++) {
                try {
                    edge.authorizations(Map.of("x-request-id", "oversized-victim-" + phase + "-grpc-" + i))
                            .createAuthorization(CreateAuthorizationRequest.newBuilder().setParent(account.getName())
                                    .setAuthorization(Authorization.newBuilder().setAmount(eur(2))
                                            .setMerchantId("victim").setMerchantCategoryCode("5411"))
                                    .build());
                    outcomes.add("OK");
                } catch (StatusRuntimeException e) {
                    outcomes.add("gRPC " + e.getStatus().getCode() + " " + KeyedWriteLoad.reason(e));
                }
            }
            return outcomes;
        });
        RestPayments rest = new RestPayments(edge);
        List<String> outcomes = new ArrayList<>();
        for (int i = 0; i < VICTIM_WRITES; i++) {
            Rest answer = rest.authorize(account.getName(), 2,
                    Map.of("x-request-id", "oversized-victim-" + phase + "-rest-" + i));
            outcomes.add(answer.status() == 200 ? "OK" : "REST " + answer.status() + " " + brief(answer.text()));
        }
        outcomes.addAll(grpc.get(120, TimeUnit.SECONDS));
        return outcomes.stream().collect(Collectors.groupingBy(o -> o, TreeMap::new, Collectors.counting()));
    }

    private static Map<String, String> attackerHeaders(String name, String value) {
        return Map.of("authorization", attackerBearer, name, value);
    }

    private static AccountServiceGrpc.AccountServiceBlockingStub attacker() {
        return AccountServiceGrpc.newBlockingStub(attackerChannel).withInterceptors(edge.headers(
                Map.of("authorization", attackerBearer))).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    /**
     * Padding HPACK cannot shrink: '~' has a 13-bit Huffman code, so it travels as is. Netty closes
     * the connection when the encoded header block passes 1.25 times the limit (a header of 'a's,
     * 5 bits each, shrinks below that and only gets its own call refused).
     */
    private static String pad(int bytes) {
        return "~".repeat(bytes);
    }

    /** The start of a body, enough to tell answers apart in the report. */
    private static String brief(String text) {
        return text.length() <= 80 ? text : text.substring(0, 80) + "...";
    }

    private static Money eur(long units) {
        return Money.newBuilder().setCurrencyCode("EUR").setUnits(units).build();
    }
}
