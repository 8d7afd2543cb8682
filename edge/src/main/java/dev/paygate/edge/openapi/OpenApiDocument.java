package dev.paygate.edge.openapi;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.DescriptorProtos.MethodOptions.IdempotencyLevel;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The OpenAPI 3.1 document of the REST surface Envoy serves for paygate.v1, generated from the
 * descriptor set Envoy's transcoder loads. Paths come from the google.api.http bindings (made
 * concrete by the resource patterns), schemas from the messages (proto3 JSON mapping), and the
 * edge's behaviour that no proto states (error codes, rate-limit headers, Idempotency-Key, bearer
 * tokens with scopes) from the rules below, which the end-to-end tests hold the edge to.
 */
public final class OpenApiDocument {

    /** Scope a token needs for a side-effect-free rpc, and for every other one. */
    public static final String READ_SCOPE = "payments.read";
    public static final String WRITE_SCOPE = "payments.write";

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final String STATUS = "google.rpc.Status";
    private static final List<String> ERROR_DETAILS = List.of("google.rpc.ErrorInfo", "google.rpc.BadRequest", "google.rpc.RetryInfo");

    /** The one error whose reply has no body (see its description). */
    private static final String BODILESS_ERROR = "431";

    /** Every error an operation can answer, and when; writes add 409 and 413. */
    private static final Map<String, String> READ_ERRORS = new LinkedHashMap<>();
    private static final Map<String, String> WRITE_ERRORS = new LinkedHashMap<>();

    static {
        READ_ERRORS.put("400", "INVALID_ARGUMENT (a field violates the contract: `BadRequest.fieldViolations` says which), "
                + "FAILED_PRECONDITION (e.g. capturing an authorization that is not APPROVED), or a request the edge "
                + "could not map (malformed JSON, an unknown field or query parameter: `ErrorInfo.reason` MALFORMED_REQUEST).");
        READ_ERRORS.put("401", "UNAUTHENTICATED: no `Authorization: Bearer` token, or one that is expired, not yet valid, "
                + "badly signed or for another audience.");
        READ_ERRORS.put("403", "PERMISSION_DENIED: the token lacks the operation's scope, or the resource belongs to "
                + "another client.");
        READ_ERRORS.put("404", "NOT_FOUND: no such account or authorization, or no operation at this path and method.");
        READ_ERRORS.put("408", "The whole request did not arrive within 5 s (`ErrorInfo.reason` REQUEST_TIMEOUT); "
                + "nothing was done.");
        READ_ERRORS.put("431", "The request line and headers are over 16 KiB, or there are more than 64 headers: "
                + "shorten the query string or the headers. Envoy's HTTP codec refuses these before any filter "
                + "runs, so the reply has no body (schemathesis found this; the JSON error mapping never sees it).");
        READ_ERRORS.put("429", "RESOURCE_EXHAUSTED: the caller's rate-limit bucket is empty; `x-ratelimit-reset` and "
                + "`RetryInfo` say when to retry. Never retried by the edge.");
        READ_ERRORS.put("503", "UNAVAILABLE: no healthy replica answered; retry with back-off (`RetryInfo`).");
        READ_ERRORS.put("504", "DEADLINE_EXCEEDED: the route's budget (or the caller's shorter grpc-timeout) ran out. "
                + "For a write the outcome is unknown: retry only with the same `Idempotency-Key`.");
        WRITE_ERRORS.putAll(READ_ERRORS);
        WRITE_ERRORS.put("409", "ALREADY_EXISTS (`IDEMPOTENCY_KEY_REUSED`: the key was used with a different request; "
                + "nothing changed) or ABORTED (a concurrent change won; retry with the same key).");
        WRITE_ERRORS.put("413", "The body is larger than 64 KiB (`ErrorInfo.reason` REQUEST_TOO_LARGE).");
    }

    private final Contract contract;
    private final JsonSchemas schemas = new JsonSchemas();

    private OpenApiDocument(Contract contract) {
        this.contract = contract;
    }

    public static ObjectNode generate(Contract contract) {
        return new OpenApiDocument(contract).document();
    }

    /** The scope an rpc requires: reads need {@link #READ_SCOPE}, everything else {@link #WRITE_SCOPE}. */
    public static String scope(MethodDescriptor method) {
        return method.getOptions().getIdempotencyLevel() == IdempotencyLevel.NO_SIDE_EFFECTS ? READ_SCOPE : WRITE_SCOPE;
    }

