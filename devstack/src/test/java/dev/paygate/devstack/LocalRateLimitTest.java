package dev.paygate.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.Repository;
import dev.paygate.edge.generate.RateLimitServiceConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real rate-limit service on a real Redis counts envoy.yaml's budgets: one subject's writes
 * over its per-second budget are OVER_LIMIT, another subject's are not, and the per-address
 * floor counts per address. Asked through the service's /json endpoint, the same check Envoy's
 * filter makes over gRPC.
 */
class LocalRateLimitTest {

    private static final Repository REPOSITORY = Repository.locate();
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    @TempDir
    Path workDir;

    @Test
    void aSubjectOverItsWriteBudget_isOverLimit_anotherSubjectIsNot() throws Exception {
        Map<String, Long> budgets = RateLimitServiceConfig.perSecond(EnvoyConfig.load(REPOSITORY.envoyYaml()));
        try (LocalRateLimit limit = LocalRateLimit.start(REPOSITORY, workDir)) {
            String writes = "{\"key\":\"" + RateLimitServiceConfig.BUDGET_KEY + "\",\"value\":\"writes\"}";
            String reads = "{\"key\":\"" + RateLimitServiceConfig.BUDGET_KEY + "\",\"value\":\"reads\"}";
            // The service counts in fixed one-second windows: both calls of a pair must share one.
            for (int attempt = 1; ; attempt++) {
                awaitStartOfSecond();
                long second = System.currentTimeMillis() / 1000;
                int atBudget = check(limit, budgets.get("writes"), writes, subject("alice"));
                int overBudget = check(limit, 1, writes, subject("alice"));
                int otherSubject = check(limit, 1, writes, subject("bob"));
                int sameSubjectReads = check(limit, 1, reads, subject("alice"));
                if (System.currentTimeMillis() / 1000 != second && attempt < 3) {
                    continue;
                }
                assertThat(atBudget).as("alice's %s writes in one second", budgets.get("writes")).isEqualTo(200);
                assertThat(overBudget).as("alice's next write in that second").isEqualTo(429);
                assertThat(otherSubject).as("bob's first write").isEqualTo(200);
                assertThat(sameSubjectReads).as("alice's first read: reads have their own budget").isEqualTo(200);
                break;
            }
        }
    }

    @Test
    void oneAddressOverThePerAddressFloor_isOverLimit() throws Exception {
        long floor = RateLimitServiceConfig.perSecond(EnvoyConfig.load(REPOSITORY.envoyYaml())).get("");
        try (LocalRateLimit limit = LocalRateLimit.start(REPOSITORY, workDir)) {
            String address = "{\"key\":\"" + RateLimitServiceConfig.ADDRESS_KEY + "\",\"value\":\"192.0.2.7/32\"}";
            for (int attempt = 1; ; attempt++) {
                awaitStartOfSecond();
                long second = System.currentTimeMillis() / 1000;
                int atFloor = check(limit, floor, address);
                int overFloor = check(limit, 1, address);
                if (System.currentTimeMillis() / 1000 != second && attempt < 3) {
                    continue;
                }
                assertThat(atFloor).isEqualTo(200);
                assertThat(overFloor).isEqualTo(429);
                break;
            }
        }
    }

    private static String subject(String sub) {
        return "{\"key\":\"" + RateLimitServiceConfig.SUBJECT_KEY + "\",\"value\":\"" + sub + "\"}";
    }

    /** POST /json: one descriptor of these entries, {@code hits} hits at once; the HTTP status. */
    private static int check(LocalRateLimit limit, long hits, String... entries) throws IOException, InterruptedException {
        String body = "{\"domain\":\"" + RateLimitServiceConfig.DOMAIN + "\",\"hitsAddend\":" + hits
                + ",\"descriptors\":[{\"entries\":[" + String.join(",", entries) + "]}]}";
        HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(URI.create(limit.httpUrl() + "/json"))
                .timeout(Duration.ofSeconds(5)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.body()).as("the service's verdict").containsAnyOf("\"overallCode\":\"OK\"",
                "\"overallCode\":\"OVER_LIMIT\"");
        return response.statusCode();
    }

    private static void awaitStartOfSecond() throws InterruptedException {
        Thread.sleep(1000 - System.currentTimeMillis() % 1000 + 5);
    }
}
