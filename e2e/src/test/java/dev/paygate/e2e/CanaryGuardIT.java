package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.paygate.edge.Repository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * {@code ./paygate edge guard} against a real edge with one stable and one canary replica while
 * four customers pay and read: a canary build that fails 20 % of calls (the fault drill) is rolled
 * back by the guard alone, within a stated time, and nothing a customer paid is lost or held twice;
 * a healthy canary is promoted 1 -> 5 -> 25 -> 100 by the guard with no customer error. Without the
 * guard neither weight moves, and both tests fail.
 */
class CanaryGuardIT {

    private static final Repository REPOSITORY = Repository.locate();
    /** The stated bound: a 10 s window, 20 canary attempts at 5 %, and a runtime change. */
    private static final Duration ROLLBACK_BOUND = Duration.ofSeconds(30);
    // Calls the customers make in a phase before the test moves on (a second or two at their pace here).
    private static final int CALLS_PER_PHASE = 200;

    @Test
    void canaryFailingAFifthOfCalls_isRolledBackByTheGuard_andNoPaymentIsLostOrDoubled() throws Exception {
        try (Edge edge = Edge.start("guard-fault", options -> options.withCanary(1)
                .withCanaryEnvironment(Map.of("PAYGATE_FAULT_UNAVAILABLE_RATIO", "0.2")));
             Customers customers = new Customers(edge, 4)) {
            Process guard = guard(edge, "--window", "10", "--interval", "0.5");
            long startedAt = System.nanoTime();
            customers.start();
            // Stable alone first: the guard's window sees stable's share too.
            await("customers' calls to stable alone").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .until(() -> customers.callsBetween(startedAt, Long.MAX_VALUE) >= CALLS_PER_PHASE);

            assertThat(OperatorCommand.edge(edge, "operator", "canary", "5").exitCode()).isZero();
            long faultFrom = System.nanoTime();
            boolean exited = guard.waitFor(ROLLBACK_BOUND.toSeconds() + 30, TimeUnit.SECONDS);
            long rolledBackAt = System.nanoTime();
            // Customers go on after the rollback, past the 500 ms the errors after it are counted from.
            await("customers' calls after the rollback").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .until(() -> customers.callsBetween(rolledBackAt + TimeUnit.MILLISECONDS.toNanos(500), Long.MAX_VALUE)
                            >= CALLS_PER_PHASE);
            customers.stop();
            String guardOutput = new String(guard.getInputStream().readAllBytes());
            System.out.println("$ ./paygate edge guard --window 10 --interval 0.5\n" + guardOutput);
            guard.destroy();

            assertThat(exited).as("the guard acted and exited").isTrue();
            assertThat(guard.exitValue()).as("exit 1: rolled back\n" + guardOutput).isEqualTo(1);
            assertThat(status(edge)).contains("paygate.rollout.paygate_canary = 0");
            List<String> log = Files.readAllLines(edge.stack().workDir().resolve("runtime/changes.log"));
            assertThat(log.get(log.size() - 1)).contains("guard@")
                    .contains("paygate.rollout.paygate_canary=0 paygate.rollout.paygate_service=100")
                    .endsWith("./paygate edge canary 0");
            Duration rollback = Duration.ofNanos(rolledBackAt - faultFrom);
            long errors = customers.errorsBetween(faultFrom, rolledBackAt);
            long late = customers.errorsBetween(rolledBackAt + TimeUnit.MILLISECONDS.toNanos(500), Long.MAX_VALUE);
            System.out.printf("canary guard: rolled back %d ms after the faulty canary got 5 %%; customers' errors"
                    + " meanwhile %d of %d calls (%d of them unkeyed writes), after it %d%n", rollback.toMillis(),
                    errors, customers.callsBetween(faultFrom, rolledBackAt), customers.unkeyedErrors(), late);
            assertThat(rollback).as("rollback time").isLessThan(ROLLBACK_BOUND);
            assertThat(late).as("customer errors once rolled back").isZero();
            // The fault is a gRPC status in an HTTP 200 upstream: Envoy's 5xx counter never saw it; the
            // guard saw it as UNAVAILABLE answers and as attempts Envoy retried.
            assertThat(edge.stack().envoy().stat("cluster.paygate_canary.grpc.14")
                    + edge.stack().envoy().stat("cluster.paygate_canary.upstream_rq_retry")).as("failed attempts").isPositive();
            assertThat(edge.stack().envoy().stat("cluster.paygate_canary.upstream_rq_5xx")).isZero();
            // What ops/prometheus/canary.rules.yml reads, under the names Envoy gives them.
            assertThat(edge.stack().envoy().admin("/stats/prometheus"))
                    .contains("envoy_cluster_grpc_total{envoy_cluster_name=\"paygate_canary\"}")
                    .contains("envoy_cluster_upstream_rq_retry{envoy_cluster_name=\"paygate_canary\"}")
                    .containsPattern("envoy_cluster_grpc_0\\{envoy_cluster_name=\"paygate_service\"\\}");

            customers.assertEachPaymentHeldOnce();
        }
    }

