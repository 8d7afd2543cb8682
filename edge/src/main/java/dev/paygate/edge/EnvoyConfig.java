package dev.paygate.edge;

import dev.paygate.edge.openapi.EdgeDocs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The repository's one {@code envoy.yaml}, with the few values that differ between Docker and a
 * local run rewritten in its parsed structure (never a hand-kept second copy): listener and admin
 * ports, the files it reads (descriptor set, strict-JSON Lua program, JWKS, TLS certificate and
 * key), and the upstream replicas.
 */
public final class EnvoyConfig {

    private static final String LISTENER = "paygate_public";
    private static final String STATS_LISTENER = "paygate_stats";
    private static final String ADMIN_CLUSTER = "envoy_admin";
    private static final String CLUSTER = "paygate_service";
    private static final String TRANSCODER = "envoy.filters.http.grpc_json_transcoder";
    private static final String ROUTER = "envoy.filters.http.router";
    private static final String DOCS_MOUNT = "/etc/envoy/docs/";
    private static final String JWT_AUTHN = "envoy.filters.http.jwt_authn";
    private static final String HEADER_MUTATION = "envoy.filters.http.header_mutation";
    /** The rate-limit identity header; filter 0 removes any client-sent copy. */
    private static final String SUBJECT_HEADER = "x-paygate-subject";

    private final Map<String, Object> root;

    private EnvoyConfig(Map<String, Object> root) {
        this.root = root;
    }

