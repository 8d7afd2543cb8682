package dev.paygate.contract;

import build.buf.validate.ValidateProto;
import com.google.api.AnnotationsProto;
import com.google.api.ClientProto;
import com.google.api.FieldBehaviorProto;
import com.google.api.ResourceProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.MethodOptions.IdempotencyLevel;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.ExtensionRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The API as the descriptor set the build writes describes it (proto/target/descriptor/paygate.pb,
 * imports included): its services and rpcs, each with its HTTP bindings, idempotency level and
 * the scope a token needs for it, and the messages with their google.api and buf.validate options
 * readable. The one reader of the descriptor set: every generator, checker and test asks it.
 */
public final class Contract {

    /** Scope a token needs for a side-effect-free rpc, and for every other one (the service's AccessPolicy). */
    public static final String READ_SCOPE = "payments.read";
    public static final String WRITE_SCOPE = "payments.write";

    /** Packages the set carries as imports only: their services (if any) are not the API. */
    private static final List<String> IMPORTED = List.of("google.", "buf.");

    /**
     * One rpc of the API.
     *
     * @param bindings its {@code google.api.http} bindings, additional ones included, in order
     */
    public record Method(MethodDescriptor descriptor, List<HttpBinding> bindings) {

        /** The service's full name, {@code paygate.v1.AccountService}. */
        public String service() {
            return descriptor.getService().getFullName();
        }

        public String name() {
            return descriptor.getName();
        }

        /** What Envoy's router and filters see after transcoding: {@code /paygate.v1.AccountService/GetAccount}. */
        public String grpcPath() {
            return "/" + service() + "/" + name();
        }

        /** Declared side-effect free ({@code NO_SIDE_EFFECTS}): a read, safe to repeat. */
        public boolean reads() {
            return descriptor.getOptions().getIdempotencyLevel() == IdempotencyLevel.NO_SIDE_EFFECTS;
        }

        /**
         * Server streaming ({@code returns (stream ...)}): one request, responses for as long as the
         * stream lasts. Such a method has no per-call budget and is never retried; its own routes,
         * service config and documentation say so.
         */
        public boolean streams() {
            return descriptor.isServerStreaming();
        }

        /** Anything not declared side-effect free writes, whatever else it declares. */
        public boolean writes() {
            return !reads();
        }

        public String scope() {
            return reads() ? READ_SCOPE : WRITE_SCOPE;
        }
    }

    private final Map<String, FileDescriptor> files;
    private final List<Method> methods;

    private Contract(Map<String, FileDescriptor> files) {
        this.files = files;
        List<Method> all = new ArrayList<>();
        for (ServiceDescriptor service : services()) {
            for (MethodDescriptor method : service.getMethods()) {
                all.add(new Method(method, HttpBinding.of(method.getOptions().getExtension(AnnotationsProto.http))));
            }
        }
        this.methods = List.copyOf(all);
    }

    public static Contract load(Path descriptorSet) {
        try (InputStream in = Files.newInputStream(descriptorSet)) {
            return of(FileDescriptorSet.parseFrom(in, registry()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read descriptor set " + descriptorSet, e);
        }
    }

    /** A contract from a descriptor set in memory (files in any order; every import included). */
    public static Contract of(FileDescriptorSet set) {
        Map<String, FileDescriptorProto> protos = new HashMap<>();
        set.getFileList().forEach(file -> protos.put(file.getName(), file));
        Map<String, FileDescriptor> built = new HashMap<>();
        for (FileDescriptorProto file : set.getFileList()) {
            build(file.getName(), protos, built);
        }
        return new Contract(built);
    }

    /** The options the contract's readers look at: HTTP bindings, resources, field behaviour, buf.validate. */
    public static ExtensionRegistry registry() {
        ExtensionRegistry registry = ExtensionRegistry.newInstance();
        AnnotationsProto.registerAllExtensions(registry);
        ClientProto.registerAllExtensions(registry);
        FieldBehaviorProto.registerAllExtensions(registry);
        ResourceProto.registerAllExtensions(registry);
        ValidateProto.registerAllExtensions(registry);
        return registry;
    }

    /** The API's services, in file-name and declaration order. */
    public List<ServiceDescriptor> services() {
        List<ServiceDescriptor> services = new ArrayList<>();
        files.values().stream()
                .filter(file -> IMPORTED.stream().noneMatch(file.getPackage()::startsWith))
                .sorted(Comparator.comparing(FileDescriptor::getName))
                .forEach(file -> services.addAll(file.getServices()));
        return services;
    }

    public Optional<ServiceDescriptor> service(String fullName) {
        return services().stream().filter(s -> s.getFullName().equals(fullName)).findFirst();
    }

    /** Every rpc of the API, in {@link #services()} order. */
    public List<Method> methods() {
        return methods;
    }

    public Method method(MethodDescriptor descriptor) {
        return methods.stream().filter(m -> m.descriptor().equals(descriptor)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(descriptor.getFullName() + " is not an rpc of the API"));
    }

    /** The one package of the API's services, e.g. {@code paygate.v1}. */
    public String packageName() {
        List<String> packages = services().stream().map(s -> s.getFile().getPackage()).distinct().toList();
        if (packages.size() != 1) {
            throw new IllegalStateException("the API should be one package, not " + packages);
        }
        return packages.get(0);
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
}
