package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paygate.edge.Command;
import dev.paygate.edge.Repository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Python client (clients/python) against the real edge: its stubs are generated from
 * today's proto/ with grpcio-tools, its pytest suite runs against Envoy and the service, and the
 * example's own output is checked through the REST side of the same edge.
 */
@EndToEnd
class PythonClientIT {

    private static final Repository REPOSITORY = Repository.locate();
    private static final Path CLIENT = REPOSITORY.root().resolve("clients/python");
    private static final Path PYTHON = CLIENT.resolve(".venv/bin/python");

    private static Edge edge;

    @BeforeAll
    static void generateStubs(Edge started) {
        if (!Files.isExecutable(PYTHON)) {
            throw new IllegalStateException(PYTHON + " is missing: ./paygate setup installs clients/python/requirements.txt");
        }
        edge = started;
        Command.Result generate = run(List.of(PYTHON.toString(), "generate.py"));
        assertThat(generate.exitCode()).as(generate.output()).isZero();
    }

    @Test
    void pytestSuite_passesAgainstTheRealEdge() {
        Command.Result pytest = run(List.of(PYTHON.toString(), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"));

        assertThat(pytest.exitCode()).as(pytest.output()).isZero();
        assertThat(pytest.output()).containsPattern("\\b14 passed\\b");
    }

    @Test
    void example_authorizesAndCaptures_asTheRestSideSees() throws IOException {
        Command.Result example = run(List.of(PYTHON.toString(), "-m", "paygate_client.example",
                "--target", "localhost:" + edge.stack().envoyPort(), "--token", edge.token(edge.subject()),
                "--ca", edge.stack().credentials().caCertificate().toString()));

        assertThat(example.exitCode()).as(example.output()).isZero();
        JsonNode printed = Edge.JSON.readTree(example.output());
        String authorization = printed.at("/captured/name").asText();
        Edge.Rest seen = edge.get("/v1/" + authorization);
        assertThat(seen.status()).isEqualTo(200);
        assertThat(seen.json().get("state").asText()).isEqualTo("CAPTURED");
        assertThat(seen.json().at("/capturedAmount/units").asText()).isEqualTo("42");
        Edge.Rest account = edge.get("/v1/" + printed.at("/account/name").asText());
        assertThat(account.json().at("/captured/units").asText()).isEqualTo("42");
    }

    private static Command.Result run(List<String> command) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(CLIENT.toFile());
        builder.environment().put("PAYGATE_TARGET", "localhost:" + edge.stack().envoyPort());
        builder.environment().put("PAYGATE_TOKEN", edge.token(edge.subject()));
        builder.environment().put("PAYGATE_CA", edge.stack().credentials().caCertificate().toString());
        builder.environment().put("PYTHONDONTWRITEBYTECODE", "1");
        builder.redirectError(ProcessBuilder.Redirect.INHERIT);
        return Command.run(builder, Duration.ofMinutes(2));
    }
}
