package dev.paygate.bench;

import dev.paygate.devstack.Database;
import java.nio.file.Path;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The command line of {@code ./paygate bench}. Defaults (the full run, about 13 minutes here):
 * 2 s warm-up and 6 s measured per scenario, after the opening warm-up. {@code --short} (CI's smoke run): 0.5 s and 1 s,
 * fewer scenarios, every path. {@code --history N} adds the history scenarios: N keyed
 * authorizations on one account first, then writes on it against writes on a fresh account.
 * {@code --only REGEX} measures only the scenarios whose whole name (path.operation.shape, e.g.
 * {@code rest_edge.read.closed16}) matches, after the usual warm-up: a quick before/after of one change.
 */
record BenchOptions(boolean smoke, double warmupSeconds, double measureSeconds, Database database, Path resultsDir,
                    int history, Pattern only) {

    static final String USAGE = "usage: bench [--short] [--seconds S] [--warmup S] [--db pg-durable|pg] "
            + "[--results DIR] [--history N] [--only REGEX]";

    /**
     * The least the opening warm-up runs each of its scenarios in a measuring run: with 1-2 s the
     * JITs of the bench JVM and the service were still compiling through the first scenarios,
     * and the edge/floor budgets rest on those (see the README's Benchmarks).
     */
    static final double OPENING_WARMUP_SECONDS = 8;

    /** Every scenario, when --only is not given. */
    private static final Pattern ALL = Pattern.compile(".*");

    /** Seconds per scenario of the run's opening warm-up; the smoke run does not measure, so it keeps its own. */
    double openingWarmupSeconds() {
        return smoke ? warmupSeconds : Math.max(OPENING_WARMUP_SECONDS, warmupSeconds);
    }

    static BenchOptions parse(String[] args, Path defaultResults) {
        boolean smoke = false;
        Double seconds = null;
        Double warmup = null;
        Database database = Database.POSTGRES_DURABLE;
        Path results = defaultResults;
        int history = 0;
        Pattern only = ALL;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--short" -> smoke = true;
                case "--seconds" -> seconds = Double.parseDouble(value(args, ++i));
                case "--warmup" -> warmup = Double.parseDouble(value(args, ++i));
                case "--db" -> database = switch (value(args, ++i)) {
                    case "pg" -> Database.POSTGRES;
                    case "pg-durable" -> Database.POSTGRES_DURABLE;
                    default -> throw new IllegalArgumentException(USAGE);
                };
                case "--results" -> results = Path.of(value(args, ++i));
                case "--history" -> history = Integer.parseInt(value(args, ++i));
                case "--only" -> only = pattern(value(args, ++i));
                default -> throw new IllegalArgumentException(USAGE);
            }
        }
        return new BenchOptions(smoke, warmup != null ? warmup : smoke ? 0.5 : 2,
                seconds != null ? seconds : smoke ? 1 : 6, database, results, history, only);
    }

    /** Whether --only leaves scenarios out. */
    boolean partial() {
        return only != ALL;
    }

    /** Whether --only lets this scenario run. */
    boolean selects(Scenario scenario) {
        return only.matcher(scenario.name()).matches();
    }

    private static Pattern pattern(String regex) {
        try {
            return Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("--only: " + e.getDescription() + " in " + regex + "\n" + USAGE, e);
        }
    }

    /** The --db value, as the results name it. */
    String databaseName() {
        return switch (database) {
            case POSTGRES -> "pg";
            case POSTGRES_DURABLE -> "pg-durable";
        };
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(USAGE);
        }
        return args[i];
    }
}
