package dev.paygate.edge.generate;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import com.google.rpc.Status;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * envoy.yaml's {@code local_reply_config}, generated from the table in edge/local_replies.yaml
 * (its header describes a row): per row, a mapper that gives REST callers the google.rpc.Status as
 * JSON and, where the row says so, one that gives gRPC callers the same Status as grpc-status,
 * grpc-message and grpc-status-details-bin, so the two can never say different things.
 */
public final class LocalReplies {

    private static final String ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo";
    private static final String RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo";
    private static final String CEL_FILTER = "envoy.access_loggers.extension_filters.cel";
    private static final String CEL_TYPE =
            "type.googleapis.com/envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter";

    private LocalReplies() {
    }

    /** The {@code local_reply_config} block, as YAML lines without indentation. */
    public static String yaml(String table) {
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        options.setWidth(200);
        return new Yaml(options).dump(config(table)).stripTrailing();
    }

    /** The {@code local_reply_config} message as a tree. */
    public static Map<String, Object> config(String table) {
        Map<String, Object> parsed = new Yaml().load(table);
        String domain = (String) parsed.get("domain");
        Object rest = map(parsed, "conditions").get("rest");
        List<Object> mappers = new ArrayList<>();
        for (Object item : (List<?>) parsed.get("replies")) {
            Row row = new Row(cast(item), domain);
            List<Object> conditions = row.conditions();
            if (row.keepsEnvoysReply()) {
                mappers.add(mapper(conditions, linked()));
                continue;
            }
            String callers = (String) row.fields.getOrDefault("callers", "rest");
            List<Object> restConditions = new ArrayList<>(conditions);
            if (!callers.equals("all")) {
                restConditions.add(0, rest);
            }
            mappers.add(mapper(restConditions, row.json()));
            if (callers.equals("rest, grpc")) {
                mappers.add(mapper(conditions, row.grpc()));
            } else if (!callers.equals("rest") && !callers.equals("all")) {
                throw new IllegalArgumentException(row.name() + ": callers is rest, 'rest, grpc' or all, not " + callers);
            }
        }
        return linked("mappers", mappers);
    }

    private static Map<String, Object> mapper(List<Object> conditions, Map<String, Object> reply) {
        Map<String, Object> mapper = new LinkedHashMap<>();
        mapper.put("filter", conditions.size() == 1 ? conditions.get(0)
                : linked("and_filter", linked("filters", conditions)));
        mapper.putAll(reply);
        return expand(mapper);
    }

    /** A copy of the tree with every {@code cel: EXPR} written out as Envoy's CEL filter (and no shared nodes). */
    @SuppressWarnings("unchecked")
    private static <T> T expand(T node) {
        if (node instanceof Map<?, ?> map) {
            if (map.size() == 1 && map.get("cel") instanceof String expression) {
                return (T) linked("extension_filter", linked("name", CEL_FILTER,
                        "typed_config", linked("@type", CEL_TYPE, "expression", expression)));
            }
            Map<Object, Object> copy = new LinkedHashMap<>();
            map.forEach((key, value) -> copy.put(key, expand(value)));
            return (T) copy;
        }
        if (node instanceof List<?> list) {
            return (T) list.stream().map(LocalReplies::expand).toList();
        }
        return node;
    }

    /** One row of the table. */
    private record Row(Map<String, Object> fields, String domain) {

        String name() {
            return (String) fields.get("name");
        }

        boolean keepsEnvoysReply() {
            return !fields.containsKey("code");
        }

        /** The HTTP status test first (cheapest), then the row's own conditions. */
        List<Object> conditions() {
            List<Object> conditions = new ArrayList<>();
            Object status = fields.get("status");
            if (status instanceof List<?> codes) {
                conditions.add(linked("or_filter", linked("filters",
                        codes.stream().map(code -> statusIs("EQ", (Integer) code)).toList())));
            } else if (status != null) {
                conditions.add(statusIs("EQ", (Integer) status));
            }
            if (fields.get("status_at_least") instanceof Integer least) {
                conditions.add(statusIs("GE", least));
            }
            Object when = fields.get("when");
            if (when instanceof List<?> all) {
                conditions.addAll(all);
            } else if (when != null) {
                conditions.add(when);
            }
            if (conditions.isEmpty()) {
                throw new IllegalArgumentException(name() + " has neither status nor when: it would answer every reply");
            }
            return conditions;
        }

