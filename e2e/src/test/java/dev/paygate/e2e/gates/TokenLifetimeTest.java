package dev.paygate.e2e.gates;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.Repository;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The edge and the service refuse the same tokens: jwt_authn's {@code max_lifetime} in envoy.yaml
 * and the service's default {@code PAYGATE_JWT_MAX_LIFETIME} are one length of time.
 */
@Tag("static")
class TokenLifetimeTest {

    private static final Repository REPOSITORY = Repository.locate();
    private static final Pattern SERVICE_DEFAULT = Pattern.compile("max-token-lifetime: \\$\\{PAYGATE_JWT_MAX_LIFETIME:(\\d+)([smhd])}");

    @Test
    void edgeMaxLifetime_isTheServicesDefault() throws IOException {
        List<Object> edge = new ArrayList<>();
        collect(EnvoyConfig.load(REPOSITORY.envoyYaml()).tree(), "max_lifetime", edge);
        Matcher service = SERVICE_DEFAULT.matcher(Files.readString(
                REPOSITORY.root().resolve("service/src/main/resources/application.yml")));

        assertThat(edge).as("one max_lifetime in envoy.yaml").hasSize(1);
        assertThat(service.find()).as("PAYGATE_JWT_MAX_LIFETIME's default in application.yml").isTrue();
        long amount = Long.parseLong(service.group(1));
        Duration serviceLifetime = switch (service.group(2)) {
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            default -> Duration.ofDays(amount);
        };
        assertThat(Duration.parse("PT" + edge.get(0).toString().toUpperCase())).isEqualTo(serviceLifetime);
    }

    private static void collect(Object node, String key, List<Object> found) {
        if (node instanceof Map<?, ?> map) {
            map.forEach((name, value) -> {
                if (key.equals(name)) {
                    found.add(value);
                }
                collect(value, key, found);
            });
        } else if (node instanceof List<?> list) {
            list.forEach(item -> collect(item, key, found));
        }
    }
}
