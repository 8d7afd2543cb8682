package dev.paygate.devstack;

import dev.paygate.devstack.credentials.DevCredentials;
import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.Repository;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * The launcher's local rendering of envoy.yaml, in one place for {@link Stack}, the benchmark's
 * floor and the policy checker's {@code envoy --mode validate}: loopback listeners on these ports,
 * the built descriptor set and strict-JSON program, the local TLS certificate and JWKS, and fixed
 * replicas instead of the compose DNS name.
 */
public final class LocalEdge {

    private LocalEdge() {
    }

    public static EnvoyConfig render(EnvoyConfig shipped, Repository repository, DevCredentials credentials, int port,
                                     int adminPort, int statsPort, List<InetSocketAddress> replicas) {
        return shipped.listenOn("127.0.0.1", port).adminOn(adminPort).statsOn("127.0.0.1", statsPort)
                .descriptor(repository.descriptorSet())
                .strictJson(repository.strictJsonLua())
                .docs(repository.edgeDocs())
                .serverCertificate(credentials.serverCertificate(), credentials.serverKey())
                .jwks(credentials.signingKey().jwksFile())
                .upstreams(replicas);
    }
}
