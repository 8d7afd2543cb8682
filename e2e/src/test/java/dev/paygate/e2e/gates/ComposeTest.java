package dev.paygate.e2e.gates;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.devstack.credentials.DevCredentials;
import dev.paygate.edge.Command;
import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.EnvoyProcess;
import dev.paygate.edge.Repository;
import dev.paygate.edge.generate.ComposeEdge;
import dev.paygate.edge.generate.GlobalRateLimitEdge;
import dev.paygate.edge.generate.LocalBudgetShare;
import dev.paygate.edge.generate.RateLimitServiceConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * docker-compose.yml checked without a Docker engine: valid against the Compose Specification's
 * JSON schema (the copy in the dclint npm package, ops/compose-schema), every image pinned,
 * every mounted file present, health checks everywhere, only the two Envoys' public ports published, and
 * the configs that Envoy and Prometheus would load from their mounts accepted by the real
 * binaries ({@code envoy --mode validate}, {@code promtool check config}).
 */
@Tag("static")
class ComposeTest {

    private static final Repository REPOSITORY = Repository.locate();
    private static final Path COMPOSE = REPOSITORY.root().resolve("docker-compose.yml");
    private static final Path SCHEMA_TOOL = REPOSITORY.opsDir().resolve("compose-schema");
    /**
     * A full version tag (v1.40.0, 17.2), a commit tag (envoyproxy/ratelimit publishes images tagged
     * by commit only) or a digest: never latest, never a moving major.
     */
    private static final Pattern PINNED = Pattern.compile(
            "^[^:@\\s]+(:v?\\d+\\.\\d+(\\.\\d+)?[\\w.-]*|:[0-9a-f]{8,40}|@sha256:[0-9a-f]{64})$");
    /** Services whose image has nothing to run a check with (distroless), each said so in the file. */
    private static final List<String> UNCHECKABLE = List.of("ratelimit");

    @TempDir
    Path workDir;

    @Test
    void composeFiles_areValidAgainstTheComposeSpecificationSchema() {
        assertThat(validate(COMPOSE)).contains("valid against the Compose Specification schema");
        assertThat(validate(REPOSITORY.opsDir().resolve("docker-compose.ui.yml"))).contains("valid");
    }

    @Test
    void schemaCheck_rejectsAMistypedFile() throws IOException {
        Path broken = Files.writeString(workDir.resolve("docker-compose.yml"), Files.readString(COMPOSE)
                .replace("    ports:\n      - \"8443:8443\"", "    portz:\n      - \"8443:8443\""));

        assertThat(run(List.of("node", SCHEMA_TOOL.resolve("validate.mjs").toString(), broken.toString())))
                .satisfies(r -> assertThat(r.exitCode()).isEqualTo(1))
                .satisfies(r -> assertThat(r.output()).contains("additionalProperty").contains("portz"));
    }

    @Test
    void everyImage_isPinned_andEnvoyIsTheVersionThatPaygateInstalls() {
        Map<String, Map<String, Object>> services = services();
        services.forEach((name, service) -> {
            if (service.containsKey("image")) {
                assertThat(String.valueOf(service.get("image"))).as("image of %s", name).matches(PINNED);
            } else {
                assertThat(service).as("service %s has an image or a build", name).containsKey("build");
            }
        });
        assertThat(services.get("envoy").get("image")).isEqualTo("envoyproxy/envoy:v" + installedEnvoyVersion());
    }

    @Test
    void everyMountedFile_exists_onceSetupHasRun() {
        DevCredentials.ensure(REPOSITORY.root().resolve(".run"));  // what ./paygate setup makes
        List<String> missing = new ArrayList<>();
        services().forEach((name, service) -> binds(service).forEach((target, source) -> {
            if (!Files.exists(source)) {
                missing.add(name + ": " + source + " (for " + target + ")");
            }
        }));
        assertThat(missing).isEmpty();
    }

    @Test
    void onlyTheEnvoys_publishAPort_andNeverAdminOrStats() {
        services().forEach((name, service) -> {
            if (!name.equals("envoy") && !name.equals("envoy-2")) {
                assertThat(service).as("%s publishes nothing", name).doesNotContainKey("ports");
            }
        });
        assertThat(ports("envoy")).containsExactly("8443:8443");
        assertThat(ports("envoy-2")).containsExactly("8444:8443");
    }

