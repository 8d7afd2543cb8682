package dev.paygate.gateway.bench;

import com.google.type.Money;
import dev.paygate.gateway.FreePorts;
import dev.paygate.gateway.Repository;
import dev.paygate.gateway.ServiceProcess;
import dev.paygate.gateway.Stack;
import dev.paygate.gateway.credentials.DevSigningKey;
import dev.paygate.gateway.credentials.EdgeTls;
import dev.paygate.gateway.credentials.TokenPolicy;
import dev.paygate.v1.Account;
import dev.paygate.v1.AccountServiceGrpc;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.AuthorizationServiceGrpc;
import dev.paygate.v1.CreateAccountRequest;
import dev.paygate.v1.CreateAuthorizationRequest;
import dev.paygate.v1.GetAccountRequest;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code ./paygate bench}: closed-loop load through a real Envoy onto a real service (one replica,
 * embedded H2 unless {@code --replicas N}), for REST and gRPC reads and keyed writes. Prints one
 * JSON document: throughput, latency percentiles, errors, and the service's memory. Exits non-zero
 * if any call failed or the account's balance disagrees with the approvals counted.
 *
 * <p>Rate limits are switched to shadow mode through Envoy's admin for the run: the benchmark
 * measures the path, not the buckets (RateLimitIT covers those).
 */
public final class Benchmark {

    private static final long AMOUNT_UNITS = 1;

    /** One measured scenario: what a client does in a loop. */
    private interface Call {
        void run() throws Exception;
    }

    private record Result(String name, long requests, long errors, double seconds, long[] latenciesNanos) {
        String json() {
            Arrays.sort(latenciesNanos);
            return String.format(java.util.Locale.ROOT,
                    "{\"scenario\":\"%s\",\"requests\":%d,\"errors\":%d,\"throughput_rps\":%.1f,"
                            + "\"latency_ms\":{\"p50\":%.2f,\"p95\":%.2f,\"p99\":%.2f,\"max\":%.2f}}",
                    name, requests, errors, requests / seconds, percentile(0.50), percentile(0.95),
                    percentile(0.99), percentile(1.0));
        }

        private double percentile(double p) {
            if (latenciesNanos.length == 0) {
                return 0;
            }
            int index = (int) Math.min(latenciesNanos.length - 1, Math.ceil(p * latenciesNanos.length) - 1);
            return latenciesNanos[Math.max(index, 0)] / 1e6;
        }
    }

