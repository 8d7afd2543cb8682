package dev.paygate.edge.openapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.api.AnnotationsProto;
import com.google.api.HttpRule;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodOptions;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import dev.paygate.edge.Repository;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document against the descriptor set Envoy transcodes with: every binding is one
 * operation at a concrete path that the binding's template accepts, every field of every message
 * a client sees is there under its JSON name, and the build's copy is the generator's output for
 * today's proto/ (so it cannot fall out of step).
 */
class OpenApiDocumentTest {

    private static final Repository REPOSITORY = Repository.locate();
    private static final List<String> READ_ERRORS = List.of("400", "401", "403", "404", "408", "429", "431", "503", "504");
    private static final List<String> WRITE_ERRORS = List.of("400", "401", "403", "404", "408", "409", "413", "429", "431",
            "503", "504");

    private final Contract contract = Contract.load(REPOSITORY.descriptorSet());
    private final ObjectNode document = OpenApiDocument.generate(contract);

    @Test
    void builtDocument_isTheGeneratorsOutputForTodaysContract() throws IOException {
        JsonNode built = new ObjectMapper().readTree(REPOSITORY.edgeDocs().resolve("openapi.json").toFile());

        assertThat(built.toPrettyString()).isEqualTo(document.toPrettyString());
    }

    @Test
    void everyBinding_isOneOperationAtAConcretePathItsTemplateAccepts() {
        List<String> rpcs = new ArrayList<>();
        for (ServiceDescriptor service : contract.services()) {
            for (MethodDescriptor method : service.getMethods()) {
                rpcs.add(service.getFullName() + "/" + method.getName());
                HttpRule rule = method.getOptions().getExtension(AnnotationsProto.http);
                String verb = rule.getPatternCase().name().toLowerCase();
                Operation operation = operation(service.getFullName() + "/" + method.getName());

                assertThat(operation.verb()).as(method.getFullName()).isEqualTo(verb);
                assertThat(operation.path()).as("concrete, no {field=...} variables").doesNotContain("=").doesNotContain("{name}")
                        .doesNotContain("{parent}");
                assertThat(templateRegex(template(rule)).matcher(sample(operation)).matches())
                        .as("%s %s accepts %s", verb, template(rule), sample(operation)).isTrue();
            }
        }
        assertThat(operations()).extracting(Operation::grpcMethod).containsExactlyInAnyOrderElementsOf(rpcs);
        assertThat(rpcs).hasSize(7);
    }

    @Test
    void everyOperation_needsABearerTokenWithTheScopeOfItsKind() {
        assertThat(document.at("/components/securitySchemes/bearerAuth/scheme").asText()).isEqualTo("bearer");
        assertThat(document.at("/components/securitySchemes/bearerAuth/bearerFormat").asText()).isEqualTo("JWT");
        for (Operation operation : operations()) {
            String scope = operation.node().at("/security/0/bearerAuth/0").asText();
            assertThat(scope).as(operation.grpcMethod())
                    .isEqualTo(operation.verb().equals("get") ? "payments.read" : "payments.write");
        }
    }

    @Test
    void everyOperation_documentsTheEdgesErrorsAsGoogleRpcStatus_andWritesTakeAnIdempotencyKey() {
        for (Operation operation : operations()) {
            boolean write = !operation.verb().equals("get");
            JsonNode responses = operation.node().get("responses");
            List<String> codes = new ArrayList<>();
            responses.fieldNames().forEachRemaining(codes::add);
            assertThat(codes).as(operation.grpcMethod()).containsExactlyInAnyOrderElementsOf(
                    concat(List.of("200"), write ? WRITE_ERRORS : READ_ERRORS));
            for (String code : write ? WRITE_ERRORS : READ_ERRORS) {
                assertThat(responses.at("/" + code + "/content/application~1json/schema/$ref").asText()).as(code)
                        .isEqualTo(code.equals("431") ? "" : "#/components/schemas/google.rpc.Status");
            }
            assertThat(responses.at("/200/headers").has("x-ratelimit-remaining")).isTrue();
            assertThat(responses.at("/429/headers").has("x-ratelimit-reset")).isTrue();
            boolean hasKey = false;
            for (JsonNode parameter : operation.node().get("parameters")) {
                hasKey |= parameter.path("$ref").asText().equals("#/components/parameters/IdempotencyKey");
            }
            assertThat(hasKey).as("Idempotency-Key on %s", operation.grpcMethod()).isEqualTo(write);
        }
        assertThat(document.at("/components/parameters/IdempotencyKey/name").asText()).isEqualTo("Idempotency-Key");
        assertThat(document.at("/components/schemas/google.rpc.Status/properties/details/items/required/0").asText())
                .isEqualTo("@type");
    }

