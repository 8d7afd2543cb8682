package dev.paygate.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.edge.Command;
import dev.paygate.edge.Repository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.yaml.snakeyaml.Yaml;

/**
 * The offline chart tools ./paygate installs into .tools/ (git-ignored): helm and kubeconform
 * built from the Go proxy, the Kubernetes JSON schemas of PyPI's kubernetes-validate. Helm calls
 * fail the test with the tool's output unless it exits 0.
 */
final class Helm {

    static final String KUBERNETES_VERSION = "1.37.0";
    static final String NAMESPACE = "payments";
    static final String RELEASE = "paygate";

    private static final Repository REPOSITORY = Repository.locate();
    private static final Path TOOLS = REPOSITORY.root().resolve(".tools");

    private Helm() {
    }

    /** The chart the build packaged, with the rendered edge config. */
    static Path chart() {
        Path chart = REPOSITORY.root().resolve("deploy/target/helm/paygate");
        assertThat(chart.resolve(ChartPackage.ENVOY_YAML)).as("run ./mvnw package first").exists();
        return chart;
    }

    static Path productionValues() {
        return REPOSITORY.root().resolve("deploy/helm/production-values.yaml");
    }

    static String lint(String... valuesAndFlags) {
        List<String> args = new ArrayList<>(List.of("lint", "--strict", "--kube-version", KUBERNETES_VERSION,
                chart().toString()));
        args.addAll(List.of(valuesAndFlags));
        return run(tool("bin/helm"), args);
    }

    /** {@code helm template} of the chart with these extra arguments, as YAML text. */
    static String template(String... valuesAndFlags) {
        List<String> args = new ArrayList<>(List.of("template", RELEASE, chart().toString(), "--namespace", NAMESPACE,
                "--kube-version", KUBERNETES_VERSION));
        args.addAll(List.of(valuesAndFlags));
        return run(tool("bin/helm"), args);
    }

    /** The rendered objects, one map per YAML document. */
    static List<Map<String, Object>> objects(String manifests) {
        List<Map<String, Object>> objects = new ArrayList<>();
        for (Object document : new Yaml().loadAll(manifests)) {
            if (document != null) {
                @SuppressWarnings("unchecked")
                Map<String, Object> object = (Map<String, Object>) document;
                objects.add(object);
            }
        }
        return objects;
    }

    /** kubeconform, strict, offline: every object against the schemas of Kubernetes {@value #KUBERNETES_VERSION}. */
    static Command.Result kubeconform(String manifests) {
        try {
            Path file = Files.createTempFile("paygate-chart-", ".yaml");
            Files.writeString(file, manifests);
            return exec(tool("bin/kubeconform"), List.of("-strict", "-summary", "-kubernetes-version",
                    KUBERNETES_VERSION, "-schema-location", schemas().toString()
                            + "/{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json",
                    file.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Kubernetes {@value #KUBERNETES_VERSION}'s strict schemas from kubernetes-validate's venv (the
     * Python version in the path varies), copied once into target/: their {@code $id}s name
     * https://kubernetes.io/api/ and their {@code $ref}s /api/_definitions.json, which only
     * kubernetes-validate's own registry resolves; kubeconform's file loader needs file URLs.
     */
    private static synchronized Path schemas() {
        Path root = REPOSITORY.root().resolve("deploy/target/kubernetes-json-schema");
        Path dir = root.resolve("v" + KUBERNETES_VERSION + "-local-strict");
        if (Files.isRegularFile(dir.resolve("_definitions.json"))) {
            return root;
        }
        try (Stream<Path> found = Files.find(TOOLS.resolve("kubernetes-validate"), 7,
                (path, attributes) -> path.endsWith("kubernetes_validate/kubernetes-json-schema/" + dir.getFileName()))) {
            Path source = found.findFirst().orElseThrow(() -> new IllegalStateException(
                    "no kubernetes-validate schemas in .tools: ./paygate check or test installs them"));
            String base = dir.toUri() + "/";
            Path partial = Files.createDirectories(root).resolve(dir.getFileName() + ".partial");
            Files.createDirectories(partial);
            try (Stream<Path> files = Files.list(source)) {
                for (Path file : (Iterable<Path>) files::iterator) {
                    Files.writeString(partial.resolve(file.getFileName().toString()), Files.readString(file)
                            .replace("\"https://kubernetes.io/api/", "\"" + base)
                            .replace("\"/api/_definitions.json#", "\"" + base + "_definitions.json#"));
                }
            }
            Files.move(partial, dir);
            return root;
        } catch (IOException e) {
            throw new IllegalStateException("no .tools/kubernetes-validate: ./paygate check or test installs it", e);
        }
    }

    private static Path tool(String relative) {
        Path tool = TOOLS.resolve(relative);
        if (!Files.isExecutable(tool)) {
            throw new IllegalStateException(tool + " is missing: ./paygate check or test installs it");
        }
        return tool;
    }

    /** The tool's output; fails the test with it unless the tool exits 0. */
    private static String run(Path tool, List<String> args) {
        Command.Result result = exec(tool, args);
        assertThat(result.exitCode()).as("%s %s:%n%s", tool, String.join(" ", args), result.output()).isZero();
        return result.output();
    }

    private static Command.Result exec(Path tool, List<String> args) {
        List<String> command = new ArrayList<>(List.of(tool.toString()));
        command.addAll(args);
        return Command.run(new ProcessBuilder(command).redirectErrorStream(true), Duration.ofMinutes(2));
    }
}
