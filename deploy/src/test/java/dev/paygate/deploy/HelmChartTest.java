package dev.paygate.deploy;

import static dev.paygate.deploy.NetworkPolicies.cast;
import static dev.paygate.deploy.NetworkPolicies.list;
import static dev.paygate.deploy.NetworkPolicies.map;
import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.contract.Contract;
import dev.paygate.devstack.LocalEdge;
import dev.paygate.devstack.credentials.DevCredentials;
import dev.paygate.edge.Command;
import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.EnvoyProcess;
import dev.paygate.edge.Repository;
import dev.paygate.edge.capacity.ReplicaBreaker;
import dev.paygate.edge.capacity.ServiceAdmission;
import dev.paygate.edge.generate.GlobalRateLimitEdge;
import dev.paygate.edge.generate.LocalBudgetShare;
import dev.paygate.edge.generate.RateLimitServiceConfig;
import dev.paygate.edge.policy.EdgeRules;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.Yaml;

/**
 * The Helm chart, offline (no cluster runs here): helm lint --strict, helm template with the
 * default and the production values, kubeconform against Kubernetes 1.37's schemas, and the edge
 * config it carries through the policy checker and {@code envoy --mode validate}.
 */
@Tag("static")
class HelmChartTest {

    private static final Repository REPOSITORY = Repository.locate();
    private static final Map<String, String> POSTGRES = Map.of("cnpg.io/cluster", "paygate");
    private static final Map<String, String> STRANGER = Map.of("app", "something-else");

    private static String[] values(String which) {
        return which.equals("production") ? new String[] {"-f", Helm.productionValues().toString()} : new String[0];
    }

    @ParameterizedTest
    @ValueSource(strings = {"default", "production"})
    void chart_lintsStrictlyClean(String which) {
        assertThat(Helm.lint(values(which))).contains("0 chart(s) failed");
    }

    @ParameterizedTest
    @ValueSource(strings = {"default", "production"})
    void everyRenderedObject_isValidForKubernetes(String which) {
        String manifests = Helm.template(values(which));
        Command.Result checked = Helm.kubeconform(manifests);
        assertThat(checked.output()).contains("Valid: " + Helm.objects(manifests).size() + ", Invalid: 0, Errors: 0");
        assertThat(checked.exitCode()).isZero();
        assertThat(Helm.objects(manifests)).extracting(o -> o.get("kind") + "/" + map(o, "metadata").get("name"))
                .contains("Deployment/paygate-edge", "Deployment/paygate-service", "Deployment/paygate-ratelimit",
                        "Deployment/paygate-redis", "Service/paygate-service-headless", "Service/paygate-edge-headless",
                        "HorizontalPodAutoscaler/paygate-edge", "HorizontalPodAutoscaler/paygate-service",
                        "PodDisruptionBudget/paygate-edge", "PodDisruptionBudget/paygate-service",
                        "NetworkPolicy/paygate-service", "ConfigMap/paygate-edge", "ConfigMap/paygate-ratelimit");
    }

    @Test
    void kubeconform_rejectsWhatKubernetesWouldRefuse() {
        // A careless edit: a field the pod spec does not have, a string where a number belongs.
        String manifests = Helm.template()
                .replaceFirst("(?m)^( +)automountServiceAccountToken: false.*$", "$0\n$1hostNetworking: true")
                .replaceFirst("averageUtilization: (\\d+)", "averageUtilization: \"$1%\"");
        Command.Result checked = Helm.kubeconform(manifests);
        assertThat(checked.exitCode()).isNotZero();
        assertThat(checked.output()).contains("additional properties 'hostNetworking' not allowed")
                .contains("averageUtilization': got string, want null or integer").contains("Invalid: 2");
    }

