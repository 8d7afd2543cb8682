package dev.paygate.edge.openapi;

import build.buf.validate.ValidateProto;
import com.google.api.AnnotationsProto;
import com.google.api.ClientProto;
import com.google.api.FieldBehaviorProto;
import com.google.api.ResourceProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.ExtensionRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The paygate.v1 contract as Envoy's transcoder sees it: the descriptor set the build writes
 * (proto/target/descriptor/paygate.pb), with the google.api and buf.validate options readable.
 */
public final class Contract {

    static final String PACKAGE = "paygate.v1";

    private final Map<String, FileDescriptor> files;

    private Contract(Map<String, FileDescriptor> files) {
        this.files = files;
    }

    public static Contract load(Path descriptorSet) {
        try (InputStream in = Files.newInputStream(descriptorSet)) {
            return of(FileDescriptorSet.parseFrom(in, registry()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + descriptorSet, e);
        }
    }

    static Contract of(FileDescriptorSet set) {
        Map<String, FileDescriptorProto> protos = new HashMap<>();
        set.getFileList().forEach(file -> protos.put(file.getName(), file));
        Map<String, FileDescriptor> built = new HashMap<>();
        for (FileDescriptorProto file : set.getFileList()) {
            build(file.getName(), protos, built);
        }
        return new Contract(built);
    }

    /** The services of paygate.v1, in file and declaration order. */
    public List<ServiceDescriptor> services() {
        List<ServiceDescriptor> services = new ArrayList<>();
        files.values().stream()
                .filter(file -> file.getPackage().equals(PACKAGE))
                .sorted((a, b) -> a.getName().compareTo(b.getName()))
                .forEach(file -> services.addAll(file.getServices()));
        return services;
    }

    /** All files, imports included (for message and resource lookups). */
    public Iterable<FileDescriptor> files() {
        return files.values();
    }

    private static FileDescriptor build(String name, Map<String, FileDescriptorProto> protos,
                                        Map<String, FileDescriptor> built) {
        FileDescriptor done = built.get(name);
        if (done != null) {
            return done;
        }
        FileDescriptorProto proto = protos.get(name);
        if (proto == null) {
            throw new IllegalStateException("descriptor set lacks " + name + " (built with imports?)");
        }
        List<FileDescriptor> dependencies = new ArrayList<>();
        for (String dependency : proto.getDependencyList()) {
            dependencies.add(build(dependency, protos, built));
        }
        try {
            FileDescriptor file = FileDescriptor.buildFrom(proto, dependencies.toArray(FileDescriptor[]::new));
            built.put(name, file);
            return file;
        } catch (DescriptorValidationException e) {
            throw new IllegalStateException("invalid descriptor " + name, e);
        }
    }

    static ExtensionRegistry registry() {
        ExtensionRegistry registry = ExtensionRegistry.newInstance();
        AnnotationsProto.registerAllExtensions(registry);
        ClientProto.registerAllExtensions(registry);
        FieldBehaviorProto.registerAllExtensions(registry);
        ResourceProto.registerAllExtensions(registry);
        ValidateProto.registerAllExtensions(registry);
        return registry;
    }
}
