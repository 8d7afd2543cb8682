package dev.paygate.devstack;

/** Which JVM flags a {@link Stack} starts its service replicas with. */
public enum ServiceJvm {
    /** C1 only and the serial collector with the stack's heap: the end-to-end tests' fast start. */
    FAST_START,
    /** service/jvm.options, the flags the Docker image runs with: what `run` and `bench` measure. */
    PRODUCTION
}
