package dev.paygate.edge.capacity;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.Yaml;

/**
 * What one service replica admits at once: {@code paygate.admission}'s workers plus its
 * queue-capacity in the service's application.yml, each a {@code ${PAYGATE_...:default}}
 * placeholder that a replica's environment may override. The one place the edge's breaker bound per
 * replica comes from ({@link ReplicaBreaker}); nothing else writes those numbers down.
 */
public record ServiceAdmission(Setting workers, Setting queueCapacity) {

    /** One setting: the environment variable that overrides it and the service's default. */
    public record Setting(String variable, int defaultValue) {

        /** Its value for a replica started with {@code environment}. */
        public int in(Map<String, String> environment) {
            String value = environment.get(variable);
            if (value == null) {
                return defaultValue;
            }
            try {
                int parsed = Integer.parseInt(value.trim());
                if (parsed < 0) {
                    throw new NumberFormatException("negative");
                }
                return parsed;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(variable + " must be a whole number of 0 or more, not '" + value + "'");
            }
        }
    }

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*):(\\d+)}");

    /** Reads {@code paygate.admission} from the service's application.yml. */
    public static ServiceAdmission read(Path applicationYml) {
        Map<String, Object> admission;
        try {
            Map<String, Object> paygate = child(new Yaml().load(Files.readString(applicationYml)), "paygate", applicationYml);
            admission = child(paygate, "admission", applicationYml);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + applicationYml, e);
        }
        return new ServiceAdmission(setting(admission, "workers", applicationYml),
                setting(admission, "queue-capacity", applicationYml));
    }

    /** Calls in flight one replica started with {@code environment} admits: its workers and its queue. */
    public int perReplica(Map<String, String> environment) {
        return workers.in(environment) + queueCapacity.in(environment);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> child(Object parent, String key, Path file) {
        if (parent instanceof Map<?, ?> map && map.get(key) instanceof Map<?, ?> child) {
            return (Map<String, Object>) child;
        }
        throw new IllegalStateException(file + " has no " + key + " section (paygate.admission)");
    }

    private static Setting setting(Map<String, Object> admission, String key, Path file) {
        Matcher placeholder = PLACEHOLDER.matcher(String.valueOf(admission.get(key)));
        if (!placeholder.matches()) {
            throw new IllegalStateException(file + ": paygate.admission." + key
                    + " must be ${PAYGATE_NAME:number}, not " + admission.get(key));
        }
        return new Setting(placeholder.group(1), Integer.parseInt(placeholder.group(2)));
    }
}
