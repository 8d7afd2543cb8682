package dev.paygate.edge.generate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.paygate.contract.Contract;
import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.openapi.EdgeDocs;
import dev.paygate.edge.strictjson.RestContract;
import dev.paygate.edge.strictjson.StrictJsonLua;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Build step (edge/pom.xml, process-classes): every edge artifact derived from the contract, from
 * the descriptor set, in one run, never committed:
 * <ul>
 *   <li>{@code envoy.yaml}: the template with the contract's values and the local replies ({@link EnvoyTemplate});</li>
 *   <li>{@code edge/strict_json.lua}: the strict-JSON filter's tables for the transcoder's services;</li>
 *   <li>{@code edge-docs/}: the OpenAPI document and the docs page;</li>
 *   <li>{@code <package path>/service_config*.json} in the jar: the gRPC service configs;</li>
 *   <li>{@code compose/envoy.yaml} and {@code compose/ratelimit/config/paygate.yaml}: docker-compose.yml's
 *       edge with the global layer ({@link ComposeEdge}) and the rate-limit service's descriptors.</li>
 * </ul>
 *
 * <p>Arguments: descriptor set, envoy.yaml template, local_replies.yaml, strict_json.lua checker,
 * swagger-ui-dist directory, output directory (target/), class output directory (target/classes).
 */
public final class EdgeArtifacts {

    private EdgeArtifacts() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 7) {
            throw new IllegalArgumentException("usage: EdgeArtifacts <descriptor set> <envoy.yaml> <local_replies.yaml>"
                    + " <strict_json.lua> <swagger-ui-dist> <target dir> <classes dir>");
        }
        Contract contract = Contract.load(Path.of(args[0]));
        String template = Files.readString(Path.of(args[1]));
        String localReplies = Files.readString(Path.of(args[2]));
        if (!EnvoyTemplate.missing(template, localReplies).isEmpty()) {
            throw new IllegalArgumentException(args[1] + " keeps by hand what the contract decides: use the placeholders "
                    + EnvoyTemplate.missing(template, localReplies));
        }
        write(contract, template, localReplies, Files.readString(Path.of(args[3])), Path.of(args[4]),
                Path.of(args[5]), Path.of(args[6]));
    }

    /** Writes every artifact; also what a test runs on a scratch contract. */
    public static void write(Contract contract, String template, String localReplies, String checker, Path swaggerUi,
                             Path target, Path classes) throws IOException {
        Path envoyYaml = Files.createDirectories(target).resolve("envoy.yaml");
        Files.writeString(envoyYaml, EnvoyTemplate.render(template, contract, localReplies));
        EnvoyConfig edge = EnvoyConfig.load(envoyYaml);

        Path lua = Files.createDirectories(target.resolve("edge")).resolve("strict_json.lua");
        Files.writeString(lua, StrictJsonLua.render(RestContract.of(contract, edge.transcoderServices()), checker));

        EdgeDocs.write(contract, swaggerUi, target.resolve("edge-docs"));

        Path compose = Files.createDirectories(target.resolve("compose/ratelimit/config"));
        Files.writeString(compose.resolve("paygate.yaml"), RateLimitServiceConfig.render(edge));
        ComposeEdge.render(EnvoyConfig.load(envoyYaml)).writeTo(target.resolve("compose/envoy.yaml"));

        Path configs = Files.createDirectories(classes.resolve(contract.packageName().replace('.', '/')));
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        for (Map.Entry<String, ObjectNode> config : ServiceConfigs.generate(contract, edge).entrySet()) {
            json.writeValue(configs.resolve(config.getKey()).toFile(), config.getValue());
        }
    }
}