    @Test
    void everyFieldOfEveryMessageAClientSees_isAPropertyUnderItsJsonName() {
        Set<Descriptor> seen = new HashSet<>();
        for (ServiceDescriptor service : contract.services()) {
            for (MethodDescriptor method : service.getMethods()) {
                checkMessage(method.getOutputType(), seen);
                HttpRule rule = method.getOptions().getExtension(AnnotationsProto.http);
                if (!rule.getBody().isEmpty() && !rule.getBody().equals("*")) {
                    checkMessage(method.getInputType().findFieldByName(rule.getBody()).getMessageType(), seen);
                }
            }
        }
        assertThat(seen).extracting(Descriptor::getFullName)
                .contains("paygate.v1.Account", "paygate.v1.Authorization", "google.type.Money");
        // Query parameters are JSON names too (the transcoder accepts them; README uses pageSize).
        assertThat(operation("paygate.v1.AuthorizationService/ListAuthorizations").node().get("parameters"))
                .extracting(p -> p.path("name").asText()).contains("pageSize", "pageToken", "state");
    }

    @Test
    void customJsonName_mapsAndRepeatedFields_followTheProto3JsonMapping() throws IOException {
        // A contract the real one does not (yet) have: json_name, a map, a repeated int64.
        FileDescriptorProto file = FileDescriptorProto.newBuilder()
                .setName("paygate/v1/probe.proto").setPackage("paygate.v1").setSyntax("proto3")
                .addDependency("google/api/annotations.proto")
                .addMessageType(DescriptorProto.newBuilder().setName("Probe")
                        .addField(field("amount_in_cents", 1, FieldDescriptorProto.Type.TYPE_INT64).setJsonName("cents"))
                        .addField(field("field_1", 2, FieldDescriptorProto.Type.TYPE_STRING).setJsonName("field1"))
                        .addField(field("totals", 3, FieldDescriptorProto.Type.TYPE_INT64)
                                .setLabel(FieldDescriptorProto.Label.LABEL_REPEATED).setJsonName("totals"))
                        .addField(field("labels", 4, FieldDescriptorProto.Type.TYPE_MESSAGE)
                                .setLabel(FieldDescriptorProto.Label.LABEL_REPEATED).setTypeName(".paygate.v1.Probe.LabelsEntry")
                                .setJsonName("labels"))
                        .addNestedType(DescriptorProto.newBuilder().setName("LabelsEntry")
                                .setOptions(com.google.protobuf.DescriptorProtos.MessageOptions.newBuilder().setMapEntry(true))
                                .addField(field("key", 1, FieldDescriptorProto.Type.TYPE_STRING).setJsonName("key"))
                                .addField(field("value", 2, FieldDescriptorProto.Type.TYPE_INT32).setJsonName("value"))))
                .addService(ServiceDescriptorProto.newBuilder().setName("ProbeService")
                        .addMethod(MethodDescriptorProto.newBuilder().setName("GetProbe")
                                .setInputType(".paygate.v1.Probe").setOutputType(".paygate.v1.Probe")
                                .setOptions(MethodOptions.newBuilder()
                                        .setExtension(AnnotationsProto.http, HttpRule.newBuilder().setPost("/v1/probe").setBody("*").build()))))
                .build();
        // Beside today's contract, whose imports it uses.
        FileDescriptorSet set = FileDescriptorSet.parseFrom(Files.readAllBytes(REPOSITORY.descriptorSet()), Contract.registry()).toBuilder()
                .addFile(file)
                .build();

        JsonNode probe = OpenApiDocument.generate(Contract.of(set)).at("/components/schemas/paygate.v1.Probe/properties");

        assertThat(value(probe.get("cents")).get("type").asText()).isEqualTo("string");
        assertThat(value(probe.get("cents")).get("format").asText()).isEqualTo("int64");
        assertThat(probe.has("amountInCents")).isFalse();
        assertThat(probe.has("field1")).isTrue();
        assertThat(value(probe.get("totals")).get("type").asText()).isEqualTo("array");
        assertThat(value(probe.get("totals")).at("/items/type").asText()).isEqualTo("string");
        assertThat(value(probe.get("labels")).get("type").asText()).isEqualTo("object");
        assertThat(value(probe.get("labels")).at("/additionalProperties/type").asText()).isEqualTo("integer");
        // Optional input may be null (proto3 JSON: "not set").
        assertThat(probe.at("/cents/anyOf/1/type").asText()).isEqualTo("null");
    }

