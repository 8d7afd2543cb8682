package dev.paygate.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.paygate.grpc.CallMetadata;
import dev.paygate.testing.RunningService;
import dev.paygate.testing.TestDatabase;
import dev.paygate.v1.GetAccountRequest;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.opentelemetry.instrumentation.logback.mdc.v1_0.OpenTelemetryAppender;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Each log line of a call names the caller's trace: logback.xml's TRACED appender reads the span
 * that {@link TracingInterceptor} keeps current in the call's callbacks. With tracing off (no
 * endpoint) that is the caller's span, nothing is recorded; with it on, the service's own span.
 */
class TraceLogLinesTest {

    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String PARENT_SPAN_ID = "00f067aa0ba902b7";

    private RunningService service;
    private ListAppender<ILoggingEvent> captured;
    private OpenTelemetryAppender traced;

    private void start(Map<String, Object> properties) {
        service = RunningService.start(TestDatabase.postgres(), properties);
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        traced = (OpenTelemetryAppender) root.getAppender("TRACED");
        captured = new ListAppender<>();
        captured.start();
        traced.addAppender(captured);
    }

    @AfterEach
    void stop() throws InterruptedException {
        traced.detachAppender(captured);
        service.close();
    }

    @Test
    void callWithTraceparent_tracingOff_logLinesCarryItsTraceId() {
        start(Map.of());

        Map<String, String> line = failedCallLine("00-" + TRACE_ID + "-" + PARENT_SPAN_ID + "-01");

        assertThat(line)
                .containsEntry("trace_id", TRACE_ID)
                .containsEntry("span_id", PARENT_SPAN_ID);  // nothing recorded: the caller's span is current
    }

    @Test
    void callWithTraceparent_tracingOn_logLinesCarryTheServiceSpan() {
        // Nothing listens there: spans are recorded, their export fails, which this test does not need.
        start(Map.of("paygate.tracing.endpoint", "http://127.0.0.1:9"));

        Map<String, String> line = failedCallLine("00-" + TRACE_ID + "-" + PARENT_SPAN_ID + "-01");

        assertThat(line).containsEntry("trace_id", TRACE_ID);
        assertThat(line.get("span_id")).matches("[0-9a-f]{16}").isNotEqualTo(PARENT_SPAN_ID);
    }

    @Test
    void callWithoutTraceparent_afterATracedCallOnTheSameWorker_namesNoTrace() {
        start(Map.of("paygate.admission.workers", 1));  // both calls run on the one worker thread
        failedCallLine("00-" + TRACE_ID + "-" + PARENT_SPAN_ID + "-01");

        Map<String, String> line = failedCallLine(null);

        assertThat(line).doesNotContainKeys("trace_id", "span_id");
    }

    /** The MDC of the log line of a call refused inside its handler (an account that is not the caller's). */
    private Map<String, String> failedCallLine(String traceparent) {
        String requestId = "req-" + UUID.randomUUID();
        Metadata headers = new Metadata();
        headers.put(CallMetadata.REQUEST_ID_HEADER, requestId);
        if (traceparent != null) {
            headers.put(CallMetadata.TRACEPARENT_HEADER, traceparent);
        }
        assertThatThrownBy(() -> service.accounts()
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .getAccount(GetAccountRequest.newBuilder().setName("accounts/" + UUID.randomUUID()).build()))
                .isInstanceOf(StatusRuntimeException.class);
        return captured.list.stream()
                .filter(e -> requestId.equals(e.getMDCPropertyMap().get("x_request_id")))
                .findFirst().orElseThrow(() -> new AssertionError("no log line with x_request_id " + requestId))
                .getMDCPropertyMap();
    }
}
