package dev.paygate.contract;

import build.buf.validate.FieldRules;
import build.buf.validate.ValidateProto;
import com.google.api.FieldBehavior;
import com.google.api.FieldBehaviorProto;
import com.google.protobuf.Descriptors.FieldDescriptor;

/** What the contract says a field must hold: its buf.validate rules and google.api.field_behavior. */
public final class FieldConstraints {

    private FieldConstraints() {
    }

    public static FieldRules rules(FieldDescriptor field) {
        return field.getOptions().getExtension(ValidateProto.field);
    }

    public static boolean required(FieldDescriptor field) {
        return field.getOptions().getExtension(FieldBehaviorProto.fieldBehavior).contains(FieldBehavior.REQUIRED)
                || rules(field).getRequired();
    }

    public static boolean outputOnly(FieldDescriptor field) {
        return field.getOptions().getExtension(FieldBehaviorProto.fieldBehavior).contains(FieldBehavior.OUTPUT_ONLY);
    }

    /** The field's buf.validate string pattern, "" when it has none. */
    public static String stringPattern(FieldDescriptor field) {
        return rules(field).getString().getPattern();
    }
}
