package dev.paygate.devstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The replicas a local Envoy sends a cluster's calls to, as files it watches (EDS through
 * {@code path_config_source}, {@link LocalEdge#discoverFrom}): one ClusterLoadAssignment per
 * cluster, as a DiscoveryResponse, in one directory that every Envoy of the stack watches. A file
 * is replaced by a rename inside that directory: Envoy reloads the path when an entry is moved into
 * its {@code watched_directory} (an inotify MovedTo watch, Envoy's config/watched_directory.cc), and
 * a rename never shows it half a file.
 */
final class EndpointFiles {

    private final Path directory;

    EndpointFiles(Path directory) {
        this.directory = directory;
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The directory Envoy watches. */
    Path directory() {
        return directory;
    }

    /** Where {@code cluster}'s endpoints are. */
    Path file(String cluster) {
        return directory.resolve(cluster + ".json");
    }

    /** Replaces {@code cluster}'s endpoints with {@code hosts} (none is allowed: the cluster then has no hosts). */
    void publish(String cluster, List<InetSocketAddress> hosts) {
        String endpoints = hosts.stream()
                .map(host -> "{\"endpoint\":{\"address\":{\"socket_address\":{\"address\":\"" + host.getHostString()
                        + "\",\"port_value\":" + host.getPort() + "}}}}")
                .collect(Collectors.joining(","));
        String response = "{\"resources\":[{\"@type\":\"type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment\","
                + "\"cluster_name\":\"" + cluster + "\",\"endpoints\":[{\"lb_endpoints\":[" + endpoints + "]}]}]}\n";
        try {
            // The temporary name is not the watched path; the rename is the move Envoy reacts to.
            Path temporary = Files.writeString(directory.resolve("." + cluster + ".json.tmp"), response);
            Files.move(temporary, file(cluster), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the endpoints of " + cluster + " in " + directory, e);
        }
    }
}