    private Benchmark() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = 20;
        int warmup = 5;
        int concurrency = 16;
        int replicas = 1;
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--short" -> {
                    seconds = 2;
                    warmup = 1;
                    concurrency = 4;
                }
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--concurrency" -> concurrency = Integer.parseInt(args[++i]);
                case "--replicas" -> replicas = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException(
                        "usage: bench [--short] [--seconds N] [--concurrency C] [--replicas N] [--out FILE]");
            }
        }
        Repository repository = Repository.locate();
        Path workDir = Files.createTempDirectory("paygate-bench-");
        Stack.Options options = new Stack.Options(replicas, FreePorts.next(), FreePorts.next(), FreePorts.next(), 0, 0,
                workDir, false, Map.of(), "512m", false);
        System.err.println("bench: starting " + replicas + " replica(s) and envoy in " + workDir);
        try (Stack stack = Stack.start(repository, options)) {
            stack.envoy().shadowRateLimits();
            String json = run(stack, seconds, warmup, concurrency);
            System.out.println(json);
            if (out != null) {
                Files.writeString(out, json + "\n");
            }
            if (json.contains("\"ok\":false")) {
                System.err.println("bench: FAILED; logs kept in " + workDir);
                System.exit(1);
            }
        }
        deleteRecursively(workDir);
    }

    /** Distinct valid tokens of the account's owner ("bench"), minted before the clock starts. */
    private static List<Metadata> freshTokens(Stack stack, int count) {
        List<Metadata> tokens = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Metadata metadata = new Metadata();
            metadata.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer "
                    + stack.credentials().signingKey().sign(DevSigningKey.claims(TokenPolicy.DEVELOPMENT, "bench",
                            TokenPolicy.ALL_SCOPES, Duration.ofHours(1)).build()));
            tokens.add(metadata);
        }
        return tokens;
    }

    private static String run(Stack stack, int seconds, int warmup, int concurrency) throws Exception {
        // A real client's path: TLS to the edge and a bearer token on every call.
        ManagedChannel channel = EdgeTls.channel(stack.envoyPort(), stack.credentials().caCertificate());
        HttpClient http = EdgeTls.httpClient(stack.credentials().caCertificate(), HttpClient.Version.HTTP_1_1);
        String bearer = "Bearer " + stack.credentials().signingKey().sign(
                DevSigningKey.claims(TokenPolicy.DEVELOPMENT, "bench", TokenPolicy.ALL_SCOPES, Duration.ofHours(1)).build());
        try {
            Metadata client = new Metadata();
            client.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), bearer);
            AccountServiceGrpc.AccountServiceBlockingStub accounts = AccountServiceGrpc.newBlockingStub(channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(client));
            AuthorizationServiceGrpc.AuthorizationServiceBlockingStub authorizations =
                    AuthorizationServiceGrpc.newBlockingStub(channel)
                            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(client));
            Money limit = Money.newBuilder().setCurrencyCode("EUR").setUnits(1_000_000_000L).build();
            String account = accounts.withDeadlineAfter(5, TimeUnit.SECONDS).createAccount(CreateAccountRequest.newBuilder()
                    .setAccount(Account.newBuilder().setCurrencyCode("EUR").setCreditLimit(limit)).build()).getName();
            String base = "https://localhost:" + stack.envoyPort() + "/v1/";
            String body = "{\"amount\":{\"currencyCode\":\"EUR\",\"units\":\"" + AMOUNT_UNITS + "\"},"
                    + "\"merchantId\":\"bench\",\"merchantCategoryCode\":\"5411\"}";
            AtomicLong approved = new AtomicLong();

            Map<String, Call> scenarios = new LinkedHashMap<>();
            scenarios.put("grpc_get_account", () -> accounts.withDeadlineAfter(2, TimeUnit.SECONDS)
                    .getAccount(GetAccountRequest.newBuilder().setName(account).build()));
            // The same read with a token Envoy has not seen lately on every call: its verified-token
            // cache (1000 per worker) misses, so each call pays a full ES256 check at the edge.
            // The gap to grpc_get_account is the edge's cost of verifying a token.
            List<Metadata> freshTokens = freshTokens(stack, 5000);
            AtomicLong nextToken = new AtomicLong();
            AccountServiceGrpc.AccountServiceBlockingStub anonymous = AccountServiceGrpc.newBlockingStub(channel);
            scenarios.put("grpc_get_account_uncached_token", () -> anonymous
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(
                            freshTokens.get((int) (nextToken.getAndIncrement() % freshTokens.size()))))
                    .withDeadlineAfter(2, TimeUnit.SECONDS)
                    .getAccount(GetAccountRequest.newBuilder().setName(account).build()));
            scenarios.put("grpc_create_authorization_keyed", () -> {
                // The key travels as idempotency-key metadata, where Envoy's keyed (retrying) route sees it.
                Metadata key = new Metadata();
                key.put(Metadata.Key.of("idempotency-key", Metadata.ASCII_STRING_MARSHALLER), UUID.randomUUID().toString());
                Authorization result = authorizations.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(key))
                        .withDeadlineAfter(5, TimeUnit.SECONDS)
                        .createAuthorization(CreateAuthorizationRequest.newBuilder()
                                .setParent(account)
                                .setAuthorization(Authorization.newBuilder()
                                        .setAmount(Money.newBuilder().setCurrencyCode("EUR").setUnits(AMOUNT_UNITS))
                                        .setMerchantId("bench").setMerchantCategoryCode("5411"))
                                .build());
                if (result.getState() == Authorization.State.APPROVED) {
                    approved.incrementAndGet();
                }
            });
            scenarios.put("rest_get_account", () -> expectOk(http.send(HttpRequest.newBuilder(URI.create(base + account))
                    .header("authorization", bearer).timeout(Duration.ofSeconds(2)).GET().build(),
                    HttpResponse.BodyHandlers.ofString())));
            scenarios.put("rest_create_authorization_keyed", () -> {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(base + account + "/authorizations"))
                        .header("authorization", bearer).header("content-type", "application/json")
                        .header("idempotency-key", UUID.randomUUID().toString())
                        .timeout(Duration.ofSeconds(5))
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                expectOk(response);
                if (response.body().contains("\"APPROVED\"")) {
                    approved.incrementAndGet();
                }
            });

            List<String> results = new ArrayList<>();
            long errors = 0;
            for (Map.Entry<String, Call> scenario : scenarios.entrySet()) {
                measure(scenario.getKey(), scenario.getValue(), warmup, concurrency);
                long approvedBefore = approved.get();
                Result result = measure(scenario.getKey(), scenario.getValue(), seconds, concurrency);
                results.add(result.json());
                errors += result.errors();
                System.err.println("bench: " + result.json() + " (approved " + (approved.get() - approvedBefore) + ")");
            }

            // No lost or double charge: every approval counted holds exactly one amount.
            long held = accounts.withDeadlineAfter(5, TimeUnit.SECONDS)
                    .getAccount(GetAccountRequest.newBuilder().setName(account).build()).getHeld().getUnits();
            boolean consistent = held == approved.get() * AMOUNT_UNITS;
            boolean ok = errors == 0 && consistent;
            StringBuilder json = new StringBuilder("{\"benchmark\":\"paygate-edge\",");
            json.append("\"replicas\":").append(stack.replicas().size())
                    .append(",\"concurrency\":").append(concurrency)
                    .append(",\"seconds_per_scenario\":").append(seconds)
                    .append(",\"cores\":").append(Runtime.getRuntime().availableProcessors())
                    .append(",\"scenarios\":[").append(String.join(",", results)).append("]")
                    .append(",\"service_rss_mb\":").append(rssMegabytes(stack.replicas()))
                    .append(",\"balance\":{\"approved\":").append(approved.get())
                    .append(",\"held_units\":").append(held)
                    .append(",\"consistent\":").append(consistent).append('}')
                    .append(",\"ok\":").append(ok).append('}');
            return json.toString();
        } finally {
            channel.shutdownNow();
        }
    }

    private static void expectOk(HttpResponse<String> response) {
        if (response.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + response.statusCode() + ": " + response.body());
        }
    }

    private static Result measure(String name, Call call, int seconds, int concurrency) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        AtomicLong errors = new AtomicLong();
        long started = System.nanoTime();
        try {
            List<Future<long[]>> workers = new ArrayList<>();
            for (int i = 0; i < concurrency; i++) {
                workers.add(pool.submit(() -> {
                    long[] latencies = new long[1024];
                    int count = 0;
                    while (System.nanoTime() < end) {
                        long start = System.nanoTime();
                        try {
                            call.run();
                            if (count == latencies.length) {
                                latencies = Arrays.copyOf(latencies, count * 2);
                            }
                            latencies[count++] = System.nanoTime() - start;
                        } catch (Exception e) {
                            if (errors.incrementAndGet() <= 3) {
                                System.err.println("bench: " + name + " failed: " + e);
                            }
                        }
                    }
                    return Arrays.copyOf(latencies, count);
                }));
            }
            List<long[]> parts = new ArrayList<>();
            for (Future<long[]> worker : workers) {
                parts.add(worker.get());
            }
            double elapsed = (System.nanoTime() - started) / 1e9;
            long[] all = parts.stream().flatMapToLong(Arrays::stream).toArray();
            return new Result(name, all.length, errors.get(), elapsed, all);
        } finally {
            pool.shutdownNow();
        }
    }

    private static void deleteRecursively(Path directory) throws IOException {
        try (var paths = Files.walk(directory)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    /** Resident memory of the service processes (what the machine pays), in MiB, summed. */
    private static long rssMegabytes(List<ServiceProcess> replicas) {
        long kib = 0;
        for (ServiceProcess replica : replicas) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/" + replica.pid() + "/status"))) {
                    if (line.startsWith("VmRSS:")) {
                        kib += Long.parseLong(line.replaceAll("\\D", ""));
                    }
                }
            } catch (IOException e) {
                return -1;
            }
        }
        return kib / 1024;
    }
}
