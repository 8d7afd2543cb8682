package dev.paygate.bench;

import dev.paygate.devstack.Database;
import java.nio.file.Path;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The command line of {@code ./paygate bench} (picocli). Defaults (the full run, about 15 minutes
 * here): 2 s warm-up and 6 s measured per scenario, after the opening warm-up. {@code --short}
 * (CI's smoke run): 0.5 s and 1 s, fewer scenarios, every path. {@code --history N} adds the
 * history scenarios: N keyed authorizations on one account first, then writes on it against
 * writes on a fresh account. {@code --only REGEX} measures only the scenarios whose whole name
 * (path.operation.shape, e.g. {@code rest_edge.read.closed16}) matches, after the usual warm-up: a
 * quick before/after of one change.
 */
record BenchOptions(boolean smoke, double warmupSeconds, double measureSeconds, Database database, Path resultsDir,
                    int history, Pattern only) {

    /**
     * The least the opening warm-up runs each of its scenarios in a measuring run: with 1-2 s the
     * JITs of the bench JVM and the service were still compiling through the first scenarios,
     * and the edge/floor budgets rest on those (see the README's Benchmarks).
     */
    static final double OPENING_WARMUP_SECONDS = 8;

    /** Every scenario, when --only is not given. */
    private static final Pattern ALL = Pattern.compile(".*");

    /** The flags as picocli reads them; unset numbers take the run's defaults. */
    @Command(name = "bench", separator = " ", description = "The performance figures (README, Benchmarks).")
    private static final class Flags {
        @Option(names = "--short", description = "CI's smoke run: every path briefly, no figures worth quoting")
        boolean smoke;
        @Option(names = "--seconds", paramLabel = "S", description = "measured seconds per scenario")
        Double seconds;
        @Option(names = "--warmup", paramLabel = "S", description = "warm-up seconds per scenario")
        Double warmup;
        @Option(names = "--db", paramLabel = "pg-durable|pg", converter = DatabaseName.class,
                description = "durable PostgreSQL (default) or, opted out, fsync and synchronous_commit off")
        Database database = Database.POSTGRES_DURABLE;
        @Option(names = "--results", paramLabel = "DIR", description = "where the results go")
        Path results;
        @Option(names = "--history", paramLabel = "N", description = "load N authorizations onto one account first")
        int history;
        @Option(names = "--only", paramLabel = "REGEX", description = "measure only the scenarios whose name matches")
        Pattern only = ALL;
    }

    /** The --db names. */
    private static final class DatabaseName implements CommandLine.ITypeConverter<Database> {
        @Override
        public Database convert(String value) {
            return switch (value) {
                case "pg" -> Database.POSTGRES;
                case "pg-durable" -> Database.POSTGRES_DURABLE;
                default -> throw new CommandLine.TypeConversionException("not pg-durable or pg: " + value);
            };
        }
    }

    /** Seconds per scenario of the run's opening warm-up; the smoke run does not measure, so it keeps its own. */
    double openingWarmupSeconds() {
        return smoke ? warmupSeconds : Math.max(OPENING_WARMUP_SECONDS, warmupSeconds);
    }

    /** The options of {@code args}; a usage error is an IllegalArgumentException whose message says what and how. */
    static BenchOptions parse(String[] args, Path defaultResults) {
        Flags flags = new Flags();
        CommandLine commandLine = new CommandLine(flags);
        try {
            commandLine.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            throw new IllegalArgumentException(e.getMessage() + "\n" + commandLine.getUsageMessage(), e);
        }
        return new BenchOptions(flags.smoke, flags.warmup != null ? flags.warmup : flags.smoke ? 0.5 : 2,
                flags.seconds != null ? flags.seconds : flags.smoke ? 1 : 6, flags.database,
                flags.results != null ? flags.results : defaultResults, flags.history, flags.only);
    }

    /** Whether --only leaves scenarios out. */
    boolean partial() {
        return only != ALL;
    }

    /** Whether --only lets this scenario run. */
    boolean selects(Scenario scenario) {
        return selects(scenario.name());
    }

    /** Whether --only lets the scenario of this name run. */
    boolean selects(String scenarioName) {
        return only.matcher(scenarioName).matches();
    }

    /** The --db value, as the results name it. */
    String databaseName() {
        return switch (database) {
            case POSTGRES -> "pg";
            case POSTGRES_DURABLE -> "pg-durable";
        };
    }
}
