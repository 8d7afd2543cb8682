package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paygate.contract.Contract;
import dev.paygate.devstack.credentials.EdgeTls;
import dev.paygate.edge.Repository;
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
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API's documentation at the edge: /openapi.json and the /docs page come from Envoy itself,
 * byte for byte what the build generated, with no token and with the service down; and the page,
 * loaded in a real headless Chromium, lists every operation of the contract. The screenshot is
 * kept as a test artifact in e2e/target/docs-page/.
 */
@EndToEnd
class DocsPageIT {

    private static final Repository REPOSITORY = Repository.locate();
    private static final Path SCREENSHOT = REPOSITORY.root().resolve("e2e/target/docs-page/docs.png");

    private static Edge edge;
    private static HttpClient anonymous;

    @BeforeAll
    static void setUp(Edge started) {
        edge = started;
        // A client with no token at all, trusting the stack's CA like any browser of this edge.
        anonymous = EdgeTls.httpClient(edge.stack().credentials().caCertificate(), HttpClient.Version.HTTP_1_1);
        // Everything below must work without the service: Envoy answers these routes itself.
        edge.stack().replicas().get(0).kill();
        await("the edge has no live replica").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> edge.get("/v1/accounts/0b5c6d4e-1f2a-4b3c-8d9e-0a1b2c3d4e5f").status() == 503);
    }

    @Test
    void openApiDocumentAndPage_areServedByEnvoy_withoutTokenOrService() throws Exception {
        Map<String, String> contentTypes = Map.of(
                "/openapi.json", "application/json",
                "/docs", "text/html; charset=utf-8",
                "/docs/", "text/html; charset=utf-8",
                "/docs/swagger-ui-bundle.js", "text/javascript; charset=utf-8",
                "/docs/swagger-ui.css", "text/css; charset=utf-8");
        Map<String, String> files = Map.of(
                "/openapi.json", "openapi.json",
                "/docs", "index.html",
                "/docs/", "index.html",
                "/docs/swagger-ui-bundle.js", "swagger-ui-bundle.js",
                "/docs/swagger-ui.css", "swagger-ui.css");

        for (var path : files.entrySet()) {
            HttpResponse<byte[]> response = getWithoutToken(path.getKey());

            assertThat(response.statusCode()).as(path.getKey()).isEqualTo(200);
            assertThat(response.headers().firstValue("content-type")).as(path.getKey()).hasValue(contentTypes.get(path.getKey()));
            assertThat(response.body()).as(path.getKey())
                    .isEqualTo(Files.readAllBytes(REPOSITORY.edgeDocs().resolve(path.getValue())));
        }
    }

    @Test
    void onlyTheDocsArePublic_pathsBesideOrBehindThemStillNeedAToken() throws Exception {
        // The exemption from jwt_authn is per exact route: no prefix, no dot-segment way past it.
        for (String path : List.of("/docs/index.html", "/docs/x", "/openapi.yaml", "/openapi.json/",
                "/docs/../v1/accounts", "/openapi.json/../v1/accounts", "/docs/%2e%2e/v1/accounts")) {
            assertThat(getWithoutToken(path).statusCode()).as(path).isEqualTo(401);
        }
    }

    @Test
    void docsPage_inHeadlessChromium_listsEveryOperation(@TempDir Path profiles) throws IOException {
        HeadlessChromium chromium = new HeadlessChromium(profiles, edge.stack().credentials().serverCertificate());
        String page = "https://localhost:" + edge.stack().envoyPort() + "/docs";

        String dom = chromium.renderedDom(page);
        chromium.screenshot(page, SCREENSHOT, 1280, 1600);

        // Swagger UI gives each operation the element id operations-<tag>-<operationId>.
        List<String> expected = new ArrayList<>();
        JsonNode document = Edge.JSON.readTree(REPOSITORY.edgeDocs().resolve("openapi.json").toFile());
        document.get("paths").forEach(path -> path.forEach(operation -> expected.add(
                "id=\"operations-" + operation.at("/tags/0").asText() + "-" + operation.get("operationId").asText() + "\"")));
        // One operation per google.api.http binding of every rpc: none left out of the document.
        assertThat(expected).hasSize(Contract.load(REPOSITORY.descriptorSet()).methods().stream()
                .mapToInt(method -> method.bindings().size()).sum());
        assertThat(dom).contains(expected).doesNotContain("Failed to load API definition").contains("Paygate API");
        byte[] png = Files.readAllBytes(SCREENSHOT);
        assertThat(png).startsWith(0x89, 'P', 'N', 'G');
        assertThat(png.length).as("a rendered page, not a blank one").isGreaterThan(50_000);
    }

    private HttpResponse<byte[]> getWithoutToken(String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("https://localhost:" + edge.stack().envoyPort() + path))
                .timeout(Duration.ofSeconds(10)).GET().build();
        return anonymous.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }
}
