package dev.paygate.edge.policy;

import com.google.api.AnnotationsProto;
import com.google.api.HttpRule;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodOptions.IdempotencyLevel;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.ExtensionRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The rpcs of the contract as the edge sees them, read from the built descriptor set: each
 * method's gRPC path, whether it writes (anything not declared {@code NO_SIDE_EFFECTS}) and its
 * {@code google.api.http} bindings. Only the files of {@code packagePrefix} count; the set also
 * carries google/* imports.
 */
record Contract(List<Method> methods) {

    /** One HTTP binding: verb and path template, e.g. {@code GET /v1/{name=accounts/*}}. */
    record Binding(String verb, String template) {
        /** A concrete path this template accepts, for matching against path rules. */
        String samplePath() {
            String path = template.replaceAll("\\{[^}=]+=([^}]*)}", "$1").replaceAll("\\{[^}]+}", "x");
            return path.replace("**", "x/x").replace("*", "x");
        }

        @Override
        public String toString() {
            return verb + " " + template;
        }
    }

    record Method(String service, String name, boolean writes, List<Binding> bindings) {
        /** What Envoy's router and filters see after transcoding: {@code /paygate.v1.AccountService/GetAccount}. */
        String grpcPath() {
            return "/" + service + "/" + name;
        }
    }

    static Contract read(Path descriptorSet, String packagePrefix) {
        ExtensionRegistry registry = ExtensionRegistry.newInstance();
        AnnotationsProto.registerAllExtensions(registry);
        try (InputStream in = Files.newInputStream(descriptorSet)) {
            FileDescriptorSet set = FileDescriptorSet.parseFrom(in, registry);
            List<Method> methods = new ArrayList<>();
            for (FileDescriptorProto file : set.getFileList()) {
                if (!file.getPackage().startsWith(packagePrefix)) {
                    continue;
                }
                for (ServiceDescriptorProto service : file.getServiceList()) {
                    for (MethodDescriptorProto method : service.getMethodList()) {
                        methods.add(new Method(file.getPackage() + "." + service.getName(), method.getName(),
                                method.getOptions().getIdempotencyLevel() != IdempotencyLevel.NO_SIDE_EFFECTS,
                                bindings(method.getOptions().getExtension(AnnotationsProto.http))));
                    }
                }
            }
            return new Contract(List.copyOf(methods));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read descriptor set " + descriptorSet, e);
        }
    }

    private static List<Binding> bindings(HttpRule rule) {
        List<Binding> bindings = new ArrayList<>();
        binding(rule).ifPresent(bindings::add);
        rule.getAdditionalBindingsList().forEach(extra -> binding(extra).ifPresent(bindings::add));
        return bindings;
    }

    private static java.util.Optional<Binding> binding(HttpRule rule) {
        return switch (rule.getPatternCase()) {
            case GET -> java.util.Optional.of(new Binding("GET", rule.getGet()));
            case POST -> java.util.Optional.of(new Binding("POST", rule.getPost()));
            case PUT -> java.util.Optional.of(new Binding("PUT", rule.getPut()));
            case DELETE -> java.util.Optional.of(new Binding("DELETE", rule.getDelete()));
            case PATCH -> java.util.Optional.of(new Binding("PATCH", rule.getPatch()));
            case CUSTOM -> java.util.Optional.of(new Binding(rule.getCustom().getKind(), rule.getCustom().getPath()));
            case PATTERN_NOT_SET -> java.util.Optional.empty();
        };
    }
}