    /**
     * The second Envoy runs what the first runs, and answers to the first's compose name too: the
     * name each Envoy's local share counts Envoys by, and Prometheus finds the Envoys by.
     */
    @Test
    void secondEnvoy_hasTheFirstsConfig_andItsName_soTheLocalShareAndPrometheusCountBoth() throws IOException {
        Map<String, Object> envoy = services().get("envoy");
        Map<String, Object> second = services().get("envoy-2");
        for (String key : List.of("image", "command", "volumes", "healthcheck", "depends_on")) {
            assertThat(second.get(key)).as(key).isEqualTo(envoy.get(key));
        }
        assertThat(second).extractingByKey("networks").asString().contains("aliases=[" + ComposeEdge.EDGES_HOST + "]");
        EnvoyConfig mounted = EnvoyConfig.load(binds(envoy).get("/etc/envoy/envoy.yaml"));
        Map<String, Object> edgeEndpoint = EnvoyConfig.cast(EnvoyConfig.list(EnvoyConfig.cast(EnvoyConfig.list(EnvoyConfig.map(
                mounted.cluster(LocalBudgetShare.CLUSTER), "load_assignment"), "endpoints").get(0)), "lb_endpoints").get(0));
        assertThat(EnvoyConfig.socketAddress(EnvoyConfig.map(edgeEndpoint, "endpoint")))
                .as("the Envoys each local share counts").containsEntry("address", ComposeEdge.EDGES_HOST);
        Map<String, Object> prometheus = new Yaml().load(Files.readString(
                binds(services().get("prometheus")).get("/etc/prometheus/prometheus.yml")));
        assertThat(prometheus.get("scrape_configs").toString())
                .contains("job_name=envoy").contains("names=[" + ComposeEdge.EDGES_HOST + "]");
    }

    private static List<String> ports(String service) {
        return ((List<?>) services().get(service).get("ports")).stream().map(String::valueOf).toList();
    }

    @Test
    void everyService_hasAHealthCheck() {
        services().forEach((name, service) -> {
            @SuppressWarnings("unchecked")
            Map<String, Object> check = (Map<String, Object>) service.get("healthcheck");
            assertThat(check).as("healthcheck of %s", name).isNotNull();
            if (UNCHECKABLE.contains(name)) {
                assertThat(check).as("healthcheck of %s", name).containsEntry("disable", true);
            } else {
                assertThat(check).as("healthcheck of %s", name).containsKey("test").doesNotContainKey("disable");
            }
        });
    }

    @Test
    void envoysGlobalLayer_callsTheComposeRateLimitService_withDescriptorsFromTheSameBudgets() throws IOException {
        Map<String, Map<String, Object>> services = services();
        Map<String, Path> envoyMounts = binds(services.get("envoy"));
        EnvoyConfig mounted = EnvoyConfig.load(envoyMounts.get("/etc/envoy/envoy.yaml"));
        Map<?, ?> environment = (Map<?, ?>) services.get("ratelimit").get("environment");

        Map<String, Object> endpoint = EnvoyConfig.cast(EnvoyConfig.list(EnvoyConfig.cast(EnvoyConfig.list(EnvoyConfig.map(
                mounted.cluster(GlobalRateLimitEdge.CLUSTER), "load_assignment"), "endpoints").get(0)), "lb_endpoints").get(0));
        Map<String, Object> address = EnvoyConfig.socketAddress(EnvoyConfig.map(endpoint, "endpoint"));
        assertThat(services).containsKey(String.valueOf(address.get("address")));
        assertThat(String.valueOf(address.get("port_value"))).isEqualTo(environment.get("GRPC_PORT"));
        assertThat(services).containsKey(String.valueOf(environment.get("REDIS_URL")).split(":")[0]);

        Path descriptors = binds(services.get("ratelimit")).get(environment.get("RUNTIME_ROOT") + "/"
                + environment.get("RUNTIME_SUBDIRECTORY") + "/config");
        assertThat(descriptors).as("the descriptors' mount").isNotNull();
        assertThat(Files.readString(descriptors.resolve("paygate.yaml")))
                .isEqualTo(RateLimitServiceConfig.render(EnvoyConfig.load(REPOSITORY.envoyYaml())));
    }

    @Test
    void envoysMountedConfig_passesEnvoyValidate() {
        DevCredentials.ensure(REPOSITORY.root().resolve(".run"));
        Map<String, Object> envoy = services().get("envoy");
        Map<String, Path> mounts = binds(envoy);
        List<?> command = (List<?>) envoy.get("command");
        Path config = mounts.get(String.valueOf(command.get(command.indexOf("-c") + 1)));
        assertThat(config).as("the -c file is mounted").isNotNull();

        EnvoyConfig mounted = EnvoyConfig.load(config);
        int rewritten = mountedPaths(mounted.tree(), mounts);

        assertThat(rewritten).as("paths in envoy.yaml under the mounts").isGreaterThanOrEqualTo(4);
        assertThat(EnvoyProcess.validate(REPOSITORY.envoyBinary(), mounted.writeTo(workDir.resolve("envoy.yaml"))))
                .contains("OK");
    }

