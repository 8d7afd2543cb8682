package dev.paygate.edge.serviceconfig;

import com.google.gson.Gson;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The gRPC service configs the build generates into the paygate-edge jar, read as a grpc-java
 * client reads them for {@code defaultServiceConfig}: Gson's maps (numbers as Double), as in
 * grpc-java's retrying example.
 */
final class ServiceConfigs {

    static final String DEFAULT = "paygate/v1/service_config.json";
    static final String KEYED_WRITES = "paygate/v1/service_config_keyed_writes.json";

    private ServiceConfigs() {
    }

    @SuppressWarnings("unchecked")
    static Map<String, ?> load(String resource) {
        try (InputStream in = ServiceConfigs.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the classpath (paygate-edge jar: ./mvnw package)");
            }
            return new Gson().fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8), Map.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The methodConfig entries of a config. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> methodConfigs(Map<String, ?> config) {
        return (List<Map<String, Object>>) config.get("methodConfig");
    }

    /** The entry that names {@code service/method}. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> methodConfig(Map<String, ?> config, String service, String method) {
        return methodConfigs(config).stream()
                .filter(entry -> ((List<Map<String, String>>) entry.get("name")).stream()
                        .anyMatch(name -> service.equals(name.get("service")) && method.equals(name.get("method"))))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no methodConfig for " + service + "/" + method));
    }
}
