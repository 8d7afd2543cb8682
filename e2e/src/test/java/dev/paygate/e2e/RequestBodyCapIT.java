package dev.paygate.e2e;

import static dev.paygate.e2e.RestPayments.assertError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import com.google.type.Money;
import dev.paygate.devstack.credentials.EdgeTls;
import dev.paygate.e2e.Edge.Rest;
import dev.paygate.e2e.RestPayments.Balances;
import dev.paygate.edge.Command;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.CreateAuthorizationRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A request body over the edge's 64 KiB cap gets the JSON 413 whatever the client and protocol,
 * and changes nothing. Over HTTP/2 an answer that comes while the client is still sending is
 * followed by RST_STREAM(NO_ERROR), which curl and Java's HttpClient treat as a failure and drop
 * the answer with; so the edge reads a REST body over the cap to its end, up to 1 MiB, dropping it
 * as it comes (envoy.yaml's body cap, body_cap.lua), and answers then. Each body is a valid
 * authorization padded with spaces: had any reached the service, it would hold money.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@EndToEnd
class RequestBodyCapIT {

    private static final int KIB = 1024;
    private static final String TOO_LARGE = "REQUEST_TOO_LARGE";

    private Edge edge;
    private RestPayments rest;
    private HttpClient http2;
    private String account;

    @TempDir
    Path workDir;

    @BeforeAll
    void setUp(Edge started) {
        edge = started;
        rest = new RestPayments(edge);
        http2 = EdgeTls.httpClient(edge.stack().credentials().caCertificate(), HttpClient.Version.HTTP_2);
        account = rest.createAccount(500).get("name").asText();
    }

    @ParameterizedTest(name = "{0} KiB")
    @ValueSource(ints = {65, 200, 1000})
    void bodyOverTheCap_overHttp2_is413ForJavasHttpClient_andChangesNothing(int kib) throws Exception {
        Balances before = rest.balances(account);
        String requestId = UUID.randomUUID().toString();

        HttpResponse<String> answer = http2.send(HttpRequest.newBuilder(authorizationsUri())
                .timeout(Duration.ofSeconds(10))
                .header("authorization", Edge.bearer(edge.token(edge.subject())))
                .header("content-type", "application/json")
                .header("x-request-id", requestId)
                .POST(HttpRequest.BodyPublishers.ofString(paddedAuthorization(kib))).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(answer.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertError(new Rest(answer.statusCode(), answer.headers(), answer.body(), Edge.JSON.readTree(answer.body())),
                413, 3, TOO_LARGE);
        assertThat(rest.balances(account)).isEqualTo(before);
        JsonNode logged = EnvoyAccessLog.of(edge).entry(requestId);
        assertThat(logged.path("bytes_received").asLong()).as("read to its end").isEqualTo(kib * KIB);
    }

    @Test
    void bodyOverTheCap_overHttp2_is413ForCurl() throws IOException {
        Balances before = rest.balances(account);

        Command.Result curl = curl("--http2", paddedAuthorization(200));

        assertThat(curl.exitCode()).as(curl.output()).isZero();
        String[] lines = curl.output().strip().split("\n");
        assertThat(lines[lines.length - 1]).isEqualTo("413");
        assertThat(Edge.JSON.readTree(lines[0]).path("details").get(0).path("reason").asText()).isEqualTo(TOO_LARGE);
        assertThat(rest.balances(account)).isEqualTo(before);
    }

    /** Beyond 1 MiB the edge stops reading and refuses at once, as the buffer filter alone does. */
    @Test
    void bodyOverTheDrainLimit_isRefusedWithoutReadingItAll() throws IOException {
        Balances before = rest.balances(account);
        String requestId = UUID.randomUUID().toString();

        Command.Result curl = curl("--http1.1", paddedAuthorization(4 * KIB), "-H", "x-request-id: " + requestId);

        assertThat(curl.exitCode()).as(curl.output()).isZero();
        assertThat(curl.output().strip()).endsWith("413");
        assertThat(rest.balances(account)).isEqualTo(before);
        assertThat(EnvoyAccessLog.of(edge).entry(requestId).path("bytes_received").asLong())
                .as("what the edge read of 4 MiB").isLessThan(2L * KIB * KIB);
    }

    /** gRPC skips the drain: grpc-java keeps an answer that ends the stream before its message is sent. */
    @Test
    void messageOverTheCap_overGrpc_isInvalidArgument_andChangesNothing() {
        Balances before = rest.balances(account);
        // Valid but for a 200 KiB unknown field, which the service would ignore: only the size is wrong.
        CreateAuthorizationRequest request = CreateAuthorizationRequest.newBuilder().setParent(account)
                .setAuthorization(Authorization.newBuilder()
                        .setAmount(Money.newBuilder().setCurrencyCode("EUR").setUnits(10))
                        .setMerchantId("shop-1").setMerchantCategoryCode("5411"))
                .setUnknownFields(UnknownFieldSet.newBuilder().addField(999, UnknownFieldSet.Field.newBuilder()
                        .addLengthDelimited(ByteString.copyFrom(new byte[200 * KIB])).build()).build())
                .build();

        StatusRuntimeException refused = catchThrowableOfType(
                () -> edge.authorizations().createAuthorization(request), StatusRuntimeException.class);

        assertThat(refused).isNotNull();
        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(refused.getStatus().getDescription()).isEqualTo("The request body is larger than this API accepts.");
        assertThat(rest.balances(account)).isEqualTo(before);
    }

    private URI authorizationsUri() {
        return URI.create("https://localhost:" + edge.stack().envoyPort() + "/v1/" + account + "/authorizations");
    }

    /** A valid authorization of 10 EUR, padded with spaces to {@code kib} KiB. */
    private static String paddedAuthorization(int kib) {
        String body = RestPayments.authorizationBody(10);
        return body + " ".repeat(kib * KIB - body.length());
    }

    /** curl POSTs {@code body} as a user would; prints the body, then the HTTP status on its own line. */
    private Command.Result curl(String protocol, String body, String... more) throws IOException {
        Path file = Files.writeString(workDir.resolve(UUID.randomUUID() + ".json"), body);
        List<String> command = new ArrayList<>(List.of("curl", "-sS", protocol,
                "--cacert", edge.stack().credentials().caCertificate().toString(),
                "-H", "authorization: " + Edge.bearer(edge.token(edge.subject())),
                "-H", "content-type: application/json", "--data-binary", "@" + file, "-w", "\n%{http_code}"));
        command.addAll(List.of(more));
        command.add(authorizationsUri().toString());
        return Command.run(new ProcessBuilder(command).redirectErrorStream(true), Duration.ofSeconds(30));
    }
}