    private ObjectNode document() {
        ObjectNode document = JSON.objectNode().put("openapi", "3.1.0");
        ObjectNode info = document.putObject("info");
        info.put("title", "Paygate API");
        info.put("version", Contract.PACKAGE);
        info.put("description", """
                Card-payment authorization against account credit limits. Generated by the build from the \
                `paygate.v1` protobuf contract that Envoy transcodes REST/JSON with; the same operations \
                are served as gRPC on the same port.

                Every operation needs `Authorization: Bearer <JWT>` with scope `payments.read` (reads) or \
                `payments.write` (writes). Send `Idempotency-Key` (or `requestId`) on every write: a repeat \
                with the same key returns the first result, so only keyed writes are safe to retry (the edge \
                retries an unkeyed write only when no replica can have received it). Errors are a JSON `google.rpc.Status` (AIP-193) whose details \
                hold an `ErrorInfo` and, where they help, `BadRequest` or `RetryInfo`.""");
        document.putArray("servers").addObject().put("url", "/").put("description", "this edge");
        document.putArray("security").addObject().putArray("bearerAuth");

        ArrayNode tags = document.putArray("tags");
        ObjectNode paths = document.putObject("paths");
        for (ServiceDescriptor service : contract.services()) {
            tags.addObject().put("name", service.getName()).put("description", Comments.of(service));
            for (MethodDescriptor method : service.getMethods()) {
                HttpBinding binding = HttpBinding.of(method, contract.files());
                ObjectNode path = paths.has(binding.path()) ? (ObjectNode) paths.get(binding.path()) : paths.putObject(binding.path());
                if (path.has(binding.verb())) {
                    throw new IllegalStateException("two rpcs bound to " + binding.verb() + " " + binding.path());
                }
                path.set(binding.verb(), operation(method, binding));
            }
        }
        document.set("components", components());
        return document;
    }

    private ObjectNode operation(MethodDescriptor method, HttpBinding binding) {
        boolean write = !binding.verb().equals("get");
        ObjectNode operation = JSON.objectNode();
        operation.putArray("tags").add(method.getService().getName());
        operation.put("operationId", method.getService().getName() + "_" + method.getName());
        operation.put("summary", firstSentence(Comments.of(method)));
        operation.put("description", Comments.of(method));
        operation.put("x-grpc-method", method.getService().getFullName() + "/" + method.getName());
        operation.putArray("security").addObject().putArray("bearerAuth").add(scope(method));

        ArrayNode parameters = operation.putArray("parameters");
        for (HttpBinding.PathParam param : binding.pathParams()) {
            ObjectNode parameter = parameters.addObject().put("name", param.name()).put("in", "path").put("required", true);
            parameter.put("description", "A segment of `" + param.field() + "`: " + Comments.of(method.getInputType().findFieldByName(param.field())));
            parameter.putObject("schema").put("type", "string").put("pattern", param.regex());
        }
        for (FieldDescriptor field : binding.queryFields(method.getInputType())) {
            if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
                throw new IllegalStateException(method.getFullName() + ": message field " + field.getName()
                        + " as query parameters is not supported yet");
            }
            ObjectNode schema = schemas.value(field);
            if (field.getJavaType() == FieldDescriptor.JavaType.ENUM) {
                schema = acceptNumbers(schema);
            }
            ObjectNode parameter = parameters.addObject().put("name", field.getJsonName()).put("in", "query");
            parameter.put("required", Constraints.required(field));
            parameter.put("description", schema.path("description").asText(""));
            schema.remove("description");
            parameter.set("schema", schema);
        }
        if (write) {
            parameters.addObject().put("$ref", "#/components/parameters/IdempotencyKey");
        }
        if (!binding.body().isEmpty()) {
            // The transcoder takes a POST without a body as an empty message: the body is
            // required only when a field in it is.
            ObjectNode body = operation.putObject("requestBody").put("required", bodyRequired(method.getInputType(), binding));
            body.putObject("content").putObject("application/json").set("schema", requestBody(method.getInputType(), binding));
        }

