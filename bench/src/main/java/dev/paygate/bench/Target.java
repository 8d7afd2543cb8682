package dev.paygate.bench;

/**
 * The paths a call can take, measured in the same run so that their ratios hold on a noisy
 * machine: straight to the service, through the full edge (envoy.yaml), and through the floor
 * (the same config reduced to transcoder + router, {@link FloorEdge}).
 */
enum Target {
    GRPC_DIRECT("grpc_direct", false, Edge.NONE),
    GRPC_EDGE("grpc_edge", false, Edge.FULL),
    REST_EDGE("rest_edge", true, Edge.FULL),
    GRPC_FLOOR("grpc_floor", false, Edge.FLOOR),
    REST_FLOOR("rest_floor", true, Edge.FLOOR);

    /** Which Envoy, if any, a call crosses. */
    enum Edge { NONE, FULL, FLOOR }

    final String key;
    final boolean rest;
    final Edge edge;

    Target(String key, boolean rest, Edge edge) {
        this.key = key;
        this.rest = rest;
        this.edge = edge;
    }
}
