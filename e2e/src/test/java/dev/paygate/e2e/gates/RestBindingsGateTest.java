package dev.paygate.e2e.gates;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.api.AnnotationsProto;
import com.google.api.HttpRule;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.util.JsonFormat;
import dev.paygate.contract.Contract;
import dev.paygate.contract.HttpBinding;
import dev.paygate.edge.Repository;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The gate buf lacks: buf breaking does not compare custom options, so a changed
 * google.api.http path, verb or body would pass it while every REST client of that rpc breaks.
 * Every released rpc must keep its binding exactly (new rpcs and additional bindings are free).
 */
@Tag("static")
class RestBindingsGateTest {

    private static final Repository REPOSITORY = Repository.locate();

    @Test
    void everyReleasedRestBinding_isUnchanged() throws IOException {
        List<String> changes = changes(baseline(), current());

        assertThat(changes).isEmpty();
        assertThat(baseline()).isNotEmpty();
    }

    @Test
    void aChangedPath_isCaught() throws IOException {
        FileDescriptorSet changed = edit("CaptureAuthorization",
                rule -> rule.toBuilder().setPost("/v1/{name=accounts/*/authorizations/*}:settle").build());

        assertThat(changes(baseline(), bindings(changed)))
                .containsExactly("paygate.v1.AuthorizationService/CaptureAuthorization: post /v1/{name=accounts/*/authorizations/*}:capture body=* "
                        + "became post /v1/{name=accounts/*/authorizations/*}:settle body=*");
    }

    @Test
    void aChangedBodyOrVerb_isCaught() throws IOException {
        FileDescriptorSet body = edit("CreateAuthorization", rule -> rule.toBuilder().setBody("*").build());
        FileDescriptorSet verb = edit("GetAccount",
                rule -> HttpRule.newBuilder().setPost("/v1/{name=accounts/*}").setBody("*").build());

        assertThat(changes(baseline(), bindings(body))).singleElement().asString().contains("CreateAuthorization");
        assertThat(changes(baseline(), bindings(verb))).singleElement().asString().contains("GetAccount");
    }

    /** rpc -> "verb template body=..." of the released image (its JSON form keeps extensions by name). */
    private static Map<String, String> baseline() throws IOException {
        JsonNode image = new ObjectMapper().readTree(REPOSITORY.root().resolve("proto/baseline/paygate.v1.json").toFile());
        Map<String, String> bindings = new HashMap<>();
        for (JsonNode file : image.get("file")) {
            for (JsonNode service : file.path("service")) {
                for (JsonNode method : service.path("method")) {
                    JsonNode http = method.at("/options/[google.api.http]");
                    if (http.isMissingNode()) {
                        continue;
                    }
                    HttpRule.Builder rule = HttpRule.newBuilder();
                    JsonFormat.parser().merge(http.toString(), rule);
                    bindings.put(file.get("package").asText() + "." + service.get("name").asText() + "/"
                            + method.get("name").asText(), describe(HttpBinding.of(rule.build()).get(0)));
                }
            }
        }
        return bindings;
    }

    private static Map<String, String> current() throws IOException {
        return bindings(currentSet());
    }

    private static FileDescriptorSet currentSet() throws IOException {
        return FileDescriptorSet.parseFrom(Files.readAllBytes(REPOSITORY.descriptorSet()), Contract.registry());
    }

    private static Map<String, String> bindings(FileDescriptorSet set) {
        Map<String, String> bindings = new HashMap<>();
        for (Contract.Method method : Contract.of(set).methods()) {
            if (!method.bindings().isEmpty()) {
                bindings.put(method.service() + "/" + method.name(), describe(method.bindings().get(0)));
            }
        }
        return bindings;
    }

    private static List<String> changes(Map<String, String> released, Map<String, String> now) {
        List<String> changes = new ArrayList<>();
        released.forEach((rpc, binding) -> {
            String current = now.get(rpc);
            if (!binding.equals(current)) {
                changes.add(rpc + ": " + binding + " became " + (current == null ? "no binding" : current));
            }
        });
        return changes;
    }

    /** The primary binding; additional bindings may be added freely, so they are not compared. */
    private static String describe(HttpBinding binding) {
        return binding.verb().toLowerCase(Locale.ROOT) + " " + binding.template() + " body=" + binding.body();
    }

    /** Today's descriptor set with one rpc's binding changed, as a careless edit would. */
    private static FileDescriptorSet edit(String method, java.util.function.UnaryOperator<HttpRule> change) throws IOException {
        FileDescriptorSet.Builder set = currentSet().toBuilder();
        for (FileDescriptorProto.Builder file : set.getFileBuilderList()) {
            for (ServiceDescriptorProto.Builder service : file.getServiceBuilderList()) {
                for (MethodDescriptorProto.Builder rpc : service.getMethodBuilderList()) {
                    if (rpc.getName().equals(method)) {
                        HttpRule rule = rpc.getOptions().getExtension(AnnotationsProto.http);
                        rpc.getOptionsBuilder().setExtension(AnnotationsProto.http, change.apply(rule));
                        return set.build();
                    }
                }
            }
        }
        throw new AssertionError("no rpc " + method);
    }
}
