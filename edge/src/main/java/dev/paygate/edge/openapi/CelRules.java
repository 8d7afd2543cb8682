package dev.paygate.edge.openapi;

import build.buf.validate.Rule;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Descriptors.FieldDescriptor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parts of a field's CEL rules that JSON Schema can say: every top-level conjunct of the form
 * {@code this.f.matches('re')} or {@code this.f <op> integer} ({@code this} alone for the field
 * itself, {@code this.f} for a field of its message), as a pattern or bounds on that field. A
 * conjunct is a necessary condition, so keeping only these never admits what the rule refuses;
 * anything else ({@code ||}, calls, other fields) stays in the rule's prose.
 */
final class CelRules {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final Pattern MATCHES = Pattern.compile("this(?:\\.(\\w+))?\\.matches\\('((?:[^'\\\\]|\\\\.)*)'\\)");
    private static final Pattern COMPARE = Pattern.compile("this(?:\\.(\\w+))?\\s*(>=|>|<=|<|==)\\s*(-?[0-9]+)");

    /** What the conjuncts say of one field: a pattern and inclusive bounds, each possibly absent. */
    private static final class Target {
        String pattern;
        Long min;
        Long max;
    }

    private CelRules() {
    }

    /**
     * Adds the expressible conjuncts of the rules to the field's schema: on the field itself, or,
     * for a message field, as an {@code allOf} of its {@code $ref} and the constraints on its fields.
     */
    static void apply(FieldDescriptor field, List<Rule> rules, ObjectNode schema) {
        Map<String, Target> targets = new LinkedHashMap<>();
        for (Rule rule : rules) {
            for (String conjunct : conjuncts(rule.getExpression())) {
                read(conjunct, targets);
            }
        }
        ObjectNode properties = JSON.objectNode();
        var required = JSON.arrayNode();
        targets.forEach((name, target) -> {
            if (name.isEmpty()) {
                constrain(field, target, schema);
            } else if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
                FieldDescriptor sub = field.getMessageType().findFieldByName(name);
                if (sub != null) {
                    ObjectNode subSchema = JSON.objectNode();
                    constrain(sub, target, subSchema);
                    if (!subSchema.isEmpty()) {
                        properties.set(sub.getJsonName(), subSchema);
                    }
                    if (zeroRefused(sub, target)) {
                        // Absent or null reads as the zero value, which the rule refuses.
                        subSchema.put("type", sub.getJavaType() == FieldDescriptor.JavaType.INT ? "integer" : "string");
                        required.add(sub.getJsonName());
                    }
                }
            }
        });
        if (!properties.isEmpty() && schema.has("$ref")) {
            var allOf = schema.putArray("allOf");
            allOf.addObject().set("$ref", schema.remove("$ref"));
            ObjectNode fields = allOf.addObject();
            fields.set("properties", properties);
            if (!required.isEmpty()) {
                fields.set("required", required);
            }
        }
    }

    /** The top-level operands of {@code &&}, outside parentheses and string literals. */
    static List<String> conjuncts(String expression) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        int start = 0;
        boolean quoted = false;
        for (int i = 0; i < expression.length(); i++) {
            char c = expression.charAt(i);
            if (c == '\\' && quoted) {
                i++;
            } else if (c == '\'') {
                quoted = !quoted;
            } else if (!quoted && (c == '(' || c == ')')) {
                depth += c == '(' ? 1 : -1;
            } else if (!quoted && depth == 0 && expression.startsWith("&&", i)) {
                parts.add(expression.substring(start, i).trim());
                start = i + 2;
                i++;
            }
        }
        parts.add(expression.substring(start).trim());
        return parts;
    }

    private static void read(String conjunct, Map<String, Target> targets) {
        Matcher matches = MATCHES.matcher(conjunct);
        if (matches.matches()) {
            target(targets, matches.group(1)).pattern = matches.group(2).replace("\\'", "'").replace("\\\\", "\\");
            return;
        }
        Matcher compare = COMPARE.matcher(conjunct);
        if (compare.matches()) {
            Target target = target(targets, compare.group(1));
            long value = Long.parseLong(compare.group(3));
            switch (compare.group(2)) {
                case ">=" -> target.min = max(target.min, value);
                case ">" -> target.min = max(target.min, value + 1);
                case "<=" -> target.max = min(target.max, value);
                case "<" -> target.max = min(target.max, value - 1);
                default -> {
                    target.min = max(target.min, value);
                    target.max = min(target.max, value);
                }
            }
        }
    }

    private static void constrain(FieldDescriptor field, Target target, ObjectNode schema) {
        switch (field.getJavaType()) {
            case STRING -> {
                if (target.pattern != null && !schema.has("pattern")) {
                    schema.put("pattern", target.pattern);
                }
            }
            case INT -> {
                if (target.min != null) {
                    schema.put("minimum", target.min);
                }
                if (target.max != null) {
                    schema.put("maximum", target.max);
                }
            }
            // 64-bit integers are decimal strings in JSON: bounds become a pattern where one is
            // short (from 0 or 1 up); other bounds stay in prose.
            case LONG -> {
                if (target.min != null && (target.min == 0 || target.min == 1)) {
                    schema.put("pattern", "^(" + DecimalRange.regex(target.min, target.max) + ")$");
                }
            }
            default -> {
            }
        }
    }

    /** Whether the field's zero value ("" or 0), which an absent or null field reads as, breaks a conjunct. */
    private static boolean zeroRefused(FieldDescriptor field, Target target) {
        return switch (field.getJavaType()) {
            case STRING -> target.pattern != null && !Pattern.compile(target.pattern).matcher("").find();
            case INT, LONG -> (target.min != null && target.min > 0) || (target.max != null && target.max < 0);
            default -> false;
        };
    }

    private static Target target(Map<String, Target> targets, String field) {
        return targets.computeIfAbsent(field == null ? "" : field, name -> new Target());
    }

    private static Long max(Long current, long value) {
        return current == null ? value : Math.max(current, value);
    }

    private static Long min(Long current, long value) {
        return current == null ? value : Math.min(current, value);
    }
}