    @Test
    void healthyCanary_isPromotedStepByStepTo100ByTheGuard_withoutACustomerError() throws Exception {
        try (Edge edge = Edge.start("guard-promote", options -> options.withCanary(1));
             Customers customers = new Customers(edge, 4)) {
            customers.start();
            Process guard = guard(edge, "--promote", "--hold", "2", "--window", "10", "--interval", "0.5");
            boolean exited = guard.waitFor(180, TimeUnit.SECONDS);
            customers.stop();
            String guardOutput = new String(guard.getInputStream().readAllBytes());
            System.out.println("$ ./paygate edge guard --promote --hold 2 --window 10 --interval 0.5\n" + guardOutput);
            guard.destroy();

            assertThat(exited).as("promoted within 180 s").isTrue();
            assertThat(guard.exitValue()).as("exit 0: promoted\n" + guardOutput).isZero();
            assertThat(status(edge)).contains("paygate.rollout.paygate_canary = 100");
            List<String> steps = Files.readAllLines(edge.stack().workDir().resolve("runtime/changes.log")).stream()
                    .filter(line -> line.contains("guard@")).map(line -> line.substring(line.lastIndexOf(' ') + 1))
                    .toList();
            assertThat(steps).containsExactly("1", "5", "25", "100");
            assertThat(customers.errorsBetween(0, Long.MAX_VALUE)).as("customer errors").isZero();
            customers.assertEachPaymentHeldOnce();
        }
    }

    private static Process guard(Edge edge, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(REPOSITORY.root().resolve("paygate").toString(), "edge", "guard"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("PAYGATE_ENVOY_ADMIN_PORT", Integer.toString(edge.stack().adminPort()));
        return builder.start();
    }

    private static String status(Edge edge) {
        return OperatorCommand.edge(edge, "operator", "status").output();
    }

    /**
     * Customers, each its own identity and account (under the per-identity budgets), paying 1 EUR
     * with an idempotency key (repeated with the same key until answered, as a careful client does),
     * paying without one, and reading, about 15 rounds a second each. Every answer is recorded.
     */
    private static final class Customers implements AutoCloseable {

        private record Call(long at, boolean error, boolean unkeyed) {
        }

        private record Customer(String bearer, String account, List<String> paidKeys, List<String> unpaidKeys,
                                long[] unkeyedPaid) {
        }

        private final Edge edge;
        private final RestPayments rest;
        private final List<Customer> customers = new ArrayList<>();
        private final List<Thread> threads = new ArrayList<>();
        private final ConcurrentLinkedQueue<Call> calls = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean running = new AtomicBoolean(true);

        Customers(Edge edge, int count) {
            this.edge = edge;
            this.rest = new RestPayments(edge);
            for (int i = 0; i < count; i++) {
                String bearer = Edge.bearer(edge.token("guard-customer-" + i + "-" + UUID.randomUUID()));
                Edge.Rest opened = edge.send("POST", "/v1/accounts", """
                        {"currencyCode": "EUR", "creditLimit": {"currencyCode": "EUR", "units": "1000000"}, "displayName": "e2e"}
                        """, Map.of("authorization", bearer));
                assertThat(opened.status()).as(opened.text()).isEqualTo(200);
                customers.add(new Customer(bearer, opened.json().get("name").asText(), new ArrayList<>(),
                        new ArrayList<>(), new long[1]));
            }
        }

        void start() {
            for (Customer customer : customers) {
                Thread thread = new Thread(() -> pay(customer), "customer");
                thread.start();
                threads.add(thread);
            }
        }

        private void pay(Customer customer) {
            Map<String, String> auth = Map.of("authorization", customer.bearer());
            while (running.get()) {
                long round = System.nanoTime();
                String key = "guard-" + UUID.randomUUID();
                boolean paid = false;
                for (int attempt = 0; attempt < 3 && !paid; attempt++) {
                    paid = record(rest.authorize(customer.account(), 1,
                            Map.of("authorization", customer.bearer(), "idempotency-key", key)), false);
                }
                (paid ? customer.paidKeys() : customer.unpaidKeys()).add(key);
                if (record(rest.authorize(customer.account(), 1, auth), true)) {
                    customer.unkeyedPaid()[0]++;
                }
                record(edge.send("GET", "/v1/" + customer.account(), null, auth), false);
                sleepUntil(round + TimeUnit.MILLISECONDS.toNanos(66));
            }
        }

        private boolean record(Edge.Rest answer, boolean unkeyed) {
            boolean ok = answer.status() == 200;
            calls.add(new Call(System.nanoTime(), !ok, unkeyed));
            return ok;
        }

        long errorsBetween(long from, long to) {
            return calls.stream().filter(c -> c.error() && c.at() >= from && c.at() <= to).count();
        }

        long callsBetween(long from, long to) {
            return calls.stream().filter(c -> c.at() >= from && c.at() <= to).count();
        }

        long unkeyedErrors() {
            return calls.stream().filter(c -> c.error() && c.unkeyed()).count();
        }

        void stop() throws InterruptedException {
            running.set(false);
            for (Thread thread : threads) {
                thread.join(30_000);
            }
        }

        /**
         * Exactly once: a key that never got an answer is paid now (the canary is out, or healthy),
         * and must be a first payment, not a replay of a half-done one; then each account holds one
         * euro per paid key and per answered unkeyed payment, no more, no less.
         */
        void assertEachPaymentHeldOnce() {
            for (Customer customer : customers) {
                for (String key : customer.unpaidKeys()) {
                    Edge.Rest answer = rest.authorize(customer.account(), 1,
                            Map.of("authorization", customer.bearer(), "idempotency-key", key));
                    assertThat(answer.status()).as(answer.text()).isEqualTo(200);
                    assertThat(answer.header("idempotent-replayed")).as("a refused attempt left nothing").isNotEqualTo("true");
                }
                long expected = customer.paidKeys().size() + customer.unpaidKeys().size() + customer.unkeyedPaid()[0];
                Edge.Rest account = edge.send("GET", "/v1/" + customer.account(), null,
                        Map.of("authorization", customer.bearer()));
                assertThat(RestPayments.units(account.json(), "held")).as("held: one euro per payment answered")
                        .isEqualTo(Long.toString(expected));
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop();
        }

        private static void sleepUntil(long nanoTime) {
            long left = nanoTime - System.nanoTime();
            if (left > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
