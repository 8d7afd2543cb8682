package dev.paygate.e2e.gates;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.edge.Repository;
import dev.paygate.fallback.Dependency;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * docs/operations.md's table of dependencies is {@link Dependency} as written: the same rows,
 * budgets, behaviours and counters; and each alert and runbook entry a row names exists.
 */
@Tag("static")
class DependencyTableTest {

    private static final Repository REPOSITORY = Repository.locate();
    private static final Path OPERATIONS = REPOSITORY.root().resolve("docs/operations.md");
    private static final String BEGIN = "<!-- dependencies: rendered from dev.paygate.fallback.Dependency;"
            + " DependencyTableTest checks it -->";
    private static final String END = "<!-- /dependencies -->";

    @Test
    void operationsTable_isTheDependencyList() throws IOException {
        String doc = Files.readString(OPERATIONS);
        int begin = doc.indexOf(BEGIN);
        int end = doc.indexOf(END);
        assertThat(begin).as("%s in %s", BEGIN, OPERATIONS).isNotNegative();
        assertThat(end).isGreaterThan(begin);

        String expected = BEGIN + "\n" + table() + END;
        assertThat(doc.substring(begin, end + END.length()))
                .as("docs/operations.md's table; replace it with:%n%s%n", expected).isEqualTo(expected);
    }

    @Test
    void everyNamedAlert_isARuleInOpsPrometheus() throws IOException {
        List<String> alerts = alertNames();
        for (Dependency dependency : Dependency.values()) {
            if (dependency.alert() != null) {
                assertThat(alerts).as("%s's alert", dependency).contains(dependency.alert());
            }
        }
    }

    @Test
    void everyNamedRunbookEntry_isAHeadingInOperationsMd() throws IOException {
        List<String> anchors = Files.readAllLines(OPERATIONS).stream().filter(line -> line.startsWith("#"))
                .map(DependencyTableTest::anchor).toList();
        for (Dependency dependency : Dependency.values()) {
            if (dependency.runbookAnchor() != null) {
                assertThat(anchors).as("%s's runbook entry", dependency).contains(dependency.runbookAnchor());
            }
        }
    }

    /** The table, one row per dependency, in the enum's order. */
    static String table() {
        StringBuilder table = new StringBuilder("| dependency | time budget | when slow or down | counter | alert | runbook |\n"
                + "|---|---|---|---|---|---|\n");
        for (Dependency d : Dependency.values()) {
            table.append("| ").append(d.description())
                    .append(" | ").append(d.budget())
                    .append(" | ").append(d.whenSlowOrDown())
                    .append(" | ").append(counter(d))
                    .append(" | ").append(d.alert() == null ? "none" : "`" + d.alert() + "`")
                    .append(" | ").append(d.runbookAnchor() == null ? "none"
                            : "[" + d.runbookAnchor() + "](#" + d.runbookAnchor() + ")")
                    .append(" |\n");
        }
        return table.toString();
    }

    private static String counter(Dependency d) {
        if (d.edgeCounter() != null) {
            return d.edgeCounter();
        }
        if (d.decisions().isEmpty()) {
            return "none";
        }
        return "`paygate_fallback_total{dependency=\"" + d.label() + "\"}`, `decision`: "
                + d.decisions().stream().map(decision -> "`" + decision.label() + "`").collect(Collectors.joining(", "));
    }

    /** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
    private static String anchor(String heading) {
        return heading.replaceFirst("^#+\\s*", "").toLowerCase(Locale.ROOT)
                .replaceAll("[^a-z0-9 _-]", "").replace(' ', '-');
    }

    /** The alerts of every rule file Prometheus loads (ops/prometheus/prometheus.yml). */
    @SuppressWarnings("unchecked")
    private static List<String> alertNames() throws IOException {
        Path dir = REPOSITORY.opsDir().resolve("prometheus");
        List<String> alerts = new java.util.ArrayList<>();
        Map<String, Object> config = new Yaml().load(Files.readString(dir.resolve("prometheus.yml")));
        for (Object file : (List<Object>) config.get("rule_files")) {
            Map<String, Object> rules = new Yaml().load(Files.readString(dir.resolve(Path.of(file.toString()).getFileName())));
            ((List<Map<String, Object>>) rules.get("groups")).stream()
                    .flatMap(group -> ((List<Map<String, Object>>) group.get("rules")).stream())
                    .map(rule -> (String) rule.get("alert")).filter(Objects::nonNull).forEach(alerts::add);
        }
        return alerts;
    }
}
