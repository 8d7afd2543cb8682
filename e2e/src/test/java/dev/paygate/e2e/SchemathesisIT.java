package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.contract.Contract;
import dev.paygate.e2e.EndToEnd.RateLimits;
import dev.paygate.edge.Command;
import dev.paygate.edge.Repository;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Schemathesis (PyPI, tools/fuzz) fuzzes the REST API from the OpenAPI document Envoy serves,
 * through the real Envoy and two service replicas on PostgreSQL: no 5xx, every status code,
 * content type, header and body as documented, schema-violating requests rejected. Afterwards
 * every account's balances still equal the sum of its authorizations. Bounded for CI (one worker:
 * more crash schemathesis 4.32.5); {@code ./paygate fuzz --seconds N} runs it longer.
 */
// The run tests the API, not the limiter.
@EndToEnd(replicas = 2, rateLimits = RateLimits.SHADOWED)
class SchemathesisIT {

    private static final Repository REPOSITORY = Repository.locate();
    private static final Path FUZZ = REPOSITORY.root().resolve("tools/fuzz");
    private static final Path REPORTS = REPOSITORY.root().resolve("e2e/target/schemathesis");
    private static final int SECONDS = Integer.getInteger("paygate.fuzz.seconds", 45);
    private static final int EXAMPLES = Integer.getInteger("paygate.fuzz.examples", 25);
    private static final String SEED = System.getProperty("paygate.fuzz.seed", "1");
    private static final String CHECKS = String.join(",", "not_a_server_error", "status_code_conformance",
            "content_type_conformance", "response_headers_conformance", "response_schema_conformance",
            "negative_data_rejection");

    private static Edge edge;

    @BeforeAll
    static void setUp(Edge started) {
        edge = started;
    }

    @Test
    void fuzzedApi_answersAsDocumented_andKeepsBalancesConsistent() throws Exception {
        Edge.Rest created = edge.post("/v1/accounts",
                "{\"currencyCode\":\"EUR\",\"creditLimit\":{\"currencyCode\":\"EUR\",\"units\":\"100000\"}}");
        assertThat(created.status()).as(created.text()).isEqualTo(200);
        String account = created.json().get("name").asText();
        Edge.Rest authorized = edge.post("/v1/" + account + "/authorizations",
                "{\"amount\":{\"currencyCode\":\"EUR\",\"units\":\"5\"},\"merchantId\":\"m\",\"merchantCategoryCode\":\"5411\"}");
        assertThat(authorized.status()).as(authorized.text()).isEqualTo(200);
        String authorization = authorized.json().get("name").asText();

        String base = "https://localhost:" + edge.stack().envoyPort();
        List<String> command = new ArrayList<>(List.of(FUZZ.resolve(".venv/bin/st").toString(),
                "--config-file", FUZZ.resolve("schemathesis.toml").toString(),
                "run", base + "/openapi.json", "--url", base,
                "--workers", "1", "--max-examples", String.valueOf(EXAMPLES), "--max-time", String.valueOf(SECONDS),
                "--seed", SEED, "--checks", CHECKS, "--no-color",
                "--tls-verify", edge.stack().credentials().caCertificate().toString(),
                "--report", "junit", "--report-dir", REPORTS.toString()));
        // A server stream answers for up to 30 min, one JSON object per line: not a response
        // schemathesis can wait for or check (WatchEventsIT covers it).
        Contract.load(REPOSITORY.descriptorSet()).methods().stream().filter(Contract.Method::streams)
                .forEach(m -> command.addAll(List.of("--exclude-operation-id", m.descriptor().getService().getName()
                        + "_" + m.name())));
        Command.Result run = run(command, Map.of(
                "PAYGATE_FUZZ_TOKEN", edge.token(edge.subject()),
                "PAYGATE_FUZZ_ACCOUNT", account.substring("accounts/".length()),
                "PAYGATE_FUZZ_AUTHORIZATION", authorization.substring(authorization.lastIndexOf('/') + 1)));
        Files.createDirectories(REPORTS);
        Files.writeString(REPORTS.resolve("output.txt"), run.output());
        System.out.println(run.output());

        assertThat(run.exitCode()).as("schemathesis found failures (e2e/target/schemathesis/output.txt)").isZero();
        Matcher generated = Pattern.compile("(\\d+) generated, (\\d+) passed").matcher(run.output());
        assertThat(generated.find()).as("a summary line: %s", run.output()).isTrue();
        assertThat(Long.parseLong(generated.group(1))).as("test cases").isGreaterThan(200);

        // Whatever the fuzzer's writes committed, held and captured still add up per account. (Random
        // data rarely passes the money rules, ISO 4217 currencies and minor units, that JSON Schema
        // cannot state, so few fuzzed writes commit: the counts below say how many.)
        long accounts = edge.count("SELECT COUNT(*) FROM accounts");
        long authorizations = edge.count("SELECT COUNT(*) FROM authorizations");
        System.out.printf("after fuzzing: %d accounts, %d authorizations, %d captured%n", accounts, authorizations,
                edge.count("SELECT COUNT(*) FROM authorizations WHERE state = 'CAPTURED'"));
        assertThat(accounts).isPositive();
        assertThat(authorizations).isPositive();
        assertThat(edge.count("""
                SELECT COUNT(*) FROM accounts a
                WHERE a.held <> COALESCE((SELECT SUM(z.amount) FROM authorizations z
                                          WHERE z.account_id = a.id AND z.state = 'APPROVED'), 0)
                   OR a.captured <> COALESCE((SELECT SUM(z.captured_amount) FROM authorizations z
                                              WHERE z.account_id = a.id AND z.state = 'CAPTURED'), 0)
                   OR a.held + a.captured > a.credit_limit""")).as("accounts whose balances disagree with their authorizations")
                .isZero();
    }

    private static Command.Result run(List<String> command, Map<String, String> environment) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(FUZZ.toFile()).redirectErrorStream(true);
        builder.environment().putAll(environment);
        return Command.run(builder, Duration.ofSeconds(SECONDS + 120L));
    }
}
