package dev.paygate.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.paygate.contract.Contract;
import dev.paygate.edge.Command;
import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.Repository;
import dev.paygate.edge.generate.EdgeArtifacts;
import dev.paygate.edge.policy.Finding;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adding rpcs takes the proto and nothing else at the edge: a scratch copy of proto/ gains a
 * MerchantService with a read and a write, protoc builds its descriptor set, and the build's
 * generators (EdgeArtifacts) turn it into an edge that routes, limits, transcodes, checks,
 * documents and configures clients for both rpcs, which the policy checker and
 * {@code envoy --mode validate} pass. Where the edge cannot follow, the build stops and names
 * the one place to edit.
 */
@Tag("static")
class ContractChangeTest {

    private static final Repository REPOSITORY = Repository.locate();
    private static final String READ = "/paygate.v1.MerchantService/GetMerchant";
    private static final String WRITE = "/paygate.v1.MerchantService/CreateMerchant";

    @TempDir
    Path scratch;

    @Test
    void aNewReadAndWrite_inANewService_yieldAConsistentEdge_withNoOtherEdit() throws IOException {
        Repository changed = scratchRepository(merchantService());

        EnvoyConfig edge = EnvoyConfig.load(changed.envoyYaml());
        assertThat(edge.transcoderServices()).contains("paygate.v1.MerchantService", "paygate.v1.AccountService");
        assertThat(READ).matches(routeRegex(edge, "reads")).doesNotMatch(routeRegex(edge, "writes_idempotent"));
        assertThat(WRITE).matches(routeRegex(edge, "writes_idempotent")).matches(routeRegex(edge, "writes"))
                .doesNotMatch(routeRegex(edge, "reads"));
        assertThat(Files.readString(changed.envoyYaml())).as("the reads' rate-limit matcher")
                .contains("regex: '" + routeRegex(edge, "reads").pattern() + "'}");

        JsonNode openApi = new ObjectMapper().readTree(changed.edgeDocs().resolve("openapi.json").toFile());
        assertThat(openApi.at("/paths/~1v1~1merchants~1{merchant}/get/x-grpc-method").asText())
                .isEqualTo(READ.substring(1));
        assertThat(openApi.at("/paths/~1v1~1merchants/post/x-grpc-method").asText()).isEqualTo(WRITE.substring(1));
        assertThat(Files.readString(changed.strictJsonLua()))
                .contains("rpc = \"" + READ.substring(1) + "\"", "rpc = \"" + WRITE.substring(1) + "\"",
                        "[\"paygate.v1.Merchant\"] = {");
        JsonNode keyed = serviceConfig("service_config_keyed_writes.json");
        JsonNode safe = serviceConfig("service_config.json");
        assertThat(rpcsWith(safe, "2s")).contains("GetMerchant").doesNotContain("CreateMerchant");
        assertThat(rpcsWith(safe, "5s")).contains("CreateMerchant");
        assertThat(keyed.at("/methodConfig/1/retryPolicy/maxAttempts").asInt()).isEqualTo(3);

        List<Finding> findings = PolicyCheck.check(changed, changed.envoyYaml());
        assertThat(findings).as("policy checker and envoy --mode validate").isEmpty();
    }

    @Test
    void aReadBoundToPost_stopsTheBuild_namingTheOnePlaceToEdit() throws IOException {
        String readByPost = merchantService().replace("{get: \"/v1/{name=merchants/*}\"}",
                "{post: \"/v1/{name=merchants/*}:get\" body: \"*\"}");

        assertThatThrownBy(() -> scratchRepository(readByPost))
                .hasMessageContaining("paygate.v1.MerchantService.GetMerchant is a read")
                .hasMessageContaining("POST /v1/{name=merchants/*}:get")
                .hasMessageContaining("bind reads to GET and writes to another verb in proto/");
    }

