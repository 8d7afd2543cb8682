package dev.paygate.edge.openapi;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.paygate.contract.Contract;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * What Envoy serves at /openapi.json and /docs, in one directory: the generated OpenAPI document,
 * the docs page and the Swagger UI files it loads, copied from the npm package
 * (tools/node_modules/swagger-ui-dist). Written by the build ({@code EdgeArtifacts}).
 */
public final class EdgeDocs {

    /** The Swagger UI files the page loads, as named in the npm package and served under /docs/. */
    public static final List<String> SWAGGER_UI_FILES = List.of("swagger-ui-bundle.js", "swagger-ui.css");
    /** Every file written, as envoy.yaml's docs routes read them from /etc/envoy/docs/. */
    public static final List<String> FILES = List.of("openapi.json", "index.html", "swagger-ui-bundle.js", "swagger-ui.css");

    private EdgeDocs() {
    }

    /** Writes the document, the page and the Swagger UI files into {@code out}. */
    public static void write(Contract contract, Path swaggerUi, Path out) throws IOException {
        Files.createDirectories(out);
        var document = OpenApiDocument.generate(contract);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("openapi.json").toFile(), document);

        for (String file : SWAGGER_UI_FILES) {
            Path source = swaggerUi.resolve(file);
            if (!Files.exists(source)) {
                throw new IllegalStateException(source + " is missing: run ./paygate setup (npm ci in tools/)");
            }
            Files.copy(source, out.resolve(file), StandardCopyOption.REPLACE_EXISTING);
        }
        try (InputStream page = EdgeDocs.class.getResourceAsStream("/docs/index.html")) {
            Files.copy(page, out.resolve("index.html"), StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
