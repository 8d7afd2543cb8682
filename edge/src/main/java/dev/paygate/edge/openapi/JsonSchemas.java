package dev.paygate.edge.openapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.paygate.contract.FieldConstraints;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * JSON Schemas for protobuf messages as the proto3 JSON mapping renders them, which is what
 * Envoy's transcoder prints ({@code preserve_proto_field_names: false}) and parses: fields by
 * their {@code json_name} (lowerCamel unless set), 64-bit integers as decimal strings, enums by
 * value name, Timestamp as an RFC 3339 string, Any with an {@code @type}, maps as objects.
 * Messages become components named by their full name and are referenced, so each is written once.
 */
final class JsonSchemas {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    /** Well-known types whose JSON form is not an object of their fields; null for the others. */
    private static ObjectNode wellKnown(String fullName) {
        return switch (fullName) {
            case "google.protobuf.Timestamp" -> JSON.objectNode().put("type", "string").put("format", "date-time");
            case "google.protobuf.Duration" -> JSON.objectNode().put("type", "string").put("pattern", "^-?[0-9]+(\\.[0-9]{1,9})?s$");
            case "google.protobuf.FieldMask" -> JSON.objectNode().put("type", "string");
            case "google.protobuf.Empty" -> JSON.objectNode().put("type", "object");
            case "google.protobuf.Struct" -> JSON.objectNode().put("type", "object");
            case "google.protobuf.Value" -> JSON.objectNode();
            case "google.protobuf.Any" -> any();
            default -> null;
        };
    }

    private final Map<String, JsonNode> components = new TreeMap<>();

    /** The components written so far, by full message name. */
    Map<String, JsonNode> components() {
        return components;
    }

    /** A reference to the message's schema (written into the components on first use). */
    ObjectNode ref(Descriptor message) {
        ObjectNode wellKnown = wellKnown(message.getFullName());
        if (wellKnown != null) {
            return wellKnown;
        }
        if (!components.containsKey(message.getFullName())) {
            components.put(message.getFullName(), JSON.nullNode());  // guards recursion
            components.put(message.getFullName(), object(message, field -> true));
        }
        return JSON.objectNode().put("$ref", "#/components/schemas/" + message.getFullName());
    }

    /** An inline object of some of the message's fields (a request body of {@code body: "*"}). */
    ObjectNode object(Descriptor message, Predicate<FieldDescriptor> include) {
        ObjectNode schema = JSON.objectNode().put("type", "object");
        String description = Comments.of(message);
        if (!description.isEmpty()) {
            schema.put("description", description);
        }
        ObjectNode properties = schema.putObject("properties");
        ArrayNode required = JSON.arrayNode();
        for (FieldDescriptor field : message.getFields()) {
            if (!include.test(field)) {
                continue;
            }
            properties.set(field.getJsonName(), field(field));
            if (FieldConstraints.required(field)) {
                required.add(field.getJsonName());
            }
        }
        if (!required.isEmpty()) {
            schema.set("required", required);
        }
        return schema;
    }

    /** The schema of one field as a JSON property: its value, or null when the field is optional input. */
    ObjectNode field(FieldDescriptor field) {
        ObjectNode schema = value(field);
        if (!FieldConstraints.required(field) && !FieldConstraints.outputOnly(field)) {
            return nullable(schema);
        }
        return schema;
    }

    /** The schema of one field's value (also as a query parameter, where null cannot be said). */
    ObjectNode value(FieldDescriptor field) {
        ObjectNode schema;
        if (field.isMapField()) {
            FieldDescriptor value = field.getMessageType().findFieldByName("value");
            schema = JSON.objectNode().put("type", "object");
            schema.set("additionalProperties", single(value));
        } else if (field.isRepeated()) {
            schema = JSON.objectNode().put("type", "array");
            schema.set("items", single(field));
        } else {
            schema = single(field);
        }
        String description = Comments.of(field);
        if (!description.isEmpty()) {
            schema.put("description", description);
        }
        if (FieldConstraints.outputOnly(field)) {
            schema.put("readOnly", true);
        }
        // Next to a $ref only the description; CEL rules on its fields become an allOf (CelRules).
        Constraints.apply(field, schema);
        return schema;
    }

    /**
     * The proto3 JSON mapping reads {@code null} as "not set" for any field, and the transcoder
     * follows it; for an optional input field that is a valid request, so the schema says so.
     * (Responses never contain null.)
     */
    private static ObjectNode nullable(ObjectNode schema) {
        ObjectNode wrapper = JSON.objectNode();
        if (schema.has("description")) {
            wrapper.set("description", schema.remove("description"));
        }
        ArrayNode anyOf = wrapper.putArray("anyOf");
        anyOf.add(schema);
        anyOf.addObject().put("type", "null");
        return wrapper;
    }

    private ObjectNode single(FieldDescriptor field) {
        return switch (field.getJavaType()) {
            case INT -> JSON.objectNode().put("type", "integer").put("format", unsigned(field) ? "uint32" : "int32");
            // The proto3 JSON mapping writes 64-bit integers as strings (JavaScript loses precision
            // above 2^53); the transcoder prints them so and accepts both forms.
            case LONG -> JSON.objectNode().put("type", "string").put("format", unsigned(field) ? "uint64" : "int64")
                    .put("pattern", unsigned(field) ? "^[0-9]+$" : "^-?[0-9]+$");
            case FLOAT -> JSON.objectNode().put("type", "number").put("format", "float");
            case DOUBLE -> JSON.objectNode().put("type", "number").put("format", "double");
            case BOOLEAN -> JSON.objectNode().put("type", "boolean");
            case STRING -> JSON.objectNode().put("type", "string");
            case BYTE_STRING -> JSON.objectNode().put("type", "string").put("format", "byte");
            case ENUM -> enumeration(field.getEnumType());
            case MESSAGE -> ref(field.getMessageType());
        };
    }

    private static ObjectNode enumeration(EnumDescriptor type) {
        ObjectNode schema = JSON.objectNode().put("type", "string");
        ArrayNode names = schema.putArray("enum");
        StringBuilder description = new StringBuilder(Comments.of(type));
        for (EnumValueDescriptor value : type.getValues()) {
            names.add(value.getName());
        }
        if (!description.isEmpty()) {
            schema.put("description", description.toString());
        }
        return schema;
    }

    private static boolean unsigned(FieldDescriptor field) {
        return List.of(FieldDescriptor.Type.UINT32, FieldDescriptor.Type.FIXED32, FieldDescriptor.Type.UINT64,
                FieldDescriptor.Type.FIXED64).contains(field.getType());
    }

    /** google.protobuf.Any in JSON: {"@type": "type.googleapis.com/...", ...the message's fields}. */
    private static ObjectNode any() {
        ObjectNode schema = JSON.objectNode().put("type", "object");
        schema.putObject("properties").putObject("@type").put("type", "string");
        schema.putArray("required").add("@type");
        schema.put("additionalProperties", true);
        return schema;
    }
}
