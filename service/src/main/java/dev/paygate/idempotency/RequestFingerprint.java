package dev.paygate.idempotency;

import com.google.api.FieldBehavior;
import com.google.api.FieldBehaviorProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a request asks for, as a SHA-256 over a canonical text of its fields, so that the same
 * request fingerprints the same in every build: fields by number (names may be renamed), enums by
 * number, strings length-prefixed, map entries sorted. Left out: the key itself
 * ({@code request_id}, so the key in metadata or in the body match), fields the contract marks
 * OUTPUT_ONLY (a client may echo a resource it read), and unknown fields (a newer client's
 * additions this build cannot act on). Raw protobuf bytes had none of these properties.
 */
final class RequestFingerprint {

    private static final String REQUEST_ID = "request_id";
    /** Per message type, its fields by number less the OUTPUT_ONLY ones: reading options per call allocated. */
    private static final Map<Descriptor, List<FieldDescriptor>> FINGERPRINTED = new ConcurrentHashMap<>();

    private RequestFingerprint() {
    }

    static String of(String method, Message request) {
        StringBuilder canonical = new StringBuilder(method).append('\n');
        appendMessage(canonical, request, true);
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(digest.digest(canonical.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }

    private static void appendMessage(StringBuilder out, Message message, boolean request) {
        // The fields getAllFields() would list, without building its sorted map per message.
        for (FieldDescriptor descriptor : FINGERPRINTED.computeIfAbsent(
                message.getDescriptorForType(), RequestFingerprint::fingerprinted)) {
            boolean set = descriptor.isRepeated() ? message.getRepeatedFieldCount(descriptor) > 0
                    : message.hasField(descriptor);
            if (!set || (request && descriptor.getName().equals(REQUEST_ID))) {
                continue;
            }
            Object value = message.getField(descriptor);
            out.append(descriptor.getNumber()).append('=');
            if (descriptor.isMapField()) {
                appendMap(out, (List<?>) value);
            } else if (descriptor.isRepeated()) {
                out.append('[');
                for (Object element : (List<?>) value) {
                    appendValue(out, descriptor, element);
                    out.append(',');
                }
                out.append(']');
            } else {
                appendValue(out, descriptor, value);
            }
            out.append(';');
        }
    }

    private static void appendMap(StringBuilder out, List<?> entries) {
        List<String> canonicalEntries = new ArrayList<>();
        for (Object entry : entries) {
            StringBuilder text = new StringBuilder();
            appendMessage(text, (Message) entry, false);
            canonicalEntries.add(text.toString());
        }
        canonicalEntries.sort(Comparator.naturalOrder());
        out.append('{').append(String.join(",", canonicalEntries)).append('}');
    }

    private static void appendValue(StringBuilder out, FieldDescriptor descriptor, Object value) {
        switch (descriptor.getJavaType()) {
            case MESSAGE -> {
                out.append('{');
                appendMessage(out, (Message) value, false);
                out.append('}');
            }
            case STRING -> {
                String text = (String) value;
                out.append('s').append(text.length()).append(':').append(text);
            }
            case BYTE_STRING -> out.append('b').append(Base64.getEncoder().encodeToString(((ByteString) value).toByteArray()));
            case ENUM -> out.append('e').append(((EnumValueDescriptor) value).getNumber());
            default -> out.append(value);
        }
    }

    private static List<FieldDescriptor> fingerprinted(Descriptor type) {
        return type.getFields().stream()
                .filter(field -> !isOutputOnly(field))
                .sorted(Comparator.comparingInt(FieldDescriptor::getNumber))
                .toList();
    }

    private static boolean isOutputOnly(FieldDescriptor descriptor) {
        return descriptor.getOptions().getExtension(FieldBehaviorProto.fieldBehavior).contains(FieldBehavior.OUTPUT_ONLY);
    }
}
