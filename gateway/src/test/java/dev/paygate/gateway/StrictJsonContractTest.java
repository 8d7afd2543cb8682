package dev.paygate.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.api.AnnotationsProto;
import com.google.api.HttpRule;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.ExtensionRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The strict-JSON Lua filter in envoy.yaml carries its own copy of the contract's REST body
 * shapes. This compares that copy with the descriptor set the build makes from proto/, so a
 * contract change that forgets the edge fails here, not in production.
 */
class StrictJsonContractTest {

    private static final Pattern MESSAGE_LINE = Pattern.compile("\\[\"([\\w.]+)\"] = \\{(.*)},");
    private static final Pattern FIELD = Pattern.compile("(\\w+) = \"([\\w.]*)\"");
    private static final Pattern BODY_LINE = Pattern.compile("\\{\"(\\w+)\", \"([^\"]+)\", \"([\\w.]+)\", \"(\\w*)\"},");

    private static String lua;
    private static Map<String, DescriptorProto> messages;
    private static List<FileDescriptorProto> files;

    @BeforeAll
    static void load() throws IOException {
        Repository repository = Repository.locate();
        lua = luaSource(EnvoyConfig.load(repository.envoyYaml()).tree());
        ExtensionRegistry registry = ExtensionRegistry.newInstance();
        AnnotationsProto.registerAllExtensions(registry);
        files = FileDescriptorSet.parseFrom(Files.readAllBytes(repository.descriptorSet()), registry).getFileList();
        messages = new HashMap<>();
        for (FileDescriptorProto file : files) {
            for (DescriptorProto message : file.getMessageTypeList()) {
                messages.put(file.getPackage() + "." + message.getName(), message);
            }
        }
    }

    @Test
    void bodies_matchEveryHttpBindingWithABody() {
        Set<String> expected = new TreeSet<>();
        for (FileDescriptorProto file : files) {
            if (!file.getPackage().equals("paygate.v1")) {
                continue;
            }
            for (ServiceDescriptorProto service : file.getServiceList()) {
                for (MethodDescriptorProto method : service.getMethodList()) {
                    HttpRule rule = method.getOptions().getExtension(AnnotationsProto.http);
                    if (rule.getBody().isEmpty()) {
                        continue;
                    }
                    expected.add(String.join(" ", verb(rule), template(rule), bodyType(method, rule), bodyPrefix(rule)));
                }
            }
        }

        Set<String> actual = new TreeSet<>();
        Matcher body = BODY_LINE.matcher(lua);
        while (body.find()) {
            actual.add(String.join(" ", body.group(1), body.group(2), body.group(3), body.group(4)));
        }

        assertThat(actual).as("BODIES in envoy.yaml's strict-JSON filter").isEqualTo(expected);
    }

    @Test
    void messages_listExactlyTheFieldsOfEveryMessageABodyCanContain() {
        Map<String, Map<String, String>> expected = new TreeMap<>();
        Deque<String> todo = new ArrayDeque<>();
        Matcher body = BODY_LINE.matcher(lua);
        while (body.find()) {
            todo.add(body.group(3));
        }
        while (!todo.isEmpty()) {
            String type = todo.pop();
            if (expected.containsKey(type)) {
                continue;
            }
            Map<String, String> fields = new TreeMap<>();
            for (FieldDescriptorProto field : messages.get(type).getFieldList()) {
                String child = "";
                // Well-known types (Timestamp, Duration, ...) are JSON strings: nothing to walk into.
                if (field.getType() == FieldDescriptorProto.Type.TYPE_MESSAGE
                        && !field.getTypeName().startsWith(".google.protobuf.")) {
                    child = field.getTypeName().substring(1);
                    todo.add(child);
                }
                fields.put(field.getName(), child);
            }
            expected.put(type, fields);
        }

        Map<String, Map<String, String>> actual = new TreeMap<>();
        Matcher message = MESSAGE_LINE.matcher(lua);
        while (message.find()) {
            Map<String, String> fields = new TreeMap<>();
            Matcher field = FIELD.matcher(message.group(2));
            while (field.find()) {
                fields.put(field.group(1), field.group(2));
            }
            actual.put(message.group(1), fields);
        }

        assertThat(actual).as("MESSAGES in envoy.yaml's strict-JSON filter").isEqualTo(expected);
    }

    private static String verb(HttpRule rule) {
        return switch (rule.getPatternCase()) {
            case POST -> "POST";
            case PUT -> "PUT";
            case PATCH -> "PATCH";
            case DELETE -> "DELETE";
            default -> "GET";
        };
    }

    private static String template(HttpRule rule) {
        return switch (rule.getPatternCase()) {
            case POST -> rule.getPost();
            case PUT -> rule.getPut();
            case PATCH -> rule.getPatch();
            case DELETE -> rule.getDelete();
            default -> rule.getGet();
        };
    }

    private static String bodyType(MethodDescriptorProto method, HttpRule rule) {
        String input = method.getInputType().substring(1);
        if (rule.getBody().equals("*")) {
            return input;
        }
        return messages.get(input).getFieldList().stream()
                .filter(f -> f.getName().equals(rule.getBody()))
                .findFirst().orElseThrow().getTypeName().substring(1);
    }

    private static String bodyPrefix(HttpRule rule) {
        return rule.getBody().equals("*") ? "" : rule.getBody();
    }

    @SuppressWarnings("unchecked")
    private static String luaSource(Map<String, Object> tree) {
        Map<String, Object> listener = (Map<String, Object>) ((List<Object>) ((Map<String, Object>) tree
                .get("static_resources")).get("listeners")).get(0);
        Map<String, Object> chain = (Map<String, Object>) ((List<Object>) listener.get("filter_chains")).get(0);
        Map<String, Object> manager = (Map<String, Object>) ((List<Object>) chain.get("filters")).get(0);
        List<Object> filters = (List<Object>) ((Map<String, Object>) manager.get("typed_config")).get("http_filters");
        for (Object filter : filters) {
            Map<String, Object> f = (Map<String, Object>) filter;
            if ("envoy.filters.http.lua".equals(f.get("name"))) {
                Map<String, Object> config = (Map<String, Object>) f.get("typed_config");
                return (String) ((Map<String, Object>) config.get("default_source_code")).get("inline_string");
            }
        }
        throw new AssertionError("envoy.yaml has no strict-JSON Lua filter");
    }
}
