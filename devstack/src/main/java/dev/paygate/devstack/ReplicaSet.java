package dev.paygate.devstack;

import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.FreePorts;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stack's service replicas and the endpoint files every Envoy reads them from: the first
 * {@link #stable()} are the service cluster's, the canary ones come after. Callers hold the
 * stack's lock for every change.
 */
final class ReplicaSet {

    private final Stack.Options options;
    private final ReplicaLauncher launcher;
    // Replaced by a supervisor thread while callers read it.
    private final List<ServiceProcess> replicas = new CopyOnWriteArrayList<>();
    private EndpointFiles endpoints;
    private volatile int stable;

    ReplicaSet(Stack.Options options, ReplicaLauncher launcher) {
        this.options = options;
        this.launcher = launcher;
    }

    /** Starts the options' stable and canary replicas and publishes them. */
    void startAll() {
        for (int i = 0; i < options.replicas() + options.canaryReplicas(); i++) {
            replicas.add(startReplica(i, i >= options.replicas()));
        }
        stable = options.replicas();
        endpoints = new EndpointFiles(options.workDir().resolve("endpoints"));
        publishEndpoints();
    }

    EndpointFiles endpoints() {
        return endpoints;
    }

    int stable() {
        return stable;
    }

    int canary() {
        return replicas.size() - stable;
    }

    List<ServiceProcess> all() {
        return replicas;
    }

    /** Writes the replicas every Envoy reads: the stable ones, then the canary ones. */
    private void publishEndpoints() {
        endpoints.publish(EnvoyConfig.SERVICE_CLUSTER, addresses(replicas.subList(0, stable)));
        endpoints.publish(EnvoyConfig.CANARY_CLUSTER, addresses(replicas.subList(stable, replicas.size())));
    }

    private static List<InetSocketAddress> addresses(List<ServiceProcess> processes) {
        return processes.stream().map(ReplicaSet::address).toList();
    }

    private static InetSocketAddress address(ServiceProcess replica) {
        return new InetSocketAddress("127.0.0.1", replica.grpcPort());
    }

    /** {@link Stack#scaleTo}, with the stack's Envoys to wait for. */
    void scaleTo(int count, Envoys envoys) {
        if (count < 1) {
            throw new IllegalArgumentException("at least 1 replica, not " + count);
        }
        while (stable < count) {
            ServiceProcess added = startReplica(freeSlot(), false);
            replicas.add(stable, added);
            added.awaitServing(Duration.ofSeconds(30));
            stable++;
            publishEndpoints();
            envoys.awaitHealthy(EnvoyConfig.SERVICE_CLUSTER, address(added), Duration.ofSeconds(30));
            // Raised once it serves, lowered before it leaves: never above what those in rotation admit.
            envoys.boundFor(stable, canary());
        }
        while (stable > count) {
            envoys.boundFor(stable - 1, canary());
            ServiceProcess leaving = replicas.get(stable - 1);
            replicas.remove(stable - 1);
            stable--;
            publishEndpoints();
            envoys.awaitGone(EnvoyConfig.SERVICE_CLUSTER, address(leaving), Duration.ofSeconds(30));
            launcher.stop(leaving);
        }
    }

    /**
     * The lowest slot no running replica holds. Replica slot {@code k} has the first ports plus
     * {@code k} (unless ports are picked free) and logs to service-k.log.
     */
    private int freeSlot() {
        Set<Path> used = new HashSet<>();
        replicas.forEach(replica -> used.add(replica.log()));
        int slot = 0;
        while (used.contains(log(slot))) {
            slot++;
        }
        return slot;
    }

    private Path log(int slot) {
        return options.workDir().resolve("service-" + slot + ".log");
    }

    private ServiceProcess startReplica(int slot, boolean canary) {
        int grpcPort = options.firstGrpcPort() == 0 ? FreePorts.next() : options.firstGrpcPort() + slot;
        int managementPort = options.firstManagementPort() == 0 ? FreePorts.next() : options.firstManagementPort() + slot;
        return launcher.start(grpcPort, managementPort, canary, log(slot));
    }

    /** Restarts every replica whose process has exited; a failed restart is tried again next time. */
    void restartExited() {
        for (int i = 0; i < replicas.size(); i++) {
            ServiceProcess replica = replicas.get(i);
            if (!replica.isAlive()) {
                System.err.println("replica " + i + " (gRPC port " + replica.grpcPort() + ") exited with "
                        + replica.exitValue() + "; restarting it");
                try {
                    restart(i);
                } catch (RuntimeException e) {
                    System.err.println("restarting replica " + i + " failed, will try again: " + e.getMessage());
                }
            }
        }
    }

    /** {@link Stack#restart}. */
    ServiceProcess restart(int index) {
        ServiceProcess old = replicas.get(index);
        launcher.exited(old);
        ServiceProcess started = launcher.start(old.grpcPort(), old.managementPort(), index >= stable, old.log());
        replicas.set(index, started);
        return started;
    }

    /** Stops every replica; the one training the AOT cache gets the time to write it. */
    void stopAll() {
        replicas.forEach(launcher::stop);
    }
}
