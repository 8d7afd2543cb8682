package dev.paygate.edge;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * An Envoy bootstrap (edge/target/envoy.yaml, or any operator's copy) as a tree, reached by the
 * names Envoy gives its parts: listeners, the public listener's HTTP connection manager with its
 * filters and routes, clusters, admin. Renderings (the local one, mTLS, the bench's floor, test
 * faults) change it through these accessors, in the modules that own them, and write it out; the
 * file itself is never edited. Envoy's own v3 protos were tried as the model and do not fit here
 * (README, "Repository layout").
 */
public final class EnvoyConfig {

    public static final String PUBLIC_LISTENER = "paygate_public";
    public static final String STATS_LISTENER = "paygate_stats";
    public static final String SERVICE_CLUSTER = "paygate_service";
    public static final String CANARY_CLUSTER = "paygate_canary";
    public static final String ADMIN_CLUSTER = "envoy_admin";
    public static final String COLLECTOR_CLUSTER = "otel_collector";
    public static final String JWT_AUTHN = "envoy.filters.http.jwt_authn";
    /** Removes client copies of the headers only the edge sets. */
    public static final String DROP_RESERVED_HEADERS = "paygate.filters.http.drop_reserved_headers";
    public static final String STRICT_JSON = "paygate.filters.http.strict_json";
    public static final String TRANSCODER = "envoy.filters.http.grpc_json_transcoder";
    public static final String ROUTER = "envoy.filters.http.router";
    public static final String CONNECTION_MANAGER = "envoy.filters.network.http_connection_manager";

    private final Map<String, Object> root;

    private EnvoyConfig(Map<String, Object> root) {
        this.root = root;
    }

    /** A config already parsed (a test's edited copy, say). */
    public static EnvoyConfig of(Map<String, Object> tree) {
        return new EnvoyConfig(tree);
    }

    public static EnvoyConfig load(Path envoyYaml) {
        try {
            return new EnvoyConfig(new Yaml().load(Files.readString(envoyYaml)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + envoyYaml, e);
        }
    }

    /** The parsed configuration, for checks that read all of it. */
    public Map<String, Object> tree() {
        return root;
    }

    public Map<String, Object> listener(String name) {
        return named(list(map(root, "static_resources"), "listeners"), name, "listener");
    }

    public Map<String, Object> cluster(String name) {
        return named(list(map(root, "static_resources"), "clusters"), name, "cluster");
    }

    public Map<String, Object> admin() {
        return map(root, "admin");
    }

    /** The public listener's HttpConnectionManager (its typed_config), after its network filters. */
    public Map<String, Object> connectionManager() {
        Map<String, Object> chain = cast(list(listener(PUBLIC_LISTENER), "filter_chains").get(0));
        return map(named(list(chain, "filters"), CONNECTION_MANAGER, "network filter"), "typed_config");
    }

    /** The public listener's HTTP filters, in order; a rendering may add or remove some. */
    public List<Object> httpFilters() {
        return list(connectionManager(), "http_filters");
    }

    public Map<String, Object> httpFilter(String name) {
        return named(httpFilters(), name, "http filter");
    }

    /** The HTTP filters' names, in order. */
    public List<String> httpFilterNames() {
        return httpFilters().stream().map(filter -> (String) cast(filter).get("name")).toList();
    }

    public Map<String, Object> routeConfiguration() {
        return map(connectionManager(), "route_config");
    }

    /** Every route of every virtual host, in match order. */
    public List<Map<String, Object>> routes() {
        List<Map<String, Object>> routes = new ArrayList<>();
        for (Object host : list(routeConfiguration(), "virtual_hosts")) {
            for (Object route : list(cast(host), "routes")) {
                routes.add(cast(route));
            }
        }
        return routes;
    }

    /** The gRPC services the JSON transcoder serves (its {@code services} list). */
    public List<String> transcoderServices() {
        return list(map(httpFilter(TRANSCODER), "typed_config"), "services").stream().map(String.class::cast).toList();
    }

    /**
     * Points every use of a file that the shipped config reads from its compose mount
     * ({@code /etc/envoy/...}) at a local file instead. Fails when the shipped config does not
     * use that path, so a renamed mount cannot go unnoticed.
     */
    public EnvoyConfig replaceFile(String shippedPath, Path localFile) {
        if (replaceValue(root, shippedPath, localFile.toAbsolutePath().toString()) == 0) {
            throw new IllegalStateException("envoy.yaml does not read " + shippedPath);
        }
        return this;
    }

    public String render() {
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        options.setWidth(200);
        return "# Generated from edge/envoy.yaml by a rendering of dev.paygate.edge.EnvoyConfig; edit that instead.\n"
                + new Yaml(options).dump(root);
    }

    public Path writeTo(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            return Files.writeString(file, render());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** The {@code address.socket_address} of a listener, admin or endpoint. */
    public static Map<String, Object> socketAddress(Map<String, Object> owner) {
        return map(map(owner, "address"), "socket_address");
    }

    public static Map<String, Object> map(Map<String, Object> owner, String key) {
        if (!(owner.get(key) instanceof Map<?, ?> value)) {
            throw new IllegalStateException("envoy.yaml: expected a mapping at " + key);
        }
        return cast(value);
    }

    public static List<Object> list(Map<String, Object> owner, String key) {
        if (!(owner.get(key) instanceof List<?> value)) {
            throw new IllegalStateException("envoy.yaml: expected a list at " + key);
        }
        @SuppressWarnings("unchecked")
        List<Object> list = (List<Object>) value;
        return list;
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> cast(Object value) {
        return (Map<String, Object>) value;
    }

    private static Map<String, Object> named(List<Object> items, String name, String kind) {
        return items.stream().map(EnvoyConfig::cast).filter(item -> name.equals(item.get("name"))).findFirst()
                .orElseThrow(() -> new IllegalStateException("envoy.yaml has no " + kind + " " + name));
    }

    private static int replaceValue(Object node, String from, String to) {
        int replaced = 0;
        if (node instanceof Map<?, ?> map) {
            for (Map.Entry<String, Object> entry : cast(map).entrySet()) {
                if (from.equals(entry.getValue())) {
                    entry.setValue(to);
                    replaced++;
                } else {
                    replaced += replaceValue(entry.getValue(), from, to);
                }
            }
        } else if (node instanceof List<?> list) {
            for (Object item : list) {
                replaced += replaceValue(item, from, to);
            }
        }
        return replaced;
    }
}
