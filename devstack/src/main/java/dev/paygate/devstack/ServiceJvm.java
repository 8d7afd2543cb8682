package dev.paygate.devstack;

/** Which JVM flags a {@link Stack} starts its service replicas with. */
public enum ServiceJvm {
    /** C1 only and the serial collector with the stack's heap: the end-to-end tests' fast start. */
    FAST_START,
    /** service/jvm.options, the flags the Docker image runs with: what `bench` measures. */
    PRODUCTION,
    /**
     * The production flags and, on Java 25, the service's AOT cache in the work directory's
     * {@code aot/} ({@link AotCache}): what `run` starts. Once a first run has trained the cache, a
     * replica starts and warms up faster (README, "Which JVM"). The bench's replica keeps
     * PRODUCTION (the Docker image has no cache); its startup part measures both.
     */
    PRODUCTION_WITH_AOT_CACHE
}
