package dev.paygate.devstack.credentials;

import dev.paygate.edge.Repository;
import java.time.Duration;
import java.util.Locale;

/**
 * {@code ./paygate token [--sub ID] [--scope "payments.read payments.write"] [--ttl 1h]}: prints a
 * token signed by the development key of {@code ./paygate run} (made on first use in .run/jwt).
 */
public final class TokenCommand {

    private static final String USAGE =
            "usage: ./paygate token [--sub ID] [--scope \"payments.read payments.write\"] [--ttl 1h]";

    private TokenCommand() {
    }

    public static void main(String[] args) {
        String subject = "dev-user";
        String scope = TokenPolicy.ALL_SCOPES;
        Duration ttl = Duration.ofHours(1);
        for (int i = 0; i < args.length; i++) {
            if (i + 1 >= args.length) {
                fail(USAGE);
            }
            switch (args[i]) {
                case "--sub" -> subject = args[++i];
                case "--scope" -> scope = args[++i];
                case "--ttl" -> ttl = parseDuration(args[++i]);
                default -> fail(USAGE);
            }
        }
        if (subject.isBlank()) {
            fail("--sub must not be blank");
        }
        DevSigningKey key = DevSigningKey.loadOrCreate(Repository.locate().root().resolve(".run").resolve("jwt"));
        System.out.println(key.sign(DevSigningKey.claims(TokenPolicy.DEVELOPMENT, subject, scope, ttl).build()));
    }

    /** 90s, 15m, 1h or 2d; the edge refuses tokens that live longer than a day. */
    static Duration parseDuration(String text) {
        String value = text.trim().toLowerCase(Locale.ROOT);
        if (!value.matches("[0-9]+[smhd]")) {
            fail("--ttl takes a number and a unit, e.g. 90s, 15m, 1h: " + text);
        }
        long amount = Long.parseLong(value.substring(0, value.length() - 1));
        return switch (value.charAt(value.length() - 1)) {
            case 's' -> Duration.ofSeconds(amount);
            case 'm' -> Duration.ofMinutes(amount);
            case 'h' -> Duration.ofHours(amount);
            default -> Duration.ofDays(amount);
        };
    }

    private static void fail(String message) {
        System.err.println(message);
        System.exit(2);
    }
}
