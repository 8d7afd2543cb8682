package dev.paygate.e2e;

import dev.paygate.edge.Command;
import dev.paygate.edge.Repository;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** {@code ./paygate edge …} run as an operator runs it, against a test stack's Envoy admin. */
final class OperatorCommand {

    private static final Repository REPOSITORY = Repository.locate();

    private OperatorCommand() {
    }

    /** Runs it as {@code operator} (the who of its change log) and prints what it printed. */
    static Command.Result edge(Edge edge, String operator, String... args) {
        List<String> command = new ArrayList<>(List.of(REPOSITORY.root().resolve("paygate").toString(), "edge"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("PAYGATE_ENVOY_ADMIN_PORT", Integer.toString(edge.stack().adminPort()));
        builder.environment().put("PAYGATE_OPERATOR", operator);
        Command.Result result = Command.run(builder, Duration.ofSeconds(30));
        System.out.println("$ ./paygate edge " + String.join(" ", args) + "\n" + result.output());
        return result;
    }
}
