package dev.paygate.e2e;

import dev.paygate.devstack.ForwardedClients;
import dev.paygate.devstack.LocalCollector;
import dev.paygate.devstack.Stack;
import dev.paygate.edge.Repository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * The one way an end-to-end suite gets its stack ({@link EndToEnd}): started once per suite,
 * kept in the suite's store, and closed by JUnit when the suite ends, whatever its tests did.
 */
final class StackExtension implements BeforeAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(StackExtension.class);

    /** Closes the edge (Envoy, the replicas, the database) and its collector when JUnit closes the suite's store. */
    private record Running(Edge edge, LocalCollector collector) implements ExtensionContext.Store.CloseableResource {
        @Override
        public void close() {
            edge.close();
            if (collector != null) {
                collector.close();
            }
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        Class<?> suite = context.getRequiredTestClass();
        EndToEnd settings = suite.getAnnotation(EndToEnd.class);
        String name = suite.getSimpleName().replaceFirst("IT$", "").toLowerCase();
        LocalCollector collector = settings.traces() ? startCollector(name) : null;
        Edge edge = Edge.start(name, options -> configure(options, settings, collector));
        context.getStore(NAMESPACE).put(Running.class, new Running(edge, collector));
        switch (settings.rateLimits()) {
            case SHADOWED -> edge.stack().envoy().shadowRateLimits();
            case PER_ADDRESS_FLOOR_SHADOWED -> edge.stack().envoy().shadowPerAddressFloor();
            case ENFORCED -> { }
        }
    }

    private static LocalCollector startCollector(String suite) {
        try {
            return LocalCollector.start(Repository.locate().otelCollector(),
                    Files.createTempDirectory("paygate-e2e-" + suite + "-collector-"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == Edge.class || type == LocalCollector.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Running running = context.getStore(NAMESPACE).get(Running.class, Running.class);
        return parameter.getParameter().getType() == Edge.class ? running.edge() : running.collector();
    }

    private static Stack.Options configure(Stack.Options defaults, EndToEnd settings, LocalCollector collector) {
        Stack.Options options = defaults.withReplicas(settings.replicas())
                .withServiceEnvironment(environment(settings.serviceEnvironment()));
        if (settings.mutualTls()) {
            options = options.withMutualTls();
        }
        if (settings.forwardedClients()) {
            options = options.withEdgeChange(ForwardedClients::add);
        }
        if (collector != null) {
            options = options.withTracesTo(collector);
        }
        return options;
    }

    private static Map<String, String> environment(String[] settings) {
        Map<String, String> environment = new LinkedHashMap<>();
        for (String setting : settings) {
            int equals = setting.indexOf('=');
            if (equals < 1) {
                throw new IllegalArgumentException("serviceEnvironment entries are NAME=value, not " + setting);
            }
            environment.put(setting.substring(0, equals), setting.substring(equals + 1));
        }
        return environment;
    }
}
