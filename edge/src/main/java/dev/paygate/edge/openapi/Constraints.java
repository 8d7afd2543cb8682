package dev.paygate.edge.openapi;

import build.buf.validate.FieldRules;
import build.buf.validate.Ignore;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.paygate.contract.FieldConstraints;
import java.util.List;

/**
 * A field's buf.validate rules ({@link FieldConstraints}) as JSON Schema keywords where JSON
 * Schema can say the same thing (patterns, lengths, ranges, defined enum numbers); CEL rules are
 * written out in prose, and what of them JSON Schema can say is added too ({@link CelRules}).
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
                // Where the zero value is ignored, "" passes (proto3 cannot tell it from unset).
                schema.put("pattern", emptyAllowed ? "^$|" + string.getPattern() : string.getPattern());
            }
            if (string.hasMinLen() && !emptyAllowed) {
                schema.put("minLength", string.getMinLen());
            }
            if (string.hasMaxLen()) {
                schema.put("maxLength", string.getMaxLen());
            }
            if (string.hasLen()) {
                schema.put("minLength", string.getLen()).put("maxLength", string.getLen());
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
            if (int32.hasGt()) {
                schema.put("exclusiveMinimum", int32.getGt());
            }
            if (int32.hasLte()) {
                schema.put("maximum", int32.getLte());
            }
            if (int32.hasLt()) {
                schema.put("exclusiveMaximum", int32.getLt());
            }
        }
        if (rules.getCelCount() > 0) {
            StringBuilder description = new StringBuilder(schema.path("description").asText(""));
            for (var rule : rules.getCelList()) {
                description.append(description.isEmpty() ? "" : "\n\n").append("Rule `").append(rule.getId())
                        .append("`: ").append(rule.getMessage()).append('.');
            }
            schema.put("description", description.toString());
            CelRules.apply(field, rules.getCelList(), schema);
        }
    }

    /** The numbers an enum field accepts: every defined value's with {@code defined_only}, else null (any int32). */
    static List<Integer> enumNumbers(FieldDescriptor field) {
        if (!FieldConstraints.rules(field).getEnum().getDefinedOnly()) {
            return null;
        }
        return field.getEnumType().getValues().stream().map(EnumValueDescriptor::getNumber).toList();
    }
}