    // --- helpers

    record Operation(String verb, String path, String grpcMethod, JsonNode node) {
    }

    private List<Operation> operations() {
        List<Operation> operations = new ArrayList<>();
        document.get("paths").fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(verb ->
                operations.add(new Operation(verb.getKey(), path.getKey(), verb.getValue().get("x-grpc-method").asText(),
                        verb.getValue()))));
        return operations;
    }

    private Operation operation(String grpcMethod) {
        return operations().stream().filter(o -> o.grpcMethod().equals(grpcMethod)).findFirst()
                .orElseThrow(() -> new AssertionError("no operation for " + grpcMethod));
    }

    /** The concrete path with each path parameter replaced by a value its schema allows. */
    private static String sample(Operation operation) {
        String path = operation.path();
        for (JsonNode parameter : operation.node().get("parameters")) {
            if (parameter.path("in").asText().equals("path")) {
                assertThat(parameter.at("/schema/pattern").asText()).matches(".*0-9a-f.*");
                path = path.replace("{" + parameter.get("name").asText() + "}", "0b5c6d4e-1f2a-4b3c-8d9e-0a1b2c3d4e5f");
            }
        }
        assertThat(path).doesNotContain("{");
        return path;
    }

    private static String template(HttpRule rule) {
        return switch (rule.getPatternCase()) {
            case GET -> rule.getGet();
            case POST -> rule.getPost();
            default -> throw new AssertionError("unexpected verb " + rule.getPatternCase());
        };
    }

    /** google.api.http template syntax as a regex: {f=a/*}: the segments; {f}: one segment. */
    private static Pattern templateRegex(String template) {
        StringBuilder regex = new StringBuilder();
        var variable = Pattern.compile("\\{[a-z_.]+(?:=([^}]*))?}").matcher(template);
        int last = 0;
        while (variable.find()) {
            regex.append(Pattern.quote(template.substring(last, variable.start())));
            String segments = variable.group(1) == null ? "*" : variable.group(1);
            regex.append(Pattern.quote(segments).replace("*", "\\E[^/]+\\Q"));
            last = variable.end();
        }
        regex.append(Pattern.quote(template.substring(last)));
        return Pattern.compile(regex.toString());
    }

    private void checkMessage(Descriptor message, Set<Descriptor> seen) {
        if (message.getFullName().startsWith("google.protobuf.") || !seen.add(message)) {
            return;
        }
        JsonNode properties = document.at("/components/schemas/" + message.getFullName().replace("/", "~1") + "/properties");
        assertThat(properties.isMissingNode()).as("schema of %s", message.getFullName()).isFalse();
        List<String> names = new ArrayList<>();
        properties.fieldNames().forEachRemaining(names::add);
        assertThat(names).as(message.getFullName())
                .containsExactlyElementsOf(message.getFields().stream().map(FieldDescriptor::getJsonName).toList());
        for (FieldDescriptor field : message.getFields()) {
            if (field.getJavaType() == FieldDescriptor.JavaType.LONG) {
                assertThat(value(properties.get(field.getJsonName())).get("type").asText()).as(field.getFullName()).isEqualTo("string");
            }
            if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
                checkMessage(field.getMessageType(), seen);
            }
        }
    }

    /** A property's value schema, without the null alternative of an optional input field. */
    private static JsonNode value(JsonNode property) {
        return property.has("anyOf") ? property.at("/anyOf/0") : property;
    }

    private static FieldDescriptorProto.Builder field(String name, int number, FieldDescriptorProto.Type type) {
        return FieldDescriptorProto.newBuilder().setName(name).setNumber(number).setType(type)
                .setLabel(FieldDescriptorProto.Label.LABEL_OPTIONAL);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
