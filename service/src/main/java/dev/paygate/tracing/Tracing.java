package dev.paygate.tracing;

import io.opentelemetry.api.OpenTelemetry;

/** The configured {@link OpenTelemetry} and how to flush and stop it when the service stops. */
public record Tracing(OpenTelemetry openTelemetry, Runnable shutdown) {

    public void close() {
        shutdown.run();
    }
}
