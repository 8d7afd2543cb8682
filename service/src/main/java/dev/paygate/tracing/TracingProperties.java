package dev.paygate.tracing;

import io.micronaut.context.annotation.ConfigurationProperties;

/**
 * Where the service sends its spans and how many root traces it keeps. Without an endpoint
 * nothing is recorded or exported; an incoming {@code traceparent} still reaches the logs.
 */
@ConfigurationProperties("paygate.tracing")
public class TracingProperties {

    /** OTLP/gRPC endpoint of a collector, e.g. {@code http://127.0.0.1:4317}; empty: off. */
    private String endpoint = "";

    /**
     * Share of traces this service starts itself (calls without a {@code traceparent}) that it
     * records; a call with one follows its caller's sampled flag.
     */
    private double sampleRatio = 1.0;

    public String getEndpoint() {
        return endpoint;
    }

    public void setEndpoint(String endpoint) {
        this.endpoint = endpoint == null ? "" : endpoint.trim();
    }

    public double getSampleRatio() {
        return sampleRatio;
    }

    public void setSampleRatio(double sampleRatio) {
        if (sampleRatio < 0 || sampleRatio > 1) {
            throw new IllegalArgumentException("paygate.tracing.sample-ratio must lie in [0, 1], not " + sampleRatio);
        }
        this.sampleRatio = sampleRatio;
    }

    public boolean exporting() {
        return !endpoint.isEmpty();
    }
}
