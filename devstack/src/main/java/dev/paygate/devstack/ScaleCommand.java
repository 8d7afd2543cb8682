package dev.paygate.devstack;

import dev.paygate.edge.Repository;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code ./paygate scale N}: the number of service replicas of the running {@code ./paygate run} ({@link ScaleRequests}). */
@Command(name = "./paygate scale", usageHelpWidth = 100,
        description = "Change the number of service replicas of the running ./paygate run (in this checkout) to N, "
                + "while it serves: a new replica joins every Envoy once it answers SERVING; a leaving one (the newest) "
                + "leaves every Envoy first, then stops (NOT_SERVING, in-flight calls finish). Prints the replicas. "
                + "Stable replicas only: canary replicas and the Envoys stay as run started them.")
public final class ScaleCommand implements Callable<Integer> {

    // A JVM start on a busy machine, once per added replica; a drain, once per removed one.
    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    @Parameters(paramLabel = "N", description = "Replicas wanted, 1 to " + ScaleRequests.MAX_REPLICAS + ".")
    private int replicas;

    @Mixin
    private CommandLines commandLine;

    public static void main(String[] args) {
        CommandLines.exit(new ScaleCommand(), args);
    }

    @Override
    public Integer call() {
        if (replicas < 1 || replicas > ScaleRequests.MAX_REPLICAS) {
            throw commandLine.refuse("N must be 1 to " + ScaleRequests.MAX_REPLICAS + ", not " + replicas);
        }
        try {
            String addresses = ScaleRequests.request(Repository.locate().root().resolve(".run"), replicas, TIMEOUT);
            System.out.println(replicas + " service replica(s), gRPC on " + addresses);
            return 0;
        } catch (IllegalStateException e) {
            System.err.println("./paygate scale: " + e.getMessage());
            return 1;
        }
    }
}
