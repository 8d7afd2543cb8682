package dev.paygate.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.paygate.testing.RunningService;
import dev.paygate.testing.TestDatabase;
import dev.paygate.v1.GetAccountRequest;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import net.logstash.logback.encoder.LogstashEncoder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Every log line of a call is one JSON object carrying the caller's request id and trace context. */
class RequestMetadataLoggingTest {

    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    private RunningService service;
    private ListAppender<ILoggingEvent> captured;
    private Logger callLogger;

    @BeforeEach
    void start() {
        service = RunningService.start(TestDatabase.postgres());
        callLogger = (Logger) LoggerFactory.getLogger(UnaryCalls.class);
        captured = new ListAppender<>();
        captured.start();
        callLogger.addAppender(captured);
    }

    @AfterEach
    void stop() throws InterruptedException {
        callLogger.detachAppender(captured);
        service.close();
    }

    @Test
    void failedCall_logsJsonWithRequestIdTraceparentAndMethod() throws Exception {
        String requestId = "req-" + UUID.randomUUID();
        Metadata headers = new Metadata();
        headers.put(CallMetadata.REQUEST_ID_HEADER, requestId);
        headers.put(CallMetadata.TRACEPARENT_HEADER, TRACEPARENT);

        assertThatThrownBy(() -> service.accounts()
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .getAccount(GetAccountRequest.newBuilder().setName("accounts/" + UUID.randomUUID()).build()))
                .isInstanceOf(StatusRuntimeException.class);

        ILoggingEvent event = captured.list.stream()
                .filter(e -> requestId.equals(e.getMDCPropertyMap().get("x_request_id")))
                .findFirst().orElseThrow(() -> new AssertionError("no log line with x_request_id " + requestId
                        + " among " + captured.list));
        LogstashEncoder encoder = new LogstashEncoder();
        encoder.start();
        JsonNode line = new ObjectMapper().readTree(new String(encoder.encode(event), StandardCharsets.UTF_8));
        assertThat(line.get("x_request_id").asText()).isEqualTo(requestId);
        assertThat(line.get("traceparent").asText()).isEqualTo(TRACEPARENT);
        assertThat(line.get("grpc_method").asText()).isEqualTo("paygate.v1.AccountService/GetAccount");
        assertThat(line.get("message").asText()).contains("ACCOUNT_ACCESS_DENIED");
    }
}
