package dev.paygate.edge.strictjson;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.paygate.edge.EnvoyProcess;
import dev.paygate.edge.FreePorts;
import dev.paygate.edge.Repository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The strict-JSON Lua program itself, generated for {@link ShopContract} (maps, oneofs, json_name,
 * nesting: what paygate.v1 lacks) and run by a real Envoy 1.40, so the LuaJIT and the Lua API are
 * the ones in production: Envoy with only that filter in front of a route that answers 200
 * "passed". A request the program lets through gets 200; one it refuses gets its 400 status.
 * (Why Envoy rather than a standalone Lua: the program's contract is Envoy's handle API, and
 * Envoy ships its own LuaJIT; a second interpreter would test something else.)
 */
@Tag("static")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StrictJsonFilterTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String VALID_SHOP = """
            {"name": "s", "item": {"title": "t", "price": {"cents": "5"}},
             "itemsById": {"a": {"title": "x"}, "b": {"price": {"cents": 1}}}, "card": {"number": "4"},
             "extras": [{"title": "e"}, {"price": null}], "openTime": "2020-01-01T00:00:00Z", "field1": "f",
             "SKU": "k"}
            """;

    private EnvoyProcess envoy;
    private int port;
    private final HttpClient http = HttpClient.newHttpClient();

    record Answer(int status, String body, JsonNode json, String allow) {
    }

    @BeforeAll
    void startEnvoy(@TempDir Path workDir) throws IOException {
        Repository repository = Repository.locate();
        Path program = workDir.resolve("strict_json.lua");
        Files.writeString(program, StrictJsonLua.render(RestContract.of(ShopContract.contract(), ShopContract.SERVICES),
                Files.readString(repository.root().resolve("edge/src/main/lua/strict_json.lua"))));
        port = FreePorts.next();
        int admin = FreePorts.next();
        Path config = Files.writeString(workDir.resolve("envoy.yaml"), """
                static_resources:
                  listeners:
                  - address: {socket_address: {address: 127.0.0.1, port_value: %d}}
                    filter_chains:
                    - filters:
                      - name: envoy.filters.network.http_connection_manager
                        typed_config:
                          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                          stat_prefix: test
                          http_filters:
                          - name: envoy.filters.http.buffer
                            typed_config:
                              "@type": type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer
                              max_request_bytes: 65536
                          - name: envoy.filters.http.lua
                            typed_config:
                              "@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua
                              default_source_code: {filename: %s}
                          - name: envoy.filters.http.router
                            typed_config:
                              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
                          route_config:
                            virtual_hosts:
                            - name: all
                              domains: ["*"]
                              routes:
                              - match: {prefix: /}
                                direct_response: {status: 200, body: {inline_string: passed}}
                admin:
                  address: {socket_address: {address: 127.0.0.1, port_value: %d}}
                """.formatted(port, program, admin));
        envoy = EnvoyProcess.start(repository.envoyBinary(), config, admin, workDir.resolve("envoy.log"));
    }

    @AfterAll
    void stopEnvoy() {
        if (envoy != null) {
            envoy.close();
        }
    }

    // --- bodies: the contract's keys, in both spellings, at every depth

    @Test
    void validBody_withJsonNames_mapsOneofRepeatedAndWellKnownTypes_passes() {
        assertPasses(send("POST", "/v1/regions/r/shops", "application/json", VALID_SHOP));
    }

    @Test
    void protoNames_andCustomJsonName_andEscapedKeys_pass() {
        assertPasses(send("POST", "/v1/shops", "application/json", """
                {"items_by_id": {}, "field_1": "f", "sku": "k", "open_time": "2020-01-01T00:00:00Z",
                 "it\\u0065m": {"\\u0074itle": "x"}, "name": "\\ud83d\\ude00 \\" \\\\ \\/ \\n"}
                """));
    }

    @Test
    void unknownKey_atAnyDepth_isRefusedNamingItsPath() {
        assertRefused(send("POST", "/v1/shops", "application/json", "{\"item\": {\"price\": {\"cent\": 1}}}"),
                "UNKNOWN_FIELD", "shop.item.price.cent");
        assertRefused(send("POST", "/v1/shops", "application/json", "{\"itemsById\": {\"a\": {\"titel\": \"x\"}}}"),
                "UNKNOWN_FIELD", "shop.itemsById.a.titel");
        assertRefused(send("POST", "/v1/shops", "application/json", "{\"extras\": [{\"title\": \"ok\"}, {\"prise\": {}}]}"),
                "UNKNOWN_FIELD", "shop.extras.prise");
        // json_name is "SKU" and the proto name "sku": a camel-casing guess is neither.
        assertRefused(send("POST", "/v1/shops", "application/json", "{\"Sku\": \"k\"}"), "UNKNOWN_FIELD", "shop.Sku");
        assertRefused(send("PATCH", "/v1/shops/s:touch", "application/json", "{\"bogus\": 1}"), "UNKNOWN_FIELD", "bogus");
    }

    @Test
    void wellKnownTypes_areLeftToTheTranscoder() {
        assertPasses(send("POST", "/v1/shops", "application/json", "{\"openTime\": {\"any\": [1, {\"thing\": true}]}}"));
    }

    @Test
    void sameField_twice_orTwoMembersOfAOneof_isRefused() {
        assertRefused(send("POST", "/v1/shops", "application/json", "{\"name\": \"a\", \"name\": \"b\"}"),
                "DUPLICATE_FIELD", "shop.name");
        assertRefused(send("POST", "/v1/shops", "application/json", "{\"sku\": \"a\", \"SKU\": \"b\"}"),
                "DUPLICATE_FIELD", "shop.SKU");
        assertRefused(send("POST", "/v1/shops", "application/json", "{\"card\": {}, \"iban\": \"x\"}"),
                "DUPLICATE_FIELD", "shop.iban");
        assertRefused(send("POST", "/v1/shops", "application/json", "{\"itemsById\": {\"a\": {}, \"\\u0061\": {}}}"),
                "DUPLICATE_FIELD", "shop.itemsById.a");
    }

    @Test
    void nulCharacters_areRefused_inValuesAndKeys() {
        assertRefused(send("POST", "/v1/shops", "application/json", "{\"name\": \"a\\u0000\"}"),
                "INVALID_CHARACTER", "shop.name");
        assertRefused(send("POST", "/v1/shops", "application/json", "{\"itemsById\": {\"a\\u0000\": {}}}"),
                "INVALID_CHARACTER", "shop.itemsById");
    }

    @Test
    void malformedJson_isRefusedWithoutAFieldViolation() {
        for (String body : List.of("{\"name\": \"a\",}", "{\"name\" \"a\"}", "{\"name\": 01}", "{\"name\": \"\\x\"}",
                "{\"name\": \"\\ud800\"}", "{\"name\": tru}", "{\"name\": \"a\"} {}", "[]", "\"shop\"",
                "{\"name\": \"a\u0001\"}", "[".repeat(40) + "]".repeat(40), "{\"name\": \"a")) {
            Answer answer = send("POST", "/v1/shops", "application/json", body);

            assertThat(answer.status()).as(body).isEqualTo(400);
            assertThat(answer.json().at("/details/0/reason").asText()).as(body).isEqualTo("MALFORMED_REQUEST");
            assertThat(answer.json().path("details")).as(body).hasSize(1);
        }
        assertPasses(send("POST", "/v1/shops", "application/json", " \r\n\t"));
        assertPasses(send("POST", "/v1/shops", "application/json",
                "{\"openTime\": [-0, 1.5e3, 2E-2, 0.25, true, false, null, \"\"]}"));
    }

    // --- query parameters: the documented ones, in either spelling, once unless repeated

    @Test
    void queryParameters_onlyTheDocumentedOnes_eachOnceUnlessRepeated() {
        assertPasses(send("GET", "/v1/shops/s?filter.pageSize=1&filter.tags=a&filter.tags=b&", null, null));
        assertPasses(send("GET", "/v1/shops/s?filter.page_size=1", null, null));
        assertRefused(send("GET", "/v1/shops/s?filter.page_size=1&filter.pageSize=2", null, null),
                "DUPLICATE_QUERY_PARAMETER", "filter.pageSize");
        assertRefused(send("GET", "/v1/shops/s?name=other", null, null), "UNKNOWN_QUERY_PARAMETER", "name");
        assertRefused(send("POST", "/v1/regions/r/shops?shop.name=x", "application/json", "{}"),
                "UNKNOWN_QUERY_PARAMETER", "shop.name");
        assertRefused(send("POST", "/v1/regions/r/shops?parent=regions/q", "application/json", "{}"),
                "UNKNOWN_QUERY_PARAMETER", "parent");
        assertPasses(send("POST", "/v1/regions/r/shops?requestId=1", "application/json", "{}"));
        assertRefused(send("PATCH", "/v1/shops/s:touch?name=t", "application/json", "{}"),
                "UNKNOWN_QUERY_PARAMETER", "name");
    }

    @Test
    void bodyOnABindingWithoutOne_isRefused() {
        assertRefused(send("GET", "/v1/shops/s", "application/json", "{\"filter\": {}}"), "UNEXPECTED_BODY", "*");
        assertPasses(send("GET", "/v1/shops/s", "application/json", "  "));
    }

    // --- which requests: the transcoder's bindings and Envoy's notion of gRPC

    @Test
    void paths_matchAsTheTranscoderMatchesThem() {
        String bogus = "{\"bogus\": 1}";
        assertRefused(send("POST", "/v1/regions/r/shops/", "application/json", bogus), "UNKNOWN_FIELD", "shop.bogus");
        assertRefused(send("POST", "/v1/regions/r/shops?", "application/json", bogus), "UNKNOWN_FIELD", "shop.bogus");
        assertRefused(send("PATCH", "/v1/shops/s:touch", "text/plain", bogus), "UNKNOWN_FIELD", "bogus");
        // Bound to no operation with this method: 405 when another method serves the path (shop
        // "s:other" is a GetShop name), otherwise passed on to the transcoder, which answers 404.
        assertMethodNotAllowed(send("PATCH", "/v1/shops/s:other", "application/json", bogus), "GET");
        assertMethodNotAllowed(send("PUT", "/v1/shops", "application/json", bogus), "POST");
        assertMethodNotAllowed(send("QUERY", "/v1/shops/s", "application/json", null), "GET");
        assertPasses(send("PATCH", "/v1/nowhere/s", "application/json", bogus));
    }

    @Test
    void emptyOrBlankRequestId_isRefused() {
        for (String query : List.of("requestId=", "requestId=%20", "request_id=+")) {
            assertRefused(send("POST", "/v1/regions/r/shops?" + query, "application/json", "{}"), "EMPTY_REQUEST_ID",
                    "request_id");
        }
        assertPasses(send("POST", "/v1/regions/r/shops?requestId=7d5f", "application/json", "{}"));
    }

    @Test
    void onlyWhatEnvoyCallsGrpc_skipsTheCheck() {
        String bogus = "{\"bogus\": 1}";
        // Envoy answers a gRPC caller's direct response in gRPC form (no body): 200, not refused.
        for (String grpc : List.of("application/grpc", "application/grpc+proto")) {
            Answer answer = send("POST", "/v1/shops", grpc, bogus);
            assertThat(answer.status()).as(answer.body()).isEqualTo(200);
            assertThat(answer.body()).doesNotContain("UNKNOWN_FIELD");
        }
        for (String notGrpc : List.of("application/grpc-web", "application/grpcfoo", "application/grpc-web+proto",
                "Application/grpc", "application/json")) {
            assertRefused(send("POST", "/v1/shops", notGrpc, bogus), "UNKNOWN_FIELD", "shop.bogus");
        }
    }

    private Answer send(String method, String path, String contentType, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            request.header("content-type", contentType);
        }
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode json = response.headers().firstValue("content-type").orElse("").equals("application/json")
                    ? JSON.readTree(response.body()) : null;
            return new Answer(response.statusCode(), response.body(), json,
                    response.headers().firstValue("allow").orElse(null));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A 405 naming the methods the path does serve, in the google.rpc.Status shape. */
    private static void assertMethodNotAllowed(Answer answer, String allow) {
        assertThat(answer.status()).as(answer.body()).isEqualTo(405);
        assertThat(answer.allow()).isEqualTo(allow);
        assertThat(answer.json().path("code").asInt()).isEqualTo(12);
        assertThat(answer.json().at("/details/0/reason").asText()).isEqualTo("METHOD_NOT_ALLOWED");
    }

    private static void assertPasses(Answer answer) {
        assertThat(answer.status()).as(answer.body()).isEqualTo(200);
        assertThat(answer.body()).isEqualTo("passed");
    }

    /** The google.rpc.Status the filter writes: code 3, ErrorInfo reason, one field violation. */
    private static void assertRefused(Answer answer, String reason, String field) {
        assertThat(answer.status()).as(answer.body()).isEqualTo(400);
        assertThat(answer.json()).as("JSON body: %s", answer.body()).isNotNull();
        assertThat(answer.json().get("code").asInt()).isEqualTo(3);
        assertThat(answer.json().get("message").asText()).isNotBlank();
        assertThat(answer.json().at("/details/0/@type").asText()).isEqualTo("type.googleapis.com/google.rpc.ErrorInfo");
        assertThat(answer.json().at("/details/0/reason").asText()).as(answer.body()).isEqualTo(reason);
        assertThat(answer.json().at("/details/0/domain").asText()).isEqualTo("paygate.dev");
        assertThat(answer.json().at("/details/1/@type").asText()).isEqualTo("type.googleapis.com/google.rpc.BadRequest");
        List<String> fields = new ArrayList<>();
        answer.json().at("/details/1/fieldViolations").forEach(v -> fields.add(v.path("field").asText()));
        assertThat(fields).as(answer.body()).containsExactly(field);
    }
}
