package dev.paygate.devstack;

import static dev.paygate.edge.EnvoyConfig.cast;
import static dev.paygate.edge.EnvoyConfig.list;
import static dev.paygate.edge.EnvoyConfig.map;
import static dev.paygate.edge.EnvoyConfig.socketAddress;

import dev.paygate.devstack.credentials.DevCredentials;
import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.Repository;
import dev.paygate.edge.openapi.EdgeDocs;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The launcher's local rendering of edge/target/envoy.yaml, in one place for {@link Stack}, the
 * benchmark's floor and the policy checker's {@code envoy --mode validate}: the values whose
 * comment in envoy.yaml ends in "(launcher rewrites)". Loopback listeners on these ports, the
 * built descriptor set, strict-JSON program and docs, the local TLS certificate and JWKS, and
 * fixed replicas instead of the compose DNS name; a stack's Envoys then read the replicas from
 * watched files instead ({@link #discoverFrom}).
 */
public final class LocalEdge {

    private LocalEdge() {
    }

    public static EnvoyConfig render(EnvoyConfig shipped, Repository repository, DevCredentials credentials, int port,
                                     int adminPort, int statsPort, List<InetSocketAddress> replicas) {
        EnvoyConfig local = withLocalFiles(shipped, repository, credentials);
        listenOn(local, EnvoyConfig.PUBLIC_LISTENER, port);
        listenOn(local, EnvoyConfig.STATS_LISTENER, statsPort);
        adminOn(local, adminPort);
        upstreams(local, replicas);
        canaryUpstreams(local, List.of());
        exportSpansTo(local, List.of());
        return local;
    }

    /** The canary build's replicas; none, locally, unless a canary is started (its weight is 0 then). */
    public static EnvoyConfig canaryUpstreams(EnvoyConfig config, List<InetSocketAddress> replicas) {
        fixedEndpoints(config.cluster(EnvoyConfig.CANARY_CLUSTER), replicas);
        return config;
    }

    /**
     * Where the edge sends its spans (the otel_collector cluster): these collectors, or none, where
     * each export fails inside Envoy at once (counted in cluster.otel_collector.upstream_rq_503).
     */
    public static EnvoyConfig exportSpansTo(EnvoyConfig config, List<InetSocketAddress> collectors) {
        fixedEndpoints(config.cluster(EnvoyConfig.COLLECTOR_CLUSTER), collectors);
        return config;
    }

    /** The files the shipped config reads from its compose mounts, from the build and the local credentials. */
    public static EnvoyConfig withLocalFiles(EnvoyConfig shipped, Repository repository, DevCredentials credentials) {
        shipped.replaceFile("/etc/envoy/paygate.pb", repository.descriptorSet())
                .replaceFile("/etc/envoy/strict_json.lua", repository.strictJsonLua())
                .replaceFile("/etc/envoy/connection_limit_per_source.wasm", repository.connectionLimitWasm())
                .replaceFile("/etc/envoy/edge_headers.lua", repository.edgeHeadersLua())
                .replaceFile("/etc/envoy/body_cap.lua", repository.bodyCapLua())
                .replaceFile("/etc/envoy/tls/server.pem", credentials.serverCertificate())
                .replaceFile("/etc/envoy/tls/server.key", credentials.serverKey())
                .replaceFile("/etc/envoy/jwks.json", credentials.signingKey().jwksFile());
        for (String file : EdgeDocs.FILES) {
            shipped.replaceFile("/etc/envoy/docs/" + file, repository.edgeDocs().resolve(file));
        }
        return shipped;
    }

    private static void listenOn(EnvoyConfig config, String listener, int port) {
        Map<String, Object> address = socketAddress(config.listener(listener));
        address.put("address", "127.0.0.1");
        address.put("port_value", port);
    }

    /** Admin's port, and the stats listener's way to it (its admin cluster), which must stay the same. */
    private static void adminOn(EnvoyConfig config, int port) {
        socketAddress(config.admin()).put("port_value", port);
        for (Object locality : list(map(config.cluster(EnvoyConfig.ADMIN_CLUSTER), "load_assignment"), "endpoints")) {
            for (Object endpoint : list(cast(locality), "lb_endpoints")) {
                socketAddress(map(cast(endpoint), "endpoint")).put("port_value", port);
            }
        }
    }

    /**
     * {@code cluster} learns its replicas from {@code file} ({@link EndpointFiles}) instead of DNS or
     * fixed endpoints: EDS from a watched path, so replicas come and go without a new config or a
     * restart. A host the file drops leaves at once, even while its health checks still pass
     * ({@code ignore_health_on_host_removal}; by default Envoy keeps routing to a removed host that
     * is still healthy), so the launcher can take it out of rotation before it stops it. For the
     * stable and the canary cluster.
     */
    static EnvoyConfig discoverFrom(EnvoyConfig config, EndpointFiles endpoints) {
        for (String cluster : List.of(EnvoyConfig.SERVICE_CLUSTER, EnvoyConfig.CANARY_CLUSTER)) {
            discoverFromFile(config, cluster, endpoints.file(cluster));
        }
        // An xDS subscription, even one from a file, needs the node's id and cluster (envoy --mode
        // validate refuses the config without them).
        config.tree().putIfAbsent("node", Map.of("id", "paygate-edge-local", "cluster", "paygate-edge"));
        return config;
    }

    /** One cluster from one file; {@link #discoverFrom} does both service clusters. */
    static EnvoyConfig discoverFromFile(EnvoyConfig config, String cluster, Path file) {
        Map<String, Object> discovered = config.cluster(cluster);
        discovered.put("type", "EDS");
        discovered.remove("dns_refresh_rate");
        discovered.remove("dns_lookup_family");
        discovered.remove("respect_dns_ttl");
        discovered.remove("load_assignment");
        Map<String, Object> watched = new LinkedHashMap<>();
        watched.put("path", file.toAbsolutePath().toString());
        watched.put("watched_directory", Map.of("path", file.toAbsolutePath().getParent().toString()));
        Map<String, Object> source = new LinkedHashMap<>();
        source.put("resource_api_version", "V3");
        source.put("path_config_source", watched);
        discovered.put("eds_cluster_config", Map.of("eds_config", source));
        discovered.put("ignore_health_on_host_removal", true);
        return config;
    }

    /** Replaces the DNS-discovered upstream with these fixed replicas. */
    private static void upstreams(EnvoyConfig config, List<InetSocketAddress> replicas) {
        fixedEndpoints(config.cluster(EnvoyConfig.SERVICE_CLUSTER), replicas);
    }

    /** A DNS-discovered cluster made STATIC with these endpoints. */
    private static void fixedEndpoints(Map<String, Object> cluster, List<InetSocketAddress> hosts) {
        cluster.put("type", "STATIC");
        cluster.remove("dns_refresh_rate");
        cluster.remove("dns_lookup_family");
        cluster.remove("respect_dns_ttl");
        List<Object> endpoints = new ArrayList<>();
        for (InetSocketAddress host : hosts) {
            Map<String, Object> socket = new LinkedHashMap<>();
            socket.put("address", host.getHostString());
            socket.put("port_value", host.getPort());
            endpoints.add(Map.of("endpoint", Map.of("address", Map.of("socket_address", socket))));
        }
        Map<String, Object> locality = new LinkedHashMap<>();
        locality.put("lb_endpoints", endpoints);
        map(cluster, "load_assignment").put("endpoints", List.of(locality));
    }
}
