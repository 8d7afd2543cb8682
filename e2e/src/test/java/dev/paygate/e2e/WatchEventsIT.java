package dev.paygate.e2e;

import static dev.paygate.e2e.Payments.account;
import static dev.paygate.e2e.Payments.authorize;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import dev.paygate.v1.CaptureAuthorizationRequest;
import dev.paygate.v1.WatchAuthorizationEventsRequest;
import dev.paygate.v1.WatchAuthorizationEventsResponse;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * WatchAuthorizationEvents through the real Envoy: over gRPC, replay then follow with no gap and
 * no duplicate, the owner only, a per-identity stream limit, and its own maximum duration (not the
 * 2 s read route's); over REST, the same stream as NDJSON and as Server-Sent Events, and the way a
 * stream that ends in an error reaches a REST client.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@EndToEnd(serviceEnvironment = {"PAYGATE_STREAM_MAX_PER_IDENTITY=3", "PAYGATE_STREAM_HEARTBEAT=1s",
        "PAYGATE_STREAM_POLL_INTERVAL=100ms", "PAYGATE_STREAM_MAX_DURATION=6s"})
class WatchEventsIT {

    private Edge edge;

    @BeforeAll
    void setUp(Edge started) {
        edge = started;
    }

    @Test
    void grpc_replaysThenFollows_inOrder_withoutGapOrDuplicate_pastTheReadRoutesBudget() throws Exception {
        String account = edge.accounts().createAccount(account(10_000)).getName();
        authorizeAndCapture(account);  // events 1, 2

        try (EventWatch watch = EventWatch.open(edge.channel(), edge.headers(Map.of()), EventWatch.after(account, 0))) {
            assertThat(watch.nextEvents(2)).containsExactly(1L, 2L);
            // Followed while it happens, across more than the 2 s a unary read may take.
            List<Long> expected = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                authorizeAndCapture(account);
                expected.add(3L + 2 * i);
                expected.add(4L + 2 * i);
                Thread.sleep(700);
            }
            assertThat(watch.nextEvents(8)).containsExactlyElementsOf(expected);
            // Caught up: what comes next is a heartbeat, no event again.
            WatchAuthorizationEventsResponse next = watch.poll(10_000);
            assertThat(next).as("a heartbeat within 10 s").isNotNull();
            assertThat(next.hasHeartbeat()).as("after the last event: %s", next).isTrue();
        }
    }

    @Test
    void grpc_onlyTheOwnersEvents() throws Exception {
        String account = edge.accounts().createAccount(account(1000)).getName();
        String victims = edge.authorizations().createAuthorization(authorize(account, 10)).getName();
        Map<String, String> stranger = Map.of("authorization", Edge.bearer(edge.token("watch-stranger")));
        String strangers = edge.accounts(stranger).createAccount(account(100)).getName();

        try (EventWatch denied = EventWatch.open(edge.channel(), edge.headers(stranger), EventWatch.after(account, 0));
             EventWatch crossed = EventWatch.open(edge.channel(), edge.headers(stranger),
                     WatchAuthorizationEventsRequest.newBuilder().setParent(strangers).setAuthorization(victims).build())) {
            Throwable deniedEnd = denied.end().get(15, TimeUnit.SECONDS);
            assertThat(Status.fromThrowable(deniedEnd).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
            assertThat(reason(deniedEnd)).isEqualTo("ACCOUNT_ACCESS_DENIED");
            Throwable crossedEnd = crossed.end().get(15, TimeUnit.SECONDS);
            assertThat(Status.fromThrowable(crossedEnd).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(denied.drain()).isEmpty();
            assertThat(crossed.drain()).isEmpty();
        }
    }

    @Test
    void grpc_theStreamOverTheIdentitysLimit_isRefused_andTheOthersFollowOn() throws Exception {
        Map<String, String> caller = Map.of("authorization", Edge.bearer(edge.token("watch-limited")));
        String account = edge.accounts(caller).createAccount(account(1000)).getName();
        List<EventWatch> open = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                EventWatch watch = EventWatch.open(edge.channel(), edge.headers(caller), EventWatch.after(account, 0));
                open.add(watch);
                assertThat(watch.poll(10_000)).as("stream %d is open", i + 1).isNotNull();
            }
            try (EventWatch refused = EventWatch.open(edge.channel(), edge.headers(caller), EventWatch.after(account, 0))) {
                Throwable end = refused.end().get(15, TimeUnit.SECONDS);
                assertThat(Status.fromThrowable(end).getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                assertThat(reason(end)).isEqualTo("TOO_MANY_STREAMS");
            }
            edge.authorizations(caller).createAuthorization(authorize(account, 10));
            for (EventWatch watch : open) {
                assertThat(watch.nextEvents(1)).containsExactly(1L);
            }
        } finally {
            open.forEach(EventWatch::close);
        }
    }

    @Test
    void grpc_theStreamEndsAtItsMaximumDuration_withTheCursorToResumeFrom() throws Exception {
        String account = edge.accounts().createAccount(account(1000)).getName();
        edge.authorizations().createAuthorization(authorize(account, 10));
        try (EventWatch watch = EventWatch.open(edge.channel(), edge.headers(Map.of()), EventWatch.after(account, 0))) {
            assertThat(watch.nextEvents(1)).containsExactly(1L);
            Throwable end = watch.end().get(20, TimeUnit.SECONDS);
            assertThat(Status.fromThrowable(end).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(reason(end)).isEqualTo("STREAM_DURATION_REACHED");
            assertThat(errorInfo(end).getMetadataMap()).containsEntry("after_sequence", "1");
        }
    }

    @Test
    void rest_ndjson_oneMessagePerLine_replayThenLive_endingInTheStatusItEndsWith() throws Exception {
        String account = edge.accounts().createAccount(account(1000)).getName();
        edge.authorizations().createAuthorization(authorize(account, 10));
        // HTTP/1.1, as curl and most HTTP clients stream: no trailers reach the client. (The README's
        // curl line, with its cursor as a query parameter.)
        HttpResponse<Stream<String>> response = edge.streamLines("/v1/" + account + "/authorizationEvents:watch"
                + "?afterSequence=0", Map.of(), false);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        List<JsonNode> messages = new ArrayList<>();
        try (Stream<String> lines = response.body()) {
            Iterator<String> body = lines.iterator();
            messages.add(Edge.JSON.readTree(body.next()));
            assertThat(messages.get(0).at("/authorizationEvent/sequence").asText()).isEqualTo("1");
            edge.authorizations().createAuthorization(authorize(account, 20));
            body.forEachRemaining(line -> messages.add(readTree(line)));
        }
        assertFollowedThenEnded(messages);
    }

    @Test
    void rest_serverSentEvents_oneDataEventPerMessage_replayThenLive_endingInTheStatusItEndsWith() throws Exception {
        String account = edge.accounts().createAccount(account(1000)).getName();
        edge.authorizations().createAuthorization(authorize(account, 10));
        // HTTP/2, as browsers' EventSource does; Accept picks SSE (route rest_sse).
        HttpResponse<Stream<String>> response = edge.streamLines("/v1/" + account + "/authorizationEvents:watch",
                Map.of("accept", "text/event-stream"), true);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/event-stream");
        List<String> lines = new ArrayList<>();
        try (Stream<String> body = response.body()) {
            Iterator<String> it = body.iterator();
            lines.add(it.next());
            assertThat(lines.get(0)).startsWith("data: {\"authorizationEvent\":");
            edge.authorizations().createAuthorization(authorize(account, 20));
            it.forEachRemaining(lines::add);
        }
        // Each event is one "data:" line and a blank line.
        for (int i = 0; i < lines.size(); i++) {
            assertThat(lines.get(i)).as("line %d", i).matches(i % 2 == 0 ? "^data: \\{.*\\}$" : "^$");
        }
        assertFollowedThenEnded(lines.stream().filter(l -> !l.isEmpty()).map(l -> readTree(l.substring(6))).toList());
    }

    /**
     * Event 1 (replayed), event 2 (followed), heartbeats around them, and last the stream's end at
     * its maximum duration: the google.rpc.Status in JSON, as Envoy's error bodies are.
     */
    private static void assertFollowedThenEnded(List<JsonNode> messages) {
        List<String> events = messages.stream().filter(m -> m.has("authorizationEvent"))
                .map(m -> m.at("/authorizationEvent/sequence").asText()).toList();
        assertThat(events).containsExactly("1", "2");
        assertThat(messages).filteredOn(m -> m.has("heartbeat")).isNotEmpty();
        JsonNode last = messages.get(messages.size() - 1);
        assertThat(last.at("/end/code").asInt()).isEqualTo(Status.Code.UNAVAILABLE.value());
        JsonNode errorInfo = java.util.stream.StreamSupport.stream(last.at("/end/details").spliterator(), false)
                .filter(d -> d.path("@type").asText().endsWith("google.rpc.ErrorInfo")).findFirst().orElseThrow();
        assertThat(errorInfo.path("reason").asText()).isEqualTo("STREAM_DURATION_REACHED");
        assertThat(errorInfo.at("/metadata/after_sequence").asText()).isEqualTo("2");
        assertThat(messages).filteredOn(m -> m.has("end")).hasSize(1);
    }

    private static JsonNode readTree(String json) {
        try {
            return Edge.JSON.readTree(json);
        } catch (java.io.IOException e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }

    private void authorizeAndCapture(String account) {
        String name = edge.authorizations().createAuthorization(authorize(account, 5)).getName();
        edge.authorizations().captureAuthorization(CaptureAuthorizationRequest.newBuilder().setName(name).build());
    }

    private static String reason(Throwable error) {
        return errorInfo(error).getReason();
    }

    private static ErrorInfo errorInfo(Throwable error) {
        com.google.rpc.Status status = StatusProto.fromThrowable(error);
        assertThat(status).as("status details of %s", error).isNotNull();
        return status.getDetailsList().stream().filter(d -> d.is(ErrorInfo.class)).findFirst().map(d -> {
            try {
                return d.unpack(ErrorInfo.class);
            } catch (InvalidProtocolBufferException e) {
                throw new AssertionError(e);
            }
        }).orElseThrow(() -> new AssertionError("no ErrorInfo in " + status));
    }
}
