package dev.paygate.edge.openapi;

import com.google.protobuf.DescriptorProtos.SourceCodeInfo;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import java.util.ArrayList;
import java.util.List;

/** The leading comment of a proto element, from the descriptor set's source info. */
final class Comments {

    // Field numbers in descriptor.proto that make up a SourceCodeInfo path.
    private static final int FILE_MESSAGE = 4;
    private static final int FILE_ENUM = 5;
    private static final int FILE_SERVICE = 6;
    private static final int MESSAGE_FIELD = 2;
    private static final int MESSAGE_NESTED = 3;
    private static final int MESSAGE_ENUM = 4;
    private static final int SERVICE_METHOD = 2;

    private Comments() {
    }

    static String of(Descriptor message) {
        return find(message.getFile(), path(message));
    }

    static String of(FieldDescriptor field) {
        List<Integer> path = path(field.getContainingType());
        path.add(MESSAGE_FIELD);
        path.add(field.getIndex());
        return find(field.getFile(), path);
    }

    static String of(EnumDescriptor enumType) {
        List<Integer> path;
        if (enumType.getContainingType() == null) {
            path = new ArrayList<>(List.of(FILE_ENUM, enumType.getIndex()));
        } else {
            path = path(enumType.getContainingType());
            path.add(MESSAGE_ENUM);
            path.add(enumType.getIndex());
        }
        return find(enumType.getFile(), path);
    }

    static String of(ServiceDescriptor service) {
        return find(service.getFile(), List.of(FILE_SERVICE, service.getIndex()));
    }

    static String of(MethodDescriptor method) {
        return find(method.getFile(), List.of(FILE_SERVICE, method.getService().getIndex(), SERVICE_METHOD, method.getIndex()));
    }

    private static List<Integer> path(Descriptor message) {
        if (message.getContainingType() == null) {
            return new ArrayList<>(List.of(FILE_MESSAGE, message.getIndex()));
        }
        List<Integer> path = path(message.getContainingType());
        path.add(MESSAGE_NESTED);
        path.add(message.getIndex());
        return path;
    }

    private static String find(FileDescriptor file, List<Integer> path) {
        SourceCodeInfo info = file.toProto().getSourceCodeInfo();
        for (SourceCodeInfo.Location location : info.getLocationList()) {
            if (location.getPathList().equals(path) && location.hasLeadingComments()) {
                return clean(location.getLeadingComments());
            }
        }
        return "";
    }

    /** Joins wrapped lines into paragraphs, as the comment was meant to be read. */
    private static String clean(String comment) {
        StringBuilder text = new StringBuilder();
        for (String line : comment.strip().split("\n")) {
            String trimmed = line.strip();
            if (trimmed.isEmpty()) {
                text.append("\n\n");
            } else {
                if (!text.isEmpty() && text.charAt(text.length() - 1) != '\n') {
                    text.append(' ');
                }
                text.append(trimmed);
            }
        }
        return text.toString();
    }
}
