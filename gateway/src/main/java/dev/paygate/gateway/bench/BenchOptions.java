package dev.paygate.gateway.bench;

import dev.paygate.gateway.Database;
import java.nio.file.Path;

/**
 * The command line of {@code ./paygate bench}. Defaults (the full run, about 10 minutes here):
 * 2 s warm-up and 6 s measured per scenario. {@code --short} (CI's smoke run): 0.5 s and 1 s,
 * fewer scenarios, every path. {@code --history N} adds the history scenarios: N keyed
 * authorizations on one account first, then writes on it against writes on a fresh account.
 */
record BenchOptions(boolean smoke, double warmupSeconds, double measureSeconds, Database database, Path resultsDir,
                    int history) {

    static final String USAGE = "usage: bench [--short] [--seconds S] [--warmup S] [--db h2|pg|pg-durable] "
            + "[--results DIR] [--history N]";

    static BenchOptions parse(String[] args, Path defaultResults) {
        boolean smoke = false;
        Double seconds = null;
        Double warmup = null;
        Database database = Database.H2;
        Path results = defaultResults;
        int history = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--short" -> smoke = true;
                case "--seconds" -> seconds = Double.parseDouble(value(args, ++i));
                case "--warmup" -> warmup = Double.parseDouble(value(args, ++i));
                case "--db" -> database = switch (value(args, ++i)) {
                    case "h2" -> Database.H2;
                    case "pg" -> Database.POSTGRES;
                    case "pg-durable" -> Database.POSTGRES_DURABLE;
                    default -> throw new IllegalArgumentException(USAGE);
                };
                case "--results" -> results = Path.of(value(args, ++i));
                case "--history" -> history = Integer.parseInt(value(args, ++i));
                default -> throw new IllegalArgumentException(USAGE);
            }
        }
        return new BenchOptions(smoke, warmup != null ? warmup : smoke ? 0.5 : 2,
                seconds != null ? seconds : smoke ? 1 : 6, database, results, history);
    }

    /** The --db value, as the results name it. */
    String databaseName() {
        return switch (database) {
            case H2 -> "h2";
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
