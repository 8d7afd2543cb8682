package dev.paygate.bench;

import java.time.Instant;

/** The service JVM's side of one measured window: when it ran, what the service allocated, its collector's pauses. */
record JvmWindow(Instant start, Instant end, ServiceJvmProbe.Allocation allocation, GcPauses.Summary pauses) {
}
