package dev.paygate.edge.strictjson;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import dev.paygate.contract.Contract;
import dev.paygate.contract.HttpBinding;
import dev.paygate.contract.PathTemplate;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The REST surface Envoy's JSON transcoder serves, as the strict-JSON filter needs it from the
 * {@link Contract}: every
 * {@code google.api.http} binding (method, path template, custom verb, body, the query parameters
 * it documents) and, for every message a request body can contain, the JSON keys the proto3 JSON
 * mapping accepts for it (each field's {@code json_name} and its proto name).
 *
 * <p>Only what the strict-JSON filter can mirror exactly is accepted: a template with {@code **}
 * or two bindings with the same method, verb and path are refused here, at build time.
 */
public final class RestContract {

    /** The JSON walk does not look inside these: their JSON form is not a message's fields. */
    private static final String OPAQUE_PACKAGE = "google.protobuf.";
    /** Query parameters name fields this deep at most (a.b.c.d); recursive messages stop here. */
    private static final int MAX_QUERY_DEPTH = 4;

    /** One JSON key of a message: the field it sets and how to check its value. */
    public record Field(String name, String jsonName, String slot, boolean oneof, String message, boolean map) {
    }

    /** One query parameter a binding documents, in one of its spellings. */
    public record QueryParameter(String spelling, String fieldPath, String jsonPath, boolean repeated) {
    }

    /**
     * One binding. {@code segments} are the template's path segments with variables expanded
     * ({@code *} matches one segment); {@code body} is "" (no body), "*" or a field name;
     * {@code bodyMessage} is the message the JSON body holds, or null if it is not a message.
     */
    public record Binding(String rpc, String httpMethod, List<String> segments, String verb, String body,
                          String bodyMessage, Map<String, QueryParameter> query) {
    }

    private final List<Binding> bindings;
    private final Map<String, Map<String, Field>> messages;

    private RestContract(List<Binding> bindings, Map<String, Map<String, Field>> messages) {
        this.bindings = bindings;
        this.messages = messages;
    }

    public List<Binding> bindings() {
        return bindings;
    }

    /** Message full name to its JSON keys, for every message a request body can contain. */
    public Map<String, Map<String, Field>> messages() {
        return messages;
    }

    /** The bindings of the services the transcoder serves. */
    public static RestContract of(Contract contract, List<String> services) {
        List<Binding> bindings = new ArrayList<>();
        Deque<Descriptor> bodies = new ArrayDeque<>();
        Set<String> seen = new HashSet<>();
        for (String name : services) {
            ServiceDescriptor service = contract.service(name)
                    .orElseThrow(() -> new IllegalArgumentException("the descriptor set has no service " + name));
            for (MethodDescriptor method : service.getMethods()) {
                for (HttpBinding each : contract.method(method).bindings()) {
                    Binding binding = binding(method, each);
                    String key = binding.httpMethod() + " " + String.join("/", binding.segments()) + ":" + binding.verb();
                    if (!seen.add(key)) {
                        // The transcoder answers 404 for a path bound twice; the filter cannot mirror that.
                        throw new IllegalArgumentException("two bindings for " + key);
                    }
                    bindings.add(binding);
                    if (binding.bodyMessage() != null) {
                        bodies.add(bodyType(method, binding.body()));
                    }
                }
            }
        }
        return new RestContract(List.copyOf(bindings), reachable(bodies));
    }

    private static Binding binding(MethodDescriptor method, HttpBinding http) {
        PathTemplate path = http.path();
        String rpc = method.getService().getFullName() + "/" + method.getName();
        String body = http.body();
        String bodyMessage = null;
        if (!body.isEmpty()) {
            Descriptor type = bodyType(method, body);
            bodyMessage = type == null ? null : type.getFullName();
        }
        return new Binding(rpc, http.verb(), path.segments(), path.verb(), body, bodyMessage,
                queryParameters(method.getInputType(), path.variables(), body));
    }

    /** The message the JSON body holds, or null when the body field is not a message. */
    private static Descriptor bodyType(MethodDescriptor method, String body) {
        if (body.equals("*")) {
            return method.getInputType();
        }
        FieldDescriptor field = method.getInputType().findFieldByName(body);
        if (field == null) {
            throw new IllegalArgumentException(method.getFullName() + ": no body field " + body);
        }
        return field.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !field.isMapField()
                && !field.getMessageType().getFullName().startsWith(OPAQUE_PACKAGE) ? field.getMessageType() : null;
    }

    /**
     * Per google/api/http.proto: with no body, or a body naming one field, every other field not
     * bound in the path is a query parameter (leaves by dotted path); with body "*", none is.
     */
    private static Map<String, QueryParameter> queryParameters(Descriptor request, Set<String> pathFields, String body) {
        Map<String, QueryParameter> query = new TreeMap<>();
        if (!body.equals("*")) {
            addQueryParameters(request, List.of(), List.of(), List.of(), pathFields, body, query, new ArrayDeque<>());
        }
        return query;
    }

    private static void addQueryParameters(Descriptor message, List<String> protoPath, List<String> jsonPath,
                                           List<List<String>> spellings, Set<String> pathFields, String body, Map<String, QueryParameter> query,
                                           Deque<String> chain) {
        if (protoPath.size() >= MAX_QUERY_DEPTH || chain.contains(message.getFullName())) {
            return;
        }
        chain.push(message.getFullName());
        for (FieldDescriptor field : message.getFields()) {
            List<String> fieldPath = new ArrayList<>(protoPath);
            fieldPath.add(field.getName());
            List<String> fieldJsonPath = new ArrayList<>(jsonPath);
            fieldJsonPath.add(field.getJsonName());
            String dotted = String.join(".", fieldPath);
            if (dotted.equals(body) || pathFields.contains(dotted) || field.isMapField()) {
                continue;
            }
            List<List<String>> names = new ArrayList<>();
            for (String spelling : spellingsOf(field)) {
                if (spellings.isEmpty()) {
                    names.add(List.of(spelling));
                }
                for (List<String> prefix : spellings) {
                    List<String> name = new ArrayList<>(prefix);
                    name.add(spelling);
                    names.add(name);
                }
            }
            boolean isMessage = field.getJavaType() == FieldDescriptor.JavaType.MESSAGE;
            if (isMessage && !field.getMessageType().getFullName().startsWith(OPAQUE_PACKAGE)) {
                if (!field.isRepeated()) {
                    addQueryParameters(field.getMessageType(), fieldPath, fieldJsonPath, names, pathFields, body, query,
                            chain);
                }
                continue;
            }
            for (List<String> name : names) {
                String spelling = String.join(".", name);
                query.put(spelling, new QueryParameter(spelling, dotted, String.join(".", fieldJsonPath),
                        field.isRepeated()));
            }
        }
        chain.pop();
    }

    /** The keys the proto3 JSON mapping accepts for a field: its json_name, and its proto name. */
    private static List<String> spellingsOf(FieldDescriptor field) {
        return field.getJsonName().equals(field.getName()) ? List.of(field.getName())
                : List.of(field.getJsonName(), field.getName());
    }

    /** Every message reachable from the bodies, each with its JSON keys. */
    private static Map<String, Map<String, Field>> reachable(Deque<Descriptor> todo) {
        Map<String, Map<String, Field>> messages = new TreeMap<>();
        while (!todo.isEmpty()) {
            Descriptor message = todo.pop();
            if (messages.containsKey(message.getFullName())) {
                continue;
            }
            Map<String, Field> keys = new TreeMap<>();
            for (FieldDescriptor field : message.getFields()) {
                Descriptor child = null;
                boolean map = field.isMapField();
                if (map) {
                    FieldDescriptor value = field.getMessageType().findFieldByName("value");
                    child = value.getJavaType() == FieldDescriptor.JavaType.MESSAGE ? value.getMessageType() : null;
                } else if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
                    child = field.getMessageType();
                }
                if (child != null && child.getFullName().startsWith(OPAQUE_PACKAGE)) {
                    child = null;
                }
                if (child != null) {
                    todo.add(child);
                }
                OneofDescriptor oneof = field.getRealContainingOneof();
                String slot = oneof != null ? oneof.getName() : field.getName();
                for (String spelling : spellingsOf(field)) {
                    keys.put(spelling, new Field(field.getName(), field.getJsonName(), slot, oneof != null,
                            child == null ? null : child.getFullName(), map));
                }
            }
            messages.put(message.getFullName(), keys);
        }
        return messages;
    }
}