    /** A checkout-shaped scratch directory whose proto/ has {@code extraProto} too, built as the build builds it. */
    private Repository scratchRepository(String extraProto) throws IOException {
        Path sources = scratch.resolve("proto/src/main/proto");
        copyTree(REPOSITORY.root().resolve("proto/src/main/proto"), sources);
        Files.writeString(sources.resolve("paygate/v1/merchant_service.proto"), extraProto);
        Path descriptorSet = Files.createDirectories(scratch.resolve("proto/target/descriptor")).resolve("paygate.pb");
        protoc(sources, descriptorSet);

        Path edgeTarget = scratch.resolve("edge/target");
        EdgeArtifacts.write(Contract.load(descriptorSet), Files.readString(REPOSITORY.envoyTemplate()),
                Files.readString(REPOSITORY.localReplies()),
                Files.readString(REPOSITORY.root().resolve("edge/src/main/lua/strict_json.lua")),
                REPOSITORY.root().resolve("tools/node_modules/swagger-ui-dist"), edgeTarget, edgeTarget.resolve("classes"));
        // What the edge runs that does not come from the contract: the checkout's own.
        Repository scratchRepository = new Repository(scratch);
        link(scratchRepository.root().resolve(".venv/bin/envoy"), REPOSITORY.envoyBinary());
        link(scratchRepository.root().resolve("edge/target/edge/connection_limit_per_source.wasm"),
                REPOSITORY.connectionLimitWasm());
        link(scratchRepository.edgeHeadersLua(), REPOSITORY.edgeHeadersLua());
        link(scratchRepository.bodyCapLua(), REPOSITORY.bodyCapLua());
        return scratchRepository;
    }

    /** protoc from grpcio-tools (the Python client's pinned venv), with the imports the Maven build unpacks. */
    private static void protoc(Path sources, Path descriptorSet) throws IOException {
        Path python = REPOSITORY.root().resolve("clients/python/.venv/bin/python");
        assertThat(python).as("./paygate setup installs clients/python/requirements.txt").isExecutable();
        List<String> command = new ArrayList<>(List.of(python.toString(), "-m", "grpc_tools.protoc",
                "-I" + sources, "-I" + REPOSITORY.root().resolve("proto/target/proto-imports"),
                "--include_imports", "--include_source_info", "--descriptor_set_out=" + descriptorSet,
                "google/rpc/error_details.proto"));
        try (Stream<Path> files = Files.list(sources.resolve("paygate/v1"))) {
            files.map(f -> "paygate/v1/" + f.getFileName()).sorted().forEach(command::add);
        }
        Command.Result result = Command.run(new ProcessBuilder(command).redirectErrorStream(true), Duration.ofMinutes(1));
        assertThat(result.exitCode()).as(result.output()).isZero();
    }

    private static Pattern routeRegex(EnvoyConfig edge, String route) {
        Map<String, Object> match = cast(edge.routes().stream().filter(r -> route.equals(r.get("name")))
                .findFirst().orElseThrow().get("match"));
        return Pattern.compile(String.valueOf(cast(match.get("safe_regex")).get("regex")));
    }

    private JsonNode serviceConfig(String name) throws IOException {
        return new ObjectMapper().readTree(scratch.resolve("edge/target/classes/paygate/v1/" + name).toFile());
    }

    /** The rpc names of the service config's methodConfig entries with this timeout (streams have none). */
    private static List<String> rpcsWith(JsonNode config, String timeout) {
        List<String> names = new ArrayList<>();
        for (JsonNode entry : config.get("methodConfig")) {
            if (entry.path("timeout").asText().equals(timeout)) {
                entry.get("name").forEach(n -> names.add(n.get("method").asText()));
            }
        }
        return names;
    }

    private String merchantService() throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/contract-change/merchant_service.proto")) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private static void link(Path link, Path target) throws IOException {
        Files.createDirectories(link.getParent());
        Files.createSymbolicLink(link, target);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : paths.toList()) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target);
                }
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Object value) {
        return (Map<String, Object>) value;
    }
}
