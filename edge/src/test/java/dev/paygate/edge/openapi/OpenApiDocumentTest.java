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
import dev.paygate.contract.Contract;
import dev.paygate.contract.HttpBinding;
import dev.paygate.edge.Repository;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document against the descriptor set Envoy transcodes with: every binding is one
 * operation at a concrete path that the binding's template accepts, every field of every message
 * a client sees is there under its JSON name, and the build's copy is the generator's output for
 * today's proto/ (so it cannot fall out of step).
 */
@Tag("static")
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
        List<String> bound = new ArrayList<>();
        for (Contract.Method method : contract.methods()) {
            for (HttpBinding binding : method.bindings()) {
                bound.add(method.service() + "/" + method.name());
                Operation operation = operation(document, method, binding);

                assertThat(operation.path()).as("concrete, no {field=...} variables").doesNotContain("=").doesNotContain("{name}")
                        .doesNotContain("{parent}");
            }
        }
        assertThat(bound).isNotEmpty();
        assertThat(operations(document)).extracting(Operation::grpcMethod).containsExactlyInAnyOrderElementsOf(bound);
    }

    @Test
    void anAdditionalBinding_isAnotherOperationOfTheSameRpc() throws IOException {
        HttpRule rule = HttpRule.newBuilder().setPost("/v1/probe").setBody("*")
                .addAdditionalBindings(HttpRule.newBuilder().setPut("/v1/probes/default").setBody("*")).build();
        Contract probed = withProbe(rule);

        ObjectNode generated = OpenApiDocument.generate(probed);

        Contract.Method probe = probed.methods().stream().filter(m -> m.name().equals("GetProbe")).findFirst().orElseThrow();
        assertThat(probe.bindings()).hasSize(2);
        assertThat(operation(generated, probe, probe.bindings().get(0)).node().get("operationId").asText())
                .isEqualTo("ProbeService_GetProbe");
        assertThat(operation(generated, probe, probe.bindings().get(1)).node().get("operationId").asText())
                .isEqualTo("ProbeService_GetProbe_2");
    }

    @Test
    void everyOperation_needsABearerTokenWithTheScopeOfItsKind() {
        assertThat(document.at("/components/securitySchemes/bearerAuth/scheme").asText()).isEqualTo("bearer");
        assertThat(document.at("/components/securitySchemes/bearerAuth/bearerFormat").asText()).isEqualTo("JWT");
        for (Operation operation : operations(document)) {
            String scope = operation.node().at("/security/0/bearerAuth/0").asText();
            assertThat(scope).as(operation.grpcMethod())
                    .isEqualTo(operation.verb().equals("get") ? "payments.read" : "payments.write");
        }
    }

    @Test
    void everyOperation_documentsTheEdgesErrorsAsGoogleRpcStatus_andWritesTakeAnIdempotencyKey() {
        for (Operation operation : operations(document)) {
            boolean write = !operation.verb().equals("get");
            JsonNode responses = operation.node().get("responses");
            List<String> codes = new ArrayList<>();
            responses.fieldNames().forEachRemaining(codes::add);
            assertThat(codes).as(operation.grpcMethod()).containsExactlyInAnyOrderElementsOf(
                    concat(List.of("200"), write ? WRITE_ERRORS : READ_ERRORS));
            for (String code : write ? WRITE_ERRORS : READ_ERRORS) {
                assertThat(responses.at("/" + code + "/content/application~1json/schema/$ref").asText()).as(code)
                        .isEqualTo("#/components/schemas/google.rpc.Status");
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
    void aStreamingOperation_answersNdjsonOrServerSentEvents_everyOtherOneJson() {
        int streams = 0;
        for (Contract.Method method : contract.methods()) {
            JsonNode content = operation(document, method.grpcPath().substring(1)).node().at("/responses/200/content");
            List<String> types = new ArrayList<>();
            content.fieldNames().forEachRemaining(types::add);
            if (method.streams()) {
                streams++;
                assertThat(types).as(method.grpcPath()).containsExactly("application/x-ndjson", "text/event-stream");
                assertThat(content.at("/application~1x-ndjson/schema/$ref").asText())
                        .endsWith(method.descriptor().getOutputType().getFullName());
            } else {
                assertThat(types).as(method.grpcPath()).containsExactly("application/json");
            }
        }
        assertThat(streams).isPositive();
    }

    /** A client reads the reason it gets: every reason the strict-JSON filter refuses with is in the 400's text. */
    @Test
    void the400Description_namesEveryReasonTheEdgeRefusesWith() throws IOException {
        String lua = Files.readString(REPOSITORY.root().resolve("edge/src/main/lua/strict_json.lua"));
        List<String> reasons = Pattern.compile("refuse\\(\"([A-Z_]+)\"").matcher(lua).results()
                .map(m -> m.group(1)).distinct().toList();
        assertThat(reasons).contains("UNKNOWN_FIELD", "MALFORMED_REQUEST");

        for (Operation operation : operations(document)) {
            assertThat(operation.node().at("/responses/400/description").asText()).as(operation.grpcMethod())
                    .contains(reasons);
        }
    }

    @Test
    void everyFieldOfEveryMessageAClientSees_isAPropertyUnderItsJsonName() {
        Set<Descriptor> seen = new HashSet<>();
        for (Contract.Method method : contract.methods()) {
            checkMessage(method.descriptor().getOutputType(), seen);
            for (HttpBinding binding : method.bindings()) {
                if (!binding.body().isEmpty() && !binding.body().equals("*")) {
                    checkMessage(method.descriptor().getInputType().findFieldByName(binding.body()).getMessageType(), seen);
                }
            }
        }
        assertThat(seen).extracting(Descriptor::getFullName)
                .contains("paygate.v1.Account", "paygate.v1.Authorization", "google.type.Money");
        // Query parameters are JSON names too (the transcoder accepts them; README uses pageSize).
        assertThat(operation(document, "paygate.v1.AuthorizationService/ListAuthorizations").node().get("parameters"))
                .extracting(p -> p.path("name").asText()).contains("pageSize", "pageToken", "state");
    }

    @Test
    void customJsonName_mapsAndRepeatedFields_followTheProto3JsonMapping() throws IOException {
        JsonNode probe = OpenApiDocument.generate(withProbe(HttpRule.newBuilder().setPost("/v1/probe").setBody("*").build()))
                .at("/components/schemas/paygate.v1.Probe/properties");

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

    @Test
    void celRulesOnAMoneyField_constrainItsFields_soASchemaValidAmountIsOneTheServiceTakes() {
        JsonNode limit = document.at("/components/schemas/paygate.v1.Account/properties/creditLimit");
        JsonNode fields = limit.at("/allOf/1");

        assertThat(limit.at("/allOf/0/$ref").asText()).isEqualTo("#/components/schemas/google.type.Money");
        // money.currency_code: this.currency_code.matches('^[A-Z]{3}$'); "" (absent, null) breaks it.
        assertThat(fields.at("/properties/currencyCode/pattern").asText()).isEqualTo("^[A-Z]{3}$");
        assertThat(fields.get("required")).extracting(JsonNode::asText).containsExactly("currencyCode");
        // money.non_negative and money.at_most_1e12: 0 <= units <= 10^12, 0 <= nanos < 10^9.
        Pattern units = Pattern.compile(fields.at("/properties/units/pattern").asText());
        assertThat(List.of("0", "7", "999999999999", "1000000000000")).allMatch(v -> units.matcher(v).matches());
        assertThat(List.of("-1", "1000000000001", "9999999999999", "")).noneMatch(v -> units.matcher(v).matches());
        assertThat(fields.at("/properties/nanos/minimum").asLong()).isZero();
        assertThat(fields.at("/properties/nanos/maximum").asLong()).isEqualTo(999_999_999);
        // money.positive's "units > 0 || ..." cannot be said field by field: its conjuncts on nanos are.
        JsonNode amount = document.at("/components/schemas/paygate.v1.Authorization/properties/amount/allOf/1/properties");
        assertThat(amount.at("/nanos/minimum").asLong()).isZero();
        assertThat(amount.has("units")).isFalse();
    }

    @Test
    void enumWithDefinedOnly_acceptsOnlyItsDefinedNumbers() {
        JsonNode state = operation(document, "paygate.v1.AuthorizationService/ListAuthorizations").node().get("parameters")
                .findParents("name").stream().filter(p -> p.path("name").asText().equals("state")).findFirst().orElseThrow();

        assertThat(state.at("/schema/anyOf/1/enum")).extracting(JsonNode::asInt).containsExactly(0, 1, 2, 3, 4, 5);
    }

    @Test
    void aPatternWhoseZeroValueIsIgnored_acceptsTheEmptyString_andStillRefusesAMalformedValue() {
        // ListAuthorizationEvents answers ?authorization= (proto3: "" is unset) with every event;
        // schemathesis sent it as a schema-violating value and got a 200.
        JsonNode authorization = operation(document, "paygate.v1.AuthorizationService/ListAuthorizationEvents").node()
                .get("parameters").findParents("name").stream()
                .filter(p -> p.path("name").asText().equals("authorization")).findFirst().orElseThrow();
        Pattern pattern = Pattern.compile(authorization.at("/schema/pattern").asText());
        String name = "accounts/0b5c6d4e-1f2a-4b3c-8d9e-0a1b2c3d4e5f/authorizations/1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f";

        assertThat(List.of("", name)).allMatch(v -> pattern.matcher(v).find());
        assertThat(List.of(" ", name.toUpperCase(Locale.ROOT), name + "/", "accounts/0b5c6d4e-1f2a-4b3c-8d9e-0a1b2c3d4e5f"))
                .noneMatch(v -> pattern.matcher(v).find());
        // A required pattern (no ignore) still refuses "".
        assertThat(Pattern.compile(document.at("/components/schemas/paygate.v1.Account/properties/creditLimit/allOf/1"
                + "/properties/currencyCode/pattern").asText()).matcher("").find()).isFalse();
    }

    @Test
    void celConjuncts_areSplitOutsideParenthesesAndStrings() {
        assertThat(CelRules.conjuncts("this.a >= 0 && (this.b > 0 || this.c == 1) && this.d.matches('x&&y')"))
                .containsExactly("this.a >= 0", "(this.b > 0 || this.c == 1)", "this.d.matches('x&&y')");
    }

    @Test
    void decimalRange_matchesExactlyTheNumbersInIt() {
        for (long max : new long[] {0, 1, 5, 9, 10, 99, 100, 109, 12345, 1_000_000_000_000L}) {
            for (long min : new long[] {0, 1}) {
                if (max < min) {
                    continue;
                }
                Pattern range = Pattern.compile("^(" + DecimalRange.regex(min, max) + ")$");
                for (long n : new long[] {0, 1, 2, 5, 9, 10, 11, 99, 100, 101, 109, 110, 12344, 12345, 12346,
                        999_999_999_999L, 1_000_000_000_000L, 1_000_000_000_001L}) {
                    assertThat(range.matcher(Long.toString(n)).matches()).as("%d in [%d, %d]", n, min, max)
                            .isEqualTo(n >= min && n <= max);
                }
                assertThat(range.matcher("-1").matches()).isFalse();
                assertThat(range.matcher("01").matches()).isFalse();
            }
        }
    }

    // --- helpers

    /**
     * Today's contract plus a ProbeService (GetProbe bound by {@code rule}) with what the real one
     * does not (yet) have: json_name, a map, a repeated int64.
     */
    private static Contract withProbe(HttpRule rule) throws IOException {
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
                                        .setExtension(AnnotationsProto.http, rule))))
                .build();
        // Beside today's contract, whose imports it uses.
        FileDescriptorSet set = FileDescriptorSet.parseFrom(Files.readAllBytes(REPOSITORY.descriptorSet()), Contract.registry()).toBuilder()
                .addFile(file)
                .build();
        return Contract.of(set);
    }

    record Operation(String verb, String path, String grpcMethod, JsonNode node) {
    }

    private static List<Operation> operations(JsonNode document) {
        List<Operation> operations = new ArrayList<>();
        document.get("paths").fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(verb ->
                operations.add(new Operation(verb.getKey(), path.getKey(), verb.getValue().get("x-grpc-method").asText(),
                        verb.getValue()))));
        return operations;
    }

    private static Operation operation(JsonNode document, String grpcMethod) {
        return operations(document).stream().filter(o -> o.grpcMethod().equals(grpcMethod)).findFirst()
                .orElseThrow(() -> new AssertionError("no operation for " + grpcMethod));
    }

    /** The operation of this rpc with the binding's verb at a concrete path the binding's template accepts. */
    private static Operation operation(JsonNode document, Contract.Method method, HttpBinding binding) {
        String verb = binding.verb().toLowerCase(Locale.ROOT);
        return operations(document).stream()
                .filter(o -> o.grpcMethod().equals(method.service() + "/" + method.name()) && o.verb().equals(verb))
                .filter(o -> templateRegex(binding.template()).matcher(sample(o)).matches())
                .findFirst().orElseThrow(() -> new AssertionError("no operation for " + binding + " of " + method.name()));
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
