package dev.paygate.tracing;

import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Value;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import jakarta.inject.Singleton;

/**
 * The service's one {@link OpenTelemetry}. With an endpoint: the SDK, parent-based ratio
 * sampling, batched OTLP/gRPC export. Without: no SDK at all, only W3C propagation, so a call's
 * span is its caller's (the trace id still reaches every log line) and nothing is recorded.
 */
@Factory
class TracingFactory {

    @Singleton
    @Bean(preDestroy = "close")
    Tracing tracing(TracingProperties properties, @Value("${micronaut.application.name}") String serviceName) {
        ContextPropagators propagators = ContextPropagators.create(W3CTraceContextPropagator.getInstance());
        if (!properties.exporting()) {
            return new Tracing(OpenTelemetry.propagating(propagators), () -> { });
        }
        SdkTracerProvider tracerProvider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(
                        Attributes.builder().put("service.name", serviceName).build())))
                .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(properties.getSampleRatio())))
                .addSpanProcessor(BatchSpanProcessor.builder(
                        OtlpGrpcSpanExporter.builder().setEndpoint(properties.getEndpoint()).build()).build())
                .build();
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
                .setTracerProvider(tracerProvider)
                .setPropagators(propagators)
                .build();
        return new Tracing(sdk, sdk::close);
    }
}
