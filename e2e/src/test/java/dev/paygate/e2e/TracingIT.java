package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paygate.devstack.LocalCollector;
import dev.paygate.e2e.CollectedSpans.Span;
import dev.paygate.e2e.Edge.Rest;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * One REST call through the real edge is one trace in a real OpenTelemetry Collector: Envoy's
 * span, under it the service's span of the gRPC call, under that a span per SQL statement and
 * commit; the access log line and the service's log lines name the same trace id. A failed
 * call's span carries its gRPC status code and its ErrorInfo reason.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@EndToEnd(traces = true)
class TracingIT {

    private static final String EDGE = "paygate-edge";
    private static final String SERVICE = "paygate-service";

    private Edge edge;
    private CollectedSpans collected;
    private EnvoyAccessLog accessLog;

    @BeforeAll
    void setUp(Edge started, LocalCollector collector) {
        edge = started;
        collected = new CollectedSpans(collector.spansFile());
        accessLog = EnvoyAccessLog.of(edge);
    }

    @Test
    void restCall_isOneTrace_edgeSpan_serviceSpan_databaseSpans() {
        Rest created = new RestPayments(edge).openAccount(500);
        assertThat(created.status()).as(created.text()).isEqualTo(200);
        String traceId = traceIdOf(created);

        List<Span> trace = collected.awaitTrace(traceId, spans -> call(spans, "CreateAccount") != null
                && !statements(spans, call(spans, "CreateAccount")).isEmpty() && edgeSpan(spans) != null);

        Span ingress = edgeSpan(trace);
        Span call = call(trace, "CreateAccount");
        List<Span> database = statements(trace, call);
        assertThat(ingress.parentSpanId()).as("the edge starts the trace").isEmpty();
        assertThat(call.parentSpanId()).as("the service continues the edge's span").isEqualTo(ingress.spanId());
        assertThat(database).allSatisfy(span -> assertThat(span.parentSpanId()).isEqualTo(call.spanId()));
        assertThat(database).anySatisfy(span -> assertThat(span.name()).startsWith("INSERT"));
        print(trace);
    }

    @Test
    void failedCall_spanCarriesGrpcStatusAndErrorReason_andTheLogLineTheTraceId() throws IOException {
        Rest missing = edge.get("/v1/accounts/" + java.util.UUID.randomUUID());
        assertThat(missing.status()).as(missing.text()).isEqualTo(403);  // someone else's or none: PERMISSION_DENIED
        String code = missing.json().path("code").asText();
        String reason = missing.json().path("details").get(0).path("reason").asText();
        String traceId = traceIdOf(missing);

        List<Span> trace = collected.awaitTrace(traceId, spans -> call(spans, "GetAccount") != null
                && edgeSpan(spans) != null);

        Span call = call(trace, "GetAccount");
        assertThat(call.parentSpanId()).isEqualTo(edgeSpan(trace).spanId());
        assertThat(call.attribute("rpc.grpc.status_code")).as("%s", call.attributes()).isEqualTo(code).isEqualTo("7");
        assertThat(call.attribute("paygate.error.reason")).as("%s", call.attributes()).isEqualTo(reason);
        assertThat(Files.readAllLines(edge.stack().workDir().resolve("service-0.log")))
                .as("the service's log line of the failed call names its trace")
                .anySatisfy(line -> assertThat(line).contains("call failed").contains("\"trace_id\":\"" + traceId + "\""));
        print(trace);
    }

    /** The trace id Envoy logged for this answer's request (its x-request-id, echoed back). */
    private String traceIdOf(Rest answer) {
        JsonNode entry = accessLog.entry(answer.header("x-request-id"));
        String traceId = entry.path("trace_id").asText();
        assertThat(traceId).as("access log entry %s", entry).matches("[0-9a-f]{32}");
        return traceId;
    }

    private static Span edgeSpan(List<Span> trace) {
        return trace.stream().filter(s -> EDGE.equals(s.service()) && s.kind() == Span.SERVER).findFirst().orElse(null);
    }

    private static Span call(List<Span> trace, String method) {
        return trace.stream().filter(s -> SERVICE.equals(s.service()) && s.kind() == Span.SERVER
                && s.name().endsWith("/" + method)).findFirst().orElse(null);
    }

    /** The service's database spans under a call (JDBC statements, commit). */
    private static List<Span> statements(List<Span> trace, Span call) {
        if (call == null) {
            return List.of();
        }
        return trace.stream().filter(s -> SERVICE.equals(s.service()) && s.kind() == Span.CLIENT
                && s.spanId() != null && "postgresql".equals(dbSystem(s))).toList();
    }

    private static String dbSystem(Span span) {
        String name = span.attribute("db.system.name");
        return name != null ? name : span.attribute("db.system");
    }

    private static void print(List<Span> trace) {
        System.out.println("trace " + trace.get(0).traceId() + ":");
        trace.stream().sorted(Comparator.comparingLong(Span::startNanos)).forEach(span -> System.out.printf(
                "  %-15s %-45s %8.2f ms  span %s parent %s%n", span.service(), span.name(), span.millis(),
                span.spanId(), span.parentSpanId().isEmpty() ? "-" : span.parentSpanId()));
    }
}