    @Test
    void edgeConfig_findsReplicasThroughTheHeadlessServiceAndTakesTheTokenValues() throws IOException {
        List<Map<String, Object>> objects = Helm.objects(Helm.template("--set", "jwt.issuer=https://id.example.com/"));
        EnvoyConfig edge = edgeConfig(objects);
        assertThat(edge.render()).doesNotContain(".chart.invalid");

        Map<String, Object> endpoint = cast(list(cast(list(map(edge.cluster(EnvoyConfig.SERVICE_CLUSTER),
                "load_assignment"), "endpoints").get(0)), "lb_endpoints").get(0));
        assertThat(EnvoyConfig.socketAddress(map(endpoint, "endpoint")).get("address"))
                .isEqualTo("paygate-service-headless." + Helm.NAMESPACE + ".svc.cluster.local");
        assertThat(edge.cluster(EnvoyConfig.SERVICE_CLUSTER).get("type")).isEqualTo("STRICT_DNS");
        Map<String, Object> provider = cast(map(map(edge.httpFilter("envoy.filters.http.jwt_authn"), "typed_config"),
                "providers").values().iterator().next());
        assertThat(provider).containsEntry("issuer", "https://id.example.com/").containsEntry("audiences", List.of("paygate"));
    }

    @Test
    void edgeConfig_passesThePolicyCheckerAndEnvoyValidate() throws IOException {
        EnvoyConfig edge = edgeConfig(Helm.objects(Helm.template(values("production"))));
        assertThat(EdgeRules.check(edge, Contract.load(REPOSITORY.descriptorSet()))).isEmpty();

        // Envoy reads every file it names when it validates: the build's and throwaway credentials.
        Path dir = Files.createTempDirectory("paygate-chart-");
        edge.replaceFile(ClusterEdge.JWKS, Path.of("/etc/envoy/jwks.json"));
        Path local = LocalEdge.withLocalFiles(edge, REPOSITORY, DevCredentials.ensure(dir)).writeTo(dir.resolve("envoy.yaml"));
        EnvoyProcess.validate(REPOSITORY.envoyBinary(), local);
    }

    @Test
    void edgeConfig_asksTheChartsRateLimitServiceAfterEachLocalBudget() throws IOException {
        List<Map<String, Object>> objects = Helm.objects(Helm.template());
        EnvoyConfig edge = edgeConfig(objects);
        Map<String, Object> service = named(objects, "Service", "paygate-ratelimit");
        Map<String, Object> port = cast(list(map(service, "spec"), "ports").get(0));

        Map<String, Object> cluster = edge.cluster(GlobalRateLimitEdge.CLUSTER);
        assertThat(cluster.get("type")).isEqualTo("STRICT_DNS");
        Map<String, Object> endpoint = cast(list(cast(list(map(cluster, "load_assignment"), "endpoints").get(0)),
                "lb_endpoints").get(0));
        assertThat(EnvoyConfig.socketAddress(map(endpoint, "endpoint")))
                .containsEntry("address", "paygate-ratelimit." + Helm.NAMESPACE + ".svc.cluster.local")
                .containsEntry("port_value", port.get("port"));

        List<String> names = edge.httpFilterNames();
        assertThat(names.subList(names.indexOf("envoy.filters.http.grpc_json_transcoder") + 1,
                names.indexOf("envoy.filters.http.router"))).containsExactly(
                GlobalRateLimitEdge.globalFilter("paygate.filters.http.per_address_ratelimit"),
                GlobalRateLimitEdge.globalFilter("paygate.filters.http.ratelimit_reads"),
                GlobalRateLimitEdge.globalFilter("paygate.filters.http.ratelimit_writes"),
                "envoy.filters.http.grpc_stats");
        Map<String, Object> ratelimitConfig = new Yaml().load((String) map(named(objects, "ConfigMap",
                "paygate-ratelimit"), "data").get("paygate.yaml"));
        assertThat(edge.render()).doesNotContain(".chart.invalid")
                .contains("domain: " + ratelimitConfig.get("domain"), "cluster_name: " + GlobalRateLimitEdge.CLUSTER);
    }

