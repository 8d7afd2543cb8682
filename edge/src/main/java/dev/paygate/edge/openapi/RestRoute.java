package dev.paygate.edge.openapi;

import com.google.api.ResourceDescriptor;
import com.google.api.ResourceProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import dev.paygate.contract.FieldConstraints;
import dev.paygate.contract.HttpBinding;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One google.api.http binding of an rpc ({@link HttpBinding}) as a concrete REST route. The
 * transcoder binds {@code /v1/{name=accounts/*}} to the field {@code name}; a client needs
 * {@code /v1/accounts/{account}}, so each {@code *} is named after the segment of the resource
 * pattern ({@code google.api.resource}) of the field's resource type.
 *
 * @param verb         lower-case HTTP method
 * @param path         the concrete OpenAPI path, e.g. {@code /v1/accounts/{account}/authorizations}
 * @param template     the binding's own template, e.g. {@code /v1/{parent=accounts/*}/authorizations}
 * @param body         the binding's body: "" (none), "*" (every other field) or one field's name
 * @param pathFields   the request fields the path carries (top-level names)
 * @param pathParams   the concrete path's parameters, in order
 */
record RestRoute(String verb, String path, String template, String body, List<String> pathFields,
                 List<PathParam> pathParams) {

    /** A variable segment of the concrete path, with the regex a value must match. */
    record PathParam(String name, String field, String regex) {
    }

    private static final Pattern VARIABLE = Pattern.compile("\\{([a-z_][a-z0-9_.]*)(?:=([^}]*))?}");

    /** OpenAPI names these HTTP methods; a custom kind outside them has no operation to be. */
    private static final List<String> OPENAPI_METHODS = List.of("get", "put", "post", "delete", "options", "head",
            "patch", "trace");

    static RestRoute of(MethodDescriptor method, HttpBinding binding, Iterable<FileDescriptor> files) {
        String verb = binding.verb().toLowerCase(Locale.ROOT);
        if (!OPENAPI_METHODS.contains(verb)) {
            throw new IllegalStateException(method.getFullName() + ": OpenAPI has no HTTP method " + binding.verb());
        }
        String template = binding.template();

        StringBuilder path = new StringBuilder();
        List<String> pathFields = new ArrayList<>();
        List<PathParam> params = new ArrayList<>();
        Matcher variable = VARIABLE.matcher(template);
        int last = 0;
        while (variable.find()) {
            path.append(template, last, variable.start());
            String fieldName = variable.group(1);
            if (fieldName.contains(".")) {
                throw new IllegalStateException(method.getFullName() + ": nested path fields are not supported yet");
            }
            FieldDescriptor field = method.getInputType().findFieldByName(fieldName);
            if (field == null) {
                throw new IllegalStateException(method.getFullName() + ": path variable " + fieldName + " is no field");
            }
            pathFields.add(fieldName);
            String segments = variable.group(2) == null ? "*" : variable.group(2);
            path.append(concrete(method, field, segments, files, params));
            last = variable.end();
        }
        path.append(template.substring(last));
        return new RestRoute(verb, path.toString(), template, binding.body(), pathFields, params);
    }

    /** Fields of the request that travel as query parameters (neither in the path nor the body). */
    List<FieldDescriptor> queryFields(Descriptor request) {
        if (body.equals("*")) {
            return List.of();
        }
        return request.getFields().stream()
                .filter(field -> !pathFields.contains(field.getName()))
                .filter(field -> !field.getName().equals(body))
                .toList();
    }

    private static String concrete(MethodDescriptor method, FieldDescriptor field, String segments,
                                   Iterable<FileDescriptor> files, List<PathParam> params) {
        String[] template = segments.split("/");
        String[] names = resourcePattern(field, files).split("/");
        String[] regexes = segmentRegexes(field, template.length);
        if (names.length != template.length) {
            throw new IllegalStateException(method.getFullName() + ": " + field.getName() + "=" + segments
                    + " does not match its resource pattern " + String.join("/", names));
        }
        StringBuilder concrete = new StringBuilder();
        for (int i = 0; i < template.length; i++) {
            if (i > 0) {
                concrete.append('/');
            }
            if (template[i].equals("*")) {
                String name = names[i];
                if (!name.startsWith("{") || !name.endsWith("}")) {
                    throw new IllegalStateException(method.getFullName() + ": segment " + i + " of " + segments
                            + " is a variable but the resource pattern has " + name);
                }
                String param = name.substring(1, name.length() - 1);
                params.add(new PathParam(param, field.getName(), regexes[i]));
                concrete.append('{').append(param).append('}');
            } else if (template[i].equals(names[i])) {
                concrete.append(template[i]);
            } else {
                throw new IllegalStateException(method.getFullName() + ": " + segments
                        + " does not match its resource pattern at " + template[i]);
            }
        }
        return concrete.toString();
    }

    /** The pattern of the resource type the field references, e.g. accounts/{account}. */
    private static String resourcePattern(FieldDescriptor field, Iterable<FileDescriptor> files) {
        String type = field.getOptions().getExtension(ResourceProto.resourceReference).getType();
        if (type.isEmpty()) {
            throw new IllegalStateException(field.getFullName() + " is bound to the path but has no google.api.resource_reference");
        }
        for (FileDescriptor file : files) {
            for (Descriptor message : file.getMessageTypes()) {
                ResourceDescriptor resource = message.getOptions().getExtension(ResourceProto.resource);
                if (resource.getType().equals(type) && resource.getPatternCount() > 0) {
                    return resource.getPattern(0);
                }
            }
        }
        throw new IllegalStateException("no message declares the resource " + type);
    }

    /**
     * Per-segment regexes cut from the field's buf.validate pattern when it is a plain
     * {@code ^seg/seg/...$} (as paygate.v1's name patterns are); any non-empty segment otherwise.
     */
    private static String[] segmentRegexes(FieldDescriptor field, int count) {
        String pattern = FieldConstraints.stringPattern(field);
        String[] regexes = new String[count];
        if (pattern.startsWith("^") && pattern.endsWith("$")) {
            String[] parts = pattern.substring(1, pattern.length() - 1).split("/");
            if (parts.length == count) {
                for (int i = 0; i < count; i++) {
                    regexes[i] = "^" + parts[i] + "$";
                }
                return regexes;
            }
        }
        java.util.Arrays.fill(regexes, "^[^/]+$");
        return regexes;
    }
}