    public static EnvoyConfig load(Path envoyYaml) {
        try {
            return new EnvoyConfig(new Yaml().load(Files.readString(envoyYaml)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + envoyYaml, e);
        }
    }

    public EnvoyConfig listenOn(String host, int port) {
        Map<String, Object> address = socketAddress(listener(LISTENER));
        address.put("address", host);
        address.put("port_value", port);
        return this;
    }

    /** Admin's port, and the stats listener's way to it (its admin cluster), which must stay the same. */
    public EnvoyConfig adminOn(int port) {
        socketAddress(map(root, "admin")).put("port_value", port);
        for (Object endpoint : lbEndpoints(cluster(ADMIN_CLUSTER))) {
            socketAddress(map(cast(endpoint), "endpoint")).put("port_value", port);
        }
        return this;
    }

    /** Where Prometheus scrapes Envoy: the listener that serves only /stats/prometheus and /ready. */
    public EnvoyConfig statsOn(String host, int port) {
        Map<String, Object> address = socketAddress(listener(STATS_LISTENER));
        address.put("address", host);
        address.put("port_value", port);
        return this;
    }

    public EnvoyConfig descriptor(Path descriptorSet) {
        return replaceFile("/etc/envoy/paygate.pb", descriptorSet);
    }

    /** The edge's TLS server certificate chain and private key. */
    public EnvoyConfig serverCertificate(Path certificateChain, Path privateKey) {
        return replaceFile("/etc/envoy/tls/server.pem", certificateChain)
                .replaceFile("/etc/envoy/tls/server.key", privateKey);
    }

    /**
     * mTLS mode: the listener refuses a TLS handshake without a client certificate issued by
     * {@code clientCa}, and the per-identity rate limit keys on the certificate's URI SAN (the
     * calling workload) instead of the token's sub. The token is still required and verified,
     * here and by the service, which takes the account owner from it.
     */
    public EnvoyConfig requireClientCertificates(Path clientCa) {
        Map<String, Object> chain = cast(list(listener(LISTENER), "filter_chains").get(0));
        Map<String, Object> tls = map(map(chain, "transport_socket"), "typed_config");
        tls.put("require_client_certificate", true);
        map(tls, "common_tls_context").put("validation_context",
                Map.of("trusted_ca", Map.of("filename", clientCa.toAbsolutePath().toString())));
        Map<String, Object> provider = map(map(map(httpFilter(JWT_AUTHN), "typed_config"), "providers"), "paygate");
        provider.remove("claim_to_headers");
        List<Object> mutations = list(map(map(httpFilter(HEADER_MUTATION), "typed_config"), "mutations"),
                "request_mutations");
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("key", SUBJECT_HEADER);
        header.put("value", "%DOWNSTREAM_PEER_URI_SAN%");
        Map<String, Object> append = new LinkedHashMap<>();
        append.put("header", header);
        append.put("append_action", "OVERWRITE_IF_EXISTS_OR_ADD");
        mutations.add(Map.of("append", append));
        return this;
    }

    /** Points the documentation routes at the directory the build wrote their files to. */
    public EnvoyConfig docs(Path edgeDocs) {
        for (String file : EdgeDocs.FILES) {
            replaceFile(DOCS_MOUNT + file, edgeDocs.resolve(file));
        }
        return this;
    }

    /** The strict-JSON filter's Lua program, generated by the build. */
    public EnvoyConfig strictJson(Path program) {
        return replaceFile("/etc/envoy/strict_json.lua", program);
    }

    /** The gRPC services the JSON transcoder serves (its {@code services} list). */
    public List<String> transcoderServices() {
        List<String> services = new ArrayList<>();
        for (Object service : list(map(httpFilter(TRANSCODER), "typed_config"), "services")) {
            services.add((String) service);
        }
        return services;
    }

    /** The public keys that tokens are verified with. */
    public EnvoyConfig jwks(Path jwksFile) {
        return replaceFile("/etc/envoy/jwks.json", jwksFile);
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

    /** Every route of every virtual host, in match order, for checks that read them. */
    public List<Map<String, Object>> routes() {
        List<Map<String, Object>> routes = new ArrayList<>();
        for (Object host : list(routeConfig(), "virtual_hosts")) {
            for (Object route : list(cast(host), "routes")) {
                routes.add(cast(route));
            }
        }
        return routes;
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

    /** Replaces the DNS-discovered upstream with these fixed replicas. */
    public EnvoyConfig upstreams(List<InetSocketAddress> replicas) {
        Map<String, Object> cluster = cluster(CLUSTER);
        cluster.put("type", "STATIC");
        cluster.remove("dns_refresh_rate");
        cluster.remove("dns_lookup_family");
        cluster.remove("respect_dns_ttl");
        List<Object> endpoints = new ArrayList<>();
        for (InetSocketAddress replica : replicas) {
            Map<String, Object> socket = new LinkedHashMap<>();
            socket.put("address", replica.getHostString());
            socket.put("port_value", replica.getPort());
            endpoints.add(Map.of("endpoint", Map.of("address", Map.of("socket_address", socket))));
        }
        Map<String, Object> locality = new LinkedHashMap<>();
        locality.put("lb_endpoints", endpoints);
        map(cluster, "load_assignment").put("endpoints", List.of(locality));
        return this;
    }

    /**
     * Test-only: adds Envoy's fault filter, driven by the {@code x-envoy-fault-delay-request}
     * header, just before the router, so tests can make an upstream call really slow. Shipped
     * configurations never contain it.
     */
    public EnvoyConfig withHeaderDrivenFaults() {
        List<Object> filters = httpFilters();
        Map<String, Object> delay = new LinkedHashMap<>();
        delay.put("header_delay", Map.of());
        delay.put("percentage", Map.of("numerator", 100, "denominator", "HUNDRED"));
        Map<String, Object> typed = new LinkedHashMap<>();
        typed.put("@type", "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault");
        typed.put("delay", delay);
        typed.put("max_active_faults", 100);
        Map<String, Object> fault = new LinkedHashMap<>();
        fault.put("name", "envoy.filters.http.fault");
        fault.put("typed_config", typed);
        int router = indexOfFilter(filters, ROUTER);
        filters.add(router, fault);
        return this;
    }

    /**
     * The benchmark's floor: the same configuration with every HTTP filter but the JSON
     * transcoder and the router removed, and with the route settings that configure removed
     * filters (per-filter configs, route rate limits) dropped. The listener (TLS, ALPN), the
     * connection manager's settings (access log, request ids, timeouts, local replies) and the
     * routes' timeouts and retries stay, so the floor differs from the edge only by its policies.
     */
    public EnvoyConfig transcoderAndRouterOnly() {
        List<String> kept = List.of(TRANSCODER, ROUTER);
        httpFilters().removeIf(filter -> !kept.contains(((Map<?, ?>) filter).get("name")));
        for (Object host : list(routeConfig(), "virtual_hosts")) {
            dropRemovedFilterSettings(cast(host), kept);
            for (Object route : list(cast(host), "routes")) {
                Map<String, Object> entry = cast(route);
                dropRemovedFilterSettings(entry, kept);
                if (entry.get("route") instanceof Map<?, ?> action) {
                    cast(action).remove("rate_limits");
                }
            }
        }
        return this;
    }

    private static void dropRemovedFilterSettings(Map<String, Object> owner, List<String> kept) {
        owner.remove("rate_limits");
        if (owner.get("typed_per_filter_config") instanceof Map<?, ?> perFilter) {
            // A copy: YAML anchors make several routes share one map.
            Map<String, Object> remaining = new LinkedHashMap<>(cast(perFilter));
            remaining.keySet().retainAll(kept);
            if (remaining.isEmpty()) {
                owner.remove("typed_per_filter_config");
            } else {
                owner.put("typed_per_filter_config", remaining);
            }
        }
    }

    /** The HTTP filters' names, in order. */
    public List<String> httpFilterNames() {
        List<String> names = new ArrayList<>();
        for (Object filter : httpFilters()) {
            names.add((String) ((Map<?, ?>) filter).get("name"));
        }
        return names;
    }

    public String render() {
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        options.setWidth(200);
        return "# Generated from envoy.yaml by dev.paygate.edge.EnvoyConfig; edit envoy.yaml instead.\n"
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

    /** The parsed configuration, for checks that read it. */
    public Map<String, Object> tree() {
        return root;
    }

    private Map<String, Object> listener(String name) {
        for (Object listener : list(map(root, "static_resources"), "listeners")) {
            if (name.equals(((Map<?, ?>) listener).get("name"))) {
                return cast(listener);
            }
        }
        throw new IllegalStateException("envoy.yaml has no listener " + name);
    }

    private Map<String, Object> cluster(String name) {
        for (Object cluster : list(map(root, "static_resources"), "clusters")) {
            if (name.equals(((Map<?, ?>) cluster).get("name"))) {
                return cast(cluster);
            }
        }
        throw new IllegalStateException("envoy.yaml has no cluster " + name);
    }

    private static List<Object> lbEndpoints(Map<String, Object> cluster) {
        List<Object> endpoints = new ArrayList<>();
        for (Object locality : list(map(cluster, "load_assignment"), "endpoints")) {
            endpoints.addAll(list(cast(locality), "lb_endpoints"));
        }
        return endpoints;
    }

    private List<Object> httpFilters() {
        Map<String, Object> chain = cast(list(listener(LISTENER), "filter_chains").get(0));
        Map<String, Object> manager = cast(list(chain, "filters").get(0));
        return list(map(manager, "typed_config"), "http_filters");
    }

    private Map<String, Object> routeConfig() {
        Map<String, Object> chain = cast(list(listener(LISTENER), "filter_chains").get(0));
        Map<String, Object> manager = cast(list(chain, "filters").get(0));
        return map(map(manager, "typed_config"), "route_config");
    }

    private Map<String, Object> httpFilter(String name) {
        List<Object> filters = httpFilters();
        return cast(filters.get(indexOfFilter(filters, name)));
    }

    private static int indexOfFilter(List<Object> filters, String name) {
        for (int i = 0; i < filters.size(); i++) {
            if (name.equals(((Map<?, ?>) filters.get(i)).get("name"))) {
                return i;
            }
        }
        throw new IllegalStateException("envoy.yaml has no http filter " + name);
    }

    private static Map<String, Object> socketAddress(Map<String, Object> owner) {
        return map(map(owner, "address"), "socket_address");
    }

    private static Map<String, Object> map(Map<String, Object> owner, String key) {
        Object value = owner.get(key);
        if (!(value instanceof Map)) {
            throw new IllegalStateException("envoy.yaml: expected a mapping at " + key);
        }
        return cast(value);
    }

    private static List<Object> list(Map<String, Object> owner, String key) {
        Object value = owner.get(key);
        if (!(value instanceof List)) {
            throw new IllegalStateException("envoy.yaml: expected a list at " + key);
        }
        @SuppressWarnings("unchecked")
        List<Object> list = (List<Object>) value;
        return list;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Object value) {
        return (Map<String, Object>) value;
    }
}
