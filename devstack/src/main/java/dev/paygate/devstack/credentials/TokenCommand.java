package dev.paygate.devstack.credentials;

import dev.paygate.devstack.CommandLines;
import dev.paygate.edge.Repository;
import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./paygate token [--sub ID] [--scope "payments.read payments.write"] [--ttl 1h]}: prints a
 * token signed by the development key of {@code ./paygate run} (made on first use in .run/jwt).
 */
@Command(name = "./paygate token", sortOptions = false, sortSynopsis = false, usageHelpWidth = 100,
        description = "Print a token signed by the development key (what `run` trusts). Every call needs one: "
                + "-H \"authorization: Bearer $(./paygate token)\".")
public final class TokenCommand implements Runnable {

    @Option(names = "--sub", paramLabel = "ID", defaultValue = "dev-user",
            description = "The caller: the token's sub (default: ${DEFAULT-VALUE}).")
    private String subject;

    @Option(names = "--scope", paramLabel = "\"payments.read payments.write\"", defaultValue = TokenPolicy.ALL_SCOPES,
            description = "Space-separated scopes (default: both).")
    private String scope;

    @Option(names = "--ttl", paramLabel = "1h", defaultValue = "1h", converter = TtlConverter.class,
            description = "Lifetime: a number and s, m, h or d (default: ${DEFAULT-VALUE}); the edge refuses over a day.")
    private Duration ttl;

    @Mixin
    private CommandLines commandLine;

    public static void main(String[] args) {
        CommandLines.exit(new TokenCommand(), args);
    }

    @Override
    public void run() {
        if (subject.isBlank()) {
            throw commandLine.refuse("--sub must not be blank");
        }
        DevSigningKey key = DevSigningKey.loadOrCreate(Repository.locate().root().resolve(".run").resolve("jwt"));
        System.out.println(key.sign(DevSigningKey.claims(TokenPolicy.DEVELOPMENT, subject, scope, ttl).build()));
    }

    /** 90s, 15m, 1h or 2d. */
    static final class TtlConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String text) {
            String value = text.trim().toLowerCase(Locale.ROOT);
            if (!value.matches("[0-9]+[smhd]")) {
                throw new CommandLine.TypeConversionException("a number and a unit, e.g. 90s, 15m, 1h: " + text);
            }
            long amount = Long.parseLong(value.substring(0, value.length() - 1));
            return switch (value.charAt(value.length() - 1)) {
                case 's' -> Duration.ofSeconds(amount);
                case 'm' -> Duration.ofMinutes(amount);
                case 'h' -> Duration.ofHours(amount);
                default -> Duration.ofDays(amount);
            };
        }
    }
}
