package dev.paygate.e2e;

import dev.paygate.devstack.ForwardedClients;
import dev.paygate.devstack.Stack;
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

    /** Closes the edge (Envoy, the replicas, the database) when JUnit closes the suite's store. */
    private record Running(Edge edge) implements ExtensionContext.Store.CloseableResource {
        @Override
        public void close() {
            edge.close();
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        Class<?> suite = context.getRequiredTestClass();
        EndToEnd settings = suite.getAnnotation(EndToEnd.class);
        String name = suite.getSimpleName().replaceFirst("IT$", "").toLowerCase();
        Edge edge = Edge.start(name, options -> configure(options, settings));
        context.getStore(NAMESPACE).put(Running.class, new Running(edge));
        switch (settings.rateLimits()) {
            case SHADOWED -> edge.stack().envoy().shadowRateLimits();
            case PER_ADDRESS_FLOOR_SHADOWED -> edge.stack().envoy().shadowPerAddressFloor();
            case ENFORCED -> { }
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == Edge.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getStore(NAMESPACE).get(Running.class, Running.class).edge();
    }

    private static Stack.Options configure(Stack.Options defaults, EndToEnd settings) {
        Stack.Options options = defaults.withReplicas(settings.replicas())
                .withServiceEnvironment(environment(settings.serviceEnvironment()));
        if (settings.mutualTls()) {
            options = options.withMutualTls();
        }
        if (settings.forwardedClients()) {
            options = options.withEdgeChange(ForwardedClients::add);
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