        ObjectNode responses = operation.putObject("responses");
        ObjectNode ok = responses.putObject("200").put("description", "OK: " + method.getOutputType().getName());
        ok.set("headers", rateLimitHeaders());
        ok.putObject("content").putObject("application/json").set("schema", schemas.ref(method.getOutputType()));
        (write ? WRITE_ERRORS : READ_ERRORS).forEach((code, description) -> {
            ObjectNode error = responses.putObject(code).put("description", description);
            if (code.equals("429")) {
                error.set("headers", rateLimitHeaders());
            }
            if (!code.equals(BODILESS_ERROR)) {
                error.putObject("content").putObject("application/json").putObject("schema").put("$ref", "#/components/schemas/" + STATUS);
            }
        });
        return operation;
    }

    private ObjectNode requestBody(Descriptor request, HttpBinding binding) {
        if (binding.body().equals("*")) {
            ObjectNode schema = schemas.object(request, field -> !binding.pathFields().contains(field.getName()));
            schema.put("additionalProperties", false);  // the edge rejects keys the contract lacks
            return schema;
        }
        FieldDescriptor field = request.findFieldByName(binding.body());
        if (field == null) {
            throw new IllegalStateException(request.getFullName() + " has no body field " + binding.body());
        }
        return schemas.field(field);
    }

    private static boolean bodyRequired(Descriptor request, HttpBinding binding) {
        if (binding.body().equals("*")) {
            return request.getFields().stream()
                    .filter(field -> !binding.pathFields().contains(field.getName()))
                    .anyMatch(Constraints::required);
        }
        return Constraints.required(request.findFieldByName(binding.body()));
    }

    /** The proto3 JSON mapping parses an enum from its name or its number; it prints the name. */
    private static ObjectNode acceptNumbers(ObjectNode enumSchema) {
        ObjectNode schema = JSON.objectNode();
        if (enumSchema.has("description")) {
            schema.set("description", enumSchema.remove("description"));
        }
        ArrayNode anyOf = schema.putArray("anyOf");
        anyOf.add(enumSchema);
        anyOf.addObject().put("type", "integer").put("format", "int32");
        return schema;
    }

    private static ObjectNode rateLimitHeaders() {
        ObjectNode headers = JSON.objectNode();
        headers.putObject("x-ratelimit-limit").put("$ref", "#/components/headers/x-ratelimit-limit");
        headers.putObject("x-ratelimit-remaining").put("$ref", "#/components/headers/x-ratelimit-remaining");
        headers.putObject("x-ratelimit-reset").put("$ref", "#/components/headers/x-ratelimit-reset");
        return headers;
    }

    private ObjectNode components() {
        ObjectNode components = JSON.objectNode();
        ObjectNode security = components.putObject("securitySchemes").putObject("bearerAuth");
        security.put("type", "http").put("scheme", "bearer").put("bearerFormat", "JWT");
        security.put("description", "A JWT from Paygate's issuer; its `scope` claim lists `" + READ_SCOPE + "` and/or `"
                + WRITE_SCOPE + "`. Envoy checks signature, expiry and audience before any call reaches the service.");

        ObjectNode key = components.putObject("parameters").putObject("IdempotencyKey");
        key.put("name", "Idempotency-Key").put("in", "header").put("required", false);
        key.put("description", "Makes the write idempotent (AIP-155): a repeat with the same key and request returns the "
                + "first result, also after a restart; the same key with a different request is a 409. Keys are scoped "
                + "per account and kept 48 hours. Without one the edge retries the write only when no replica can have received it. Equivalent to "
                + "`requestId`; when both are sent they must be equal. An empty, blank or longer key is a 400.");
        key.putObject("schema").put("type", "string").put("minLength", 1).put("maxLength", 255).put("pattern", "^[!-~]+$");

        ObjectNode headers = components.putObject("headers");
        header(headers, "x-ratelimit-limit", "The size of the caller's bucket (IETF RateLimit header draft 03).");
        header(headers, "x-ratelimit-remaining", "Calls left in the caller's bucket.");
        header(headers, "x-ratelimit-reset", "Seconds until the bucket refills.");

        ObjectNode all = components.putObject("schemas");
        for (String detail : ERROR_DETAILS) {
            schemas.ref(message(detail));
        }
        schemas.components().forEach(all::set);
        all.set(STATUS, status());
        return components;
    }

    private static void header(ObjectNode headers, String name, String description) {
        headers.putObject(name).put("description", description).putObject("schema").put("type", "string");
    }

    /** google.rpc.Status in JSON, the body of every error (from the service or from Envoy itself). */
    private static ObjectNode status() {
        ObjectNode schema = JSON.objectNode().put("type", "object");
        schema.put("description", "An error (AIP-193). `details` holds a `google.rpc.ErrorInfo` (stable `reason`, domain "
                + "`paygate.dev`) and, where they help, `google.rpc.BadRequest` or `google.rpc.RetryInfo`; each "
                + "detail carries its `@type`, e.g. `type.googleapis.com/google.rpc.ErrorInfo`.");
        ObjectNode properties = schema.putObject("properties");
        properties.putObject("code").put("type", "integer").put("format", "int32")
                .put("description", "The gRPC status code, e.g. 3 for INVALID_ARGUMENT.");
        properties.putObject("message").put("type", "string").put("description", "For developers, in English.");
        ObjectNode details = properties.putObject("details").put("type", "array");
        ObjectNode item = details.putObject("items").put("type", "object");
        item.putObject("properties").putObject("@type").put("type", "string");
        item.putArray("required").add("@type");
        schema.putArray("required").add("code").add("message");
        return schema;
    }

    private Descriptor message(String fullName) {
        for (FileDescriptor file : contract.files()) {
            for (Descriptor message : file.getMessageTypes()) {
                if (message.getFullName().equals(fullName)) {
                    return message;
                }
            }
        }
        throw new IllegalStateException("descriptor set lacks " + fullName);
    }

    private static String firstSentence(String text) {
        int end = text.indexOf(". ");
        return (end < 0 ? text : text.substring(0, end + 1)).strip();
    }
}