    @Test
    void edgeConfig_dividesItsLocalBudgetsByTheEdgesItsHeadlessServiceLists() throws IOException {
        List<Map<String, Object>> objects = Helm.objects(Helm.template());
        EnvoyConfig edge = edgeConfig(objects);
        Map<String, Object> headless = map(named(objects, "Service", "paygate-edge-headless"), "spec");
        assertThat(headless).containsEntry("clusterIP", "None");
        assertThat(cast(headless.get("selector"))).isEqualTo(podLabels(objects, "edge").entrySet().stream()
                .filter(label -> !label.getKey().startsWith("helm.sh") && !label.getKey().endsWith("managed-by")
                        && !label.getKey().endsWith("version"))
                .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));

        assertThat(map(edge.tree(), "cluster_manager")).containsEntry("local_cluster_name", LocalBudgetShare.CLUSTER);
        Map<String, Object> cluster = edge.cluster(LocalBudgetShare.CLUSTER);
        assertThat(cluster.get("type")).isEqualTo("STRICT_DNS");
        Map<String, Object> endpoint = cast(list(cast(list(map(cluster, "load_assignment"), "endpoints").get(0)),
                "lb_endpoints").get(0));
        assertThat(EnvoyConfig.socketAddress(map(endpoint, "endpoint")))
                .containsEntry("address", "paygate-edge-headless." + Helm.NAMESPACE + ".svc.cluster.local")
                .containsEntry("port_value", ClusterEdge.EDGE_PORT);
        for (String budget : RateLimitServiceConfig.budgetFilters().keySet()) {
            assertThat(edge.httpFilter(budget).toString()).as(budget).contains("local_cluster_rate_limit={}");
        }
    }

    @Test
    void rateLimitService_countsTheEdgesOwnBudgets() {
        Map<String, Object> config = new Yaml().load(
                (String) map(named(Helm.objects(Helm.template()), "ConfigMap", "paygate-ratelimit"), "data").get("paygate.yaml"));
        assertThat(config).containsEntry("domain", RateLimitServiceConfig.DOMAIN);
        Map<String, Long> budgets = RateLimitServiceConfig.perSecond(EnvoyConfig.load(REPOSITORY.envoyYaml()));
        assertThat(budgets).containsEntry("", 200L).containsEntry("reads", 100L).containsEntry("writes", 50L);
        assertThat(config.get("descriptors").toString())
                .contains("key=masked_remote_address, rate_limit={unit=second, requests_per_unit=200}, shadow_mode=false")
                .contains("key=budget, value=reads, descriptors=[{key=subject, rate_limit={unit=second, requests_per_unit=100}, shadow_mode=false}]")
                .contains("key=budget, value=writes, descriptors=[{key=subject, rate_limit={unit=second, requests_per_unit=50}, shadow_mode=false}]");
    }

    @ParameterizedTest
    @ValueSource(strings = {"default", "production"})
    void networkPolicies_fenceTheServicePostgresTheRateLimitServiceAndRedis(String which) {
        List<Map<String, Object>> objects = Helm.objects(Helm.template(values(which)));
        NetworkPolicies policies = NetworkPolicies.of(objects);
        Map<String, String> edge = podLabels(objects, "edge");
        Map<String, String> service = podLabels(objects, "service");
        Map<String, String> ratelimit = podLabels(objects, "ratelimit");
        Map<String, String> redis = podLabels(objects, "redis");

        assertThat(policies.allows(edge, service, 50051)).as("edge -> service").isTrue();
        for (Map<String, String> other : List.of(ratelimit, redis, STRANGER)) {
            assertThat(policies.allows(other, service, 50051)).as("%s -> service", other).isFalse();
        }
        if (which.equals("default")) {  // production's database is an ipBlock outside the cluster
            assertThat(policies.allows(service, POSTGRES, 5432)).as("service -> PostgreSQL").isTrue();
        }
        for (Map<String, String> other : List.of(edge, ratelimit, redis)) {
            assertThat(policies.allows(other, POSTGRES, 5432)).as("%s -> PostgreSQL", other).isFalse();
        }
        assertThat(policies.allows(edge, ratelimit, 8081)).as("edge -> ratelimit").isTrue();
        for (Map<String, String> other : List.of(service, redis, STRANGER)) {
            assertThat(policies.allows(other, ratelimit, 8081)).as("%s -> ratelimit", other).isFalse();
        }
        assertThat(policies.allows(ratelimit, redis, 6379)).as("ratelimit -> redis").isTrue();
        for (Map<String, String> other : List.of(edge, service, STRANGER)) {
            assertThat(policies.allows(other, redis, 6379)).as("%s -> redis", other).isFalse();
        }
    }

    @Test
    void serviceProbes_readinessFollowsTheDatabaseLivenessDoesNot() {
        Map<String, Object> container = cast(list(map(map(map(named(Helm.objects(Helm.template()), "Deployment",
                "paygate-service"), "spec"), "template"), "spec"), "containers").get(0));
        assertThat(map(map(container, "readinessProbe"), "grpc")).doesNotContainKey("service");
        assertThat(map(map(container, "livenessProbe"), "grpc")).containsEntry("service", "paygate.liveness");
        assertThat(map(map(container, "startupProbe"), "grpc")).containsEntry("service", "paygate.liveness");
    }

    @Test
    void edgeConfig_boundsTheServiceClusterByWhatTheMostReplicasTheValuesAllowAdmit() throws IOException {
        ServiceAdmission admission = ServiceAdmission.read(REPOSITORY.serviceConfig());
        int perReplica = admission.perReplica(Map.of());
        Map<String, Object> values = new Yaml().load(Files.readString(REPOSITORY.root().resolve("deploy/helm/paygate/values.yaml")));
        int maxReplicas = (Integer) map(map(values, "service"), "autoscaling").get("maxReplicas");

        assertThat(serviceMaxRequests()).as("autoscaled: its maxReplicas").isEqualTo((long) maxReplicas * perReplica);
        assertThat(serviceMaxRequests("--set", "service.autoscaling.enabled=false", "--set", "service.replicas=3"))
                .as("fixed replicas").isEqualTo(3L * perReplica);
        assertThat(serviceMaxRequests("--set", "service.autoscaling.maxReplicas=4", "--set-string", "service.env.PAYGATE_WORKERS=8"))
                .as("the replicas' own admission, as service.env sets it")
                .isEqualTo(4L * (8 + admission.queueCapacity().defaultValue()));
    }

    private static long serviceMaxRequests(String... valuesAndFlags) throws IOException {
        EnvoyConfig edge = edgeConfig(Helm.objects(Helm.template(valuesAndFlags)));
        Map<String, Object> runtime = map(cast(list(map(edge.tree(), "layered_runtime"), "layers").get(0)), "static_layer");
        return ((Number) runtime.get(ReplicaBreaker.maxRequestsKey(EnvoyConfig.SERVICE_CLUSTER))).longValue();
    }

    private static EnvoyConfig edgeConfig(List<Map<String, Object>> objects) throws IOException {
        String envoyYaml = (String) map(named(objects, "ConfigMap", "paygate-edge"), "data").get("envoy.yaml");
        Path file = Files.createTempFile("paygate-chart-envoy-", ".yaml");
        return EnvoyConfig.load(Files.writeString(file, envoyYaml));
    }

    private static Map<String, Object> named(List<Map<String, Object>> objects, String kind, String name) {
        return objects.stream().filter(o -> kind.equals(o.get("kind")) && name.equals(map(o, "metadata").get("name")))
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind + "/" + name));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> podLabels(List<Map<String, Object>> objects, String component) {
        Map<String, Object> deployment = named(objects, "Deployment", "paygate-" + component);
        return (Map<String, String>) (Map<?, ?>) map(map(map(deployment, "spec"), "template"), "metadata").get("labels");
    }
}
