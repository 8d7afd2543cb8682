package dev.paygate.e2e.gates;

import dev.paygate.edge.Command;
import dev.paygate.edge.FileTree;
import dev.paygate.edge.Repository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the real buf (from npm, see tools/package.json) on a workspace laid out like the
 * repository: buf.yaml at its root, the contract under proto/src/main/proto and the imports the
 * build unpacked under proto/target/proto-imports.
 */
final class Buf {

    static final String CONTRACT = "proto/src/main/proto";

    private final Repository repository = Repository.locate();

    record Result(int exitCode, String output) {
        /** The rule ids buf reported, one per finding (from --error-format json). */
        List<String> rules() {
            List<String> rules = new ArrayList<>();
            var matcher = java.util.regex.Pattern.compile("\"type\":\"([A-Z_]+)\"").matcher(output);
            while (matcher.find()) {
                rules.add(matcher.group(1));
            }
            return rules;
        }
    }

    Path baseline() {
        return repository.root().resolve("proto/baseline/paygate.v1.json");
    }

    Result lint(Path workspace) {
        return run(workspace, "lint", CONTRACT, "--error-format", "json");
    }

    Result breaking(Path workspace) {
        return run(workspace, "breaking", CONTRACT, "--against", baseline().toString(), "--error-format", "json");
    }

    Path repositoryWorkspace() {
        return repository.root();
    }

    /** A scratch copy of the workspace whose contract a test may change freely. */
    Path scratchCopy(Path into) {
        Path root = repository.root();
        FileTree.copy(root.resolve(CONTRACT), into.resolve(CONTRACT));
        Path imports = root.resolve("proto/target/proto-imports");
        if (!Files.isDirectory(imports)) {
            throw new IllegalStateException(imports + " is missing: run ./mvnw package (it unpacks the imports)");
        }
        FileTree.copy(imports, into.resolve("proto/target/proto-imports"));
        try {
            Files.copy(root.resolve("buf.yaml"), into.resolve("buf.yaml"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return into;
    }

    private Result run(Path workspace, String... args) {
        List<String> command = new ArrayList<>(List.of(repository.buf().toString()));
        command.addAll(List.of(args));
        Command.Result result = Command.run(
                new ProcessBuilder(command).directory(workspace.toFile()).redirectErrorStream(true), Duration.ofMinutes(2));
        return new Result(result.exitCode(), result.output());
    }
}
