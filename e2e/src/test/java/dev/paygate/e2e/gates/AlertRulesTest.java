package dev.paygate.e2e.gates;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.edge.Command;
import dev.paygate.edge.Repository;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The SLO recording and alert rules and the fallback alerts (ops/prometheus) pass promtool's own
 * checks and its unit tests: the burn-rate alerts fire on a burning route and stay quiet under
 * budget; each fallback alert fires on its dependency's fallbacks.
 */
@Tag("static")
class AlertRulesTest {

    private static final Path RULES = Repository.locate().opsDir().resolve("prometheus");

    @Test
    void rules_passPromtoolCheck() {
        assertThat(promtool("check", "rules", "slo.rules.yml", "fallback.rules.yml", "canary.rules.yml"))
                .contains("SUCCESS");
    }

    @Test
    void rules_passTheirPromtoolUnitTests() {
        assertThat(promtool("test", "rules", "slo.rules.test.yml", "fallback.rules.test.yml",
                "canary.rules.test.yml")).contains("SUCCESS");
    }

    /** Runs promtool in the rules folder; fails with its output unless it exits 0. */
    static String promtool(String... args) {
        List<String> command = new java.util.ArrayList<>(List.of(Repository.debianTool("promtool").toString()));
        command.addAll(List.of(args));
        Command.Result result = Command.run(new ProcessBuilder(command).directory(RULES.toFile()).redirectErrorStream(true),
                Duration.ofSeconds(60));
        System.out.println(String.join(" ", args) + ":\n" + result.output());
        assertThat(result.exitCode()).as("promtool %s:%n%s", String.join(" ", args), result.output()).isZero();
        return result.output();
    }
}