    @Test
    void prometheusMountedConfig_passesPromtoolCheckConfig() throws IOException {
        Map<String, Path> mounts = binds(services().get("prometheus"));
        Map<String, Object> config = new Yaml().load(Files.readString(mounts.get("/etc/prometheus/prometheus.yml")));
        assertThat(mountedPaths(config, mounts)).as("rule files under the mounts").isEqualTo(3);
        Path file = Files.writeString(workDir.resolve("prometheus.yml"), new Yaml().dump(config));

        Command.Result check = run(List.of(Repository.debianTool("promtool").toString(), "check", "config", file.toString()));

        assertThat(check.exitCode()).as(check.output()).isZero();
        assertThat(check.output()).contains("SUCCESS: 3 rule files found");
    }

    // --- reading the compose file

    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> services() {
        try {
            Map<String, Object> compose = new Yaml().load(Files.readString(COMPOSE));
            return (Map<String, Map<String, Object>>) compose.get("services");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** A service's bind mounts: container path → host path (long and short syntax). */
    private static Map<String, Path> binds(Map<String, Object> service) {
        Map<String, Path> binds = new LinkedHashMap<>();
        for (Object volume : (List<?>) service.getOrDefault("volumes", List.of())) {
            String source;
            String target;
            if (volume instanceof Map<?, ?> longForm) {
                if (!"bind".equals(longForm.get("type"))) {
                    continue;
                }
                source = String.valueOf(longForm.get("source"));
                target = String.valueOf(longForm.get("target"));
            } else {
                String[] parts = String.valueOf(volume).split(":");
                if (!parts[0].startsWith(".") && !parts[0].startsWith("/")) {
                    continue;  // a named volume
                }
                source = parts[0];
                target = parts[1];
            }
            binds.put(target, REPOSITORY.root().resolve(source).normalize());
        }
        return binds;
    }

    /** Replaces every string in the tree that lies under a mount target by the host path; returns how many. */
    @SuppressWarnings("unchecked")
    private static int mountedPaths(Object node, Map<String, Path> mounts) {
        int count = 0;
        if (node instanceof Map<?, ?> map) {
            for (Map.Entry<String, Object> entry : ((Map<String, Object>) map).entrySet()) {
                String local = local(entry.getValue(), mounts);
                if (local != null) {
                    entry.setValue(local);
                    count++;
                } else {
                    count += mountedPaths(entry.getValue(), mounts);
                }
            }
        } else if (node instanceof List<?> list) {
            List<Object> items = (List<Object>) list;
            for (int i = 0; i < items.size(); i++) {
                String local = local(items.get(i), mounts);
                if (local != null) {
                    items.set(i, local);
                    count++;
                } else {
                    count += mountedPaths(items.get(i), mounts);
                }
            }
        }
        return count;
    }

    private static String local(Object value, Map<String, Path> mounts) {
        if (!(value instanceof String text)) {
            return null;
        }
        for (Map.Entry<String, Path> mount : mounts.entrySet()) {
            if (text.equals(mount.getKey()) || text.startsWith(mount.getKey() + "/")) {
                return mount.getValue() + text.substring(mount.getKey().length());
            }
        }
        return null;
    }

    /** ENVOY_VERSION in the ./paygate script: what `./paygate setup` installs into .venv. */
    private static String installedEnvoyVersion() {
        try {
            Matcher version = Pattern.compile("(?m)^ENVOY_VERSION=\"([^\"]+)\"")
                    .matcher(Files.readString(REPOSITORY.root().resolve("paygate")));
            assertThat(version.find()).as("ENVOY_VERSION in ./paygate").isTrue();
            return version.group(1);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Runs the Compose schema check (ops/compose-schema/validate.mjs); fails with its output unless it passes. */
    private static String validate(Path composeFile) {
        assertThat(SCHEMA_TOOL.resolve("node_modules/dclint/schemas/compose.schema.json"))
                .as("the schema package: ./paygate test installs it (npm ci in ops/compose-schema)").exists();
        Command.Result result = run(List.of("node", SCHEMA_TOOL.resolve("validate.mjs").toString(), composeFile.toString()));
        assertThat(result.exitCode()).as(result.output()).isZero();
        return result.output();
    }

    private static Command.Result run(List<String> command) {
        return Command.run(new ProcessBuilder(command).redirectErrorStream(true), Duration.ofSeconds(60));
    }
}
