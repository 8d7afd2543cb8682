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
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * With tracing off (no endpoint, as in these tests) the service records nothing, yet each log line
 * of a call names the caller's trace: logback.xml's TRACED appender reads the span that the gRPC
 * instrumentation made current from the {@code traceparent}.
 */
class TraceLogLinesTest {

    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String PARENT_SPAN_ID = "00f067aa0ba902b7";

    private RunningService service;
    private ListAppender<ILoggingEvent> captured;
    private OpenTelemetryAppender traced;

    @BeforeEach
    void start() {
        service = RunningService.start(TestDatabase.postgres());
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
        String requestId = "req-" + UUID.randomUUID();
        Metadata headers = new Metadata();
        headers.put(CallMetadata.REQUEST_ID_HEADER, requestId);
        headers.put(CallMetadata.TRACEPARENT_HEADER, "00-" + TRACE_ID + "-" + PARENT_SPAN_ID + "-01");

        assertThatThrownBy(() -> service.accounts()
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .getAccount(GetAccountRequest.newBuilder().setName("accounts/" + UUID.randomUUID()).build()))
                .isInstanceOf(StatusRuntimeException.class);

        ILoggingEvent line = captured.list.stream()
                .filter(e -> requestId.equals(e.getMDCPropertyMap().get("x_request_id")))
                .findFirst().orElseThrow(() -> new AssertionError("no log line with x_request_id " + requestId));
        assertThat(line.getMDCPropertyMap())
                .containsEntry("trace_id", TRACE_ID)
                .containsEntry("span_id", PARENT_SPAN_ID);  // nothing recorded: the caller's span is current
    }
}