        /** Envoy requires a runtime key on the comparison; nothing sets these, so the default holds. */
        private static Map<String, Object> statusIs(String op, int code) {
            return linked("status_code_filter", linked("comparison", linked("op", op,
                    "value", linked("default_value", code, "runtime_key", "paygate.local_reply.status_" + code))));
        }

        Map<String, Object> json() {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("code", code().getNumber());
            body.put("message", fields.get("message"));
            List<Object> details = new ArrayList<>();
            details.add(linked("@type", ERROR_INFO, "reason", fields.get("reason"), "domain", domain));
            retry().ifPresent(delay -> details.add(linked("@type", RETRY_INFO, "retryDelay", delay)));
            body.put("details", details);
            Map<String, Object> reply = common(headers());
            reply.put("body_format_override", linked("content_type", "application/json", "json_format", body));
            return reply;
        }

        Map<String, Object> grpc() {
            List<Object> headers = headers();
            headers.add(header("grpc-status", String.valueOf(code().getNumber())));
            String message = (String) fields.get("message");
            // A message with a command operator (%...%) is only known at reply time: no fixed details then.
            if (!message.replace("%%", "").contains("%")) {
                headers.add(header("grpc-status-details-bin",
                        Base64.getEncoder().encodeToString(status(message.replace("%%", "%")).toByteArray())));
            }
            Map<String, Object> reply = common(headers);
            reply.put("body_format_override", linked("text_format_source", linked("inline_string", message)));
            return reply;
        }

        private Map<String, Object> common(List<Object> headers) {
            Map<String, Object> reply = new LinkedHashMap<>();
            if (fields.containsKey("reply_status")) {
                reply.put("status_code", fields.get("reply_status"));
            }
            if (!headers.isEmpty()) {
                reply.put("headers_to_add", headers);
            }
            return reply;
        }

        private Status status(String message) {
            Status.Builder status = Status.newBuilder().setCode(code().getNumber()).setMessage(message)
                    .addDetails(Any.pack(ErrorInfo.newBuilder().setReason((String) fields.get("reason"))
                            .setDomain(domain).build()));
            retry().ifPresent(delay -> status.addDetails(Any.pack(RetryInfo.newBuilder()
                    .setRetryDelay(Duration.newBuilder().setSeconds(seconds(delay))).build())));
            return status.build();
        }

        private Code code() {
            return Code.valueOf((String) fields.get("code"));
        }

        private java.util.Optional<String> retry() {
            return java.util.Optional.ofNullable((String) fields.get("retry"));
        }

        private List<Object> headers() {
            List<Object> headers = new ArrayList<>();
            if (fields.get("headers") instanceof Map<?, ?> map) {
                map.forEach((name, value) -> headers.add(header((String) name, (String) value)));
            }
            return headers;
        }

        private static Map<String, Object> header(String name, String value) {
            return linked("header", linked("key", name, "value", value), "append_action", "OVERWRITE_IF_EXISTS_OR_ADD");
        }

        private long seconds(String delay) {
            if (!delay.matches("\\d+s")) {
                throw new IllegalArgumentException(name() + ": retry is whole seconds, such as 1s, not " + delay);
            }
            return Long.parseLong(delay.substring(0, delay.length() - 1));
        }
    }

    private static Map<String, Object> linked(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }

    private static Map<String, Object> map(Map<String, Object> owner, String key) {
        if (!(owner.get(key) instanceof Map<?, ?> value)) {
            throw new IllegalArgumentException("local_replies.yaml: expected a mapping at " + key);
        }
        return cast(value);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Object value) {
        return (Map<String, Object>) value;
    }
}
