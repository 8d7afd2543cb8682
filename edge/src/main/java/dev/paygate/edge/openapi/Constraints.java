package dev.paygate.edge.openapi;

import build.buf.validate.FieldRules;
import build.buf.validate.Ignore;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.paygate.contract.FieldConstraints;

/**
 * A field's buf.validate rules ({@link FieldConstraints}) as JSON Schema keywords where JSON
 * Schema can say the same thing (patterns, lengths, ranges); CEL rules stay in prose.
 */
final class Constraints {

    private static final String UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";

    private Constraints() {
    }

    /** Adds what JSON Schema can check to a field's schema. */
    static void apply(FieldDescriptor field, ObjectNode schema) {
        FieldRules rules = FieldConstraints.rules(field);
        boolean emptyAllowed = rules.getIgnore() == Ignore.IGNORE_IF_ZERO_VALUE;
        if (rules.hasString()) {
            var string = rules.getString();
            if (string.hasPattern()) {
                schema.put("pattern", string.getPattern());
            }
            if (string.hasMinLen() && !emptyAllowed) {
                schema.put("minLength", string.getMinLen());
            }
            if (string.hasMaxLen()) {
                schema.put("maxLength", string.getMaxLen());
            }
            if (string.getUuid()) {
                // "" means "no key" where the zero value is ignored, and is no uuid: say it by pattern.
                if (!emptyAllowed) {
                    schema.put("format", "uuid");
                }
                schema.put("pattern", emptyAllowed ? "^(" + UUID + ")?$" : "^" + UUID + "$");
            }
        }
        if (rules.hasInt32()) {
            var int32 = rules.getInt32();
            if (int32.hasGte()) {
                schema.put("minimum", int32.getGte());
            }
            if (int32.hasLte()) {
                schema.put("maximum", int32.getLte());
            }
        }
        if (rules.getCelCount() > 0) {
            StringBuilder description = new StringBuilder(schema.path("description").asText(""));
            for (var rule : rules.getCelList()) {
                description.append(description.isEmpty() ? "" : "\n\n").append("Rule `").append(rule.getId())
                        .append("`: ").append(rule.getMessage()).append('.');
            }
            schema.put("description", description.toString());
        }
    }
}
