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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The launcher's local rendering of edge/target/envoy.yaml, in one place for {@link Stack}, the
 * benchmark's floor and the policy checker's {@code envoy --mode validate}: the values whose
 * comment in envoy.yaml ends in "(launcher rewrites)". Loopback listeners on these ports, the
 * built descriptor set, strict-JSON program and docs, the local TLS certificate and JWKS, and
 * fixed replicas instead of the compose DNS name.
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
        return local;
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

    /** Replaces the DNS-discovered upstream with these fixed replicas. */
    private static void upstreams(EnvoyConfig config, List<InetSocketAddress> replicas) {
        Map<String, Object> cluster = config.cluster(EnvoyConfig.SERVICE_CLUSTER);
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
    }
}
