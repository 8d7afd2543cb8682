package dev.paygate.edge;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the launcher finds what the build made: paths under the repository root. */
public record Repository(Path root) {

    public static Repository locate() {
        String configured = System.getProperty("paygate.root");
        Path root = Path.of(configured != null ? configured : ".").toAbsolutePath().normalize();
        if (!Files.exists(root.resolve("edge/envoy.yaml"))) {
            throw new IllegalStateException("not a Paygate checkout (no edge/envoy.yaml): " + root);
        }
        return new Repository(root);
    }

    /** The edge's config as Envoy runs it: the template with the contract's values, rendered by the build. */
    public Path envoyYaml() {
        return require(root.resolve("edge/target/envoy.yaml"), "./mvnw package");
    }

    /** The edge's config as the repository keeps it, with placeholders for what mirrors proto/. */
    public Path envoyTemplate() {
        return root.resolve("edge/envoy.yaml");
    }

    /** The table the build turns into envoy.yaml's local_reply_config (dev.paygate.edge.generate.LocalReplies). */
    public Path localReplies() {
        return root.resolve("edge/local_replies.yaml");
    }

    public Path descriptorSet() {
        return require(root.resolve("proto/target/descriptor/paygate.pb"), "./mvnw package");
    }

    /** What Envoy serves at /openapi.json and /docs (dev.paygate.edge.openapi.EdgeDocs). */
    public Path edgeDocs() {
        return require(root.resolve("edge/target/edge-docs"), "./mvnw package");
    }

    /** The strict-JSON filter's Lua program, generated from the descriptor set by the build. */
    public Path strictJsonLua() {
        return require(root.resolve("edge/target/edge/strict_json.lua"), "./mvnw package");
    }

    /** The per-source connection limit's proxy-wasm program (src/main/wasm), compiled by the build. */
    public Path connectionLimitWasm() {
        return require(root.resolve("edge/target/edge/connection_limit_per_source.wasm"), "./mvnw package");
    }

    /** The Lua program that shapes every reply's headers (envoy.yaml's first HTTP filter). */
    public Path edgeHeadersLua() {
        return root.resolve("edge/src/main/lua/edge_headers.lua");
    }

    /** The Lua program that drops the end of a REST body over the cap (envoy.yaml's paygate.filters.http.body_cap). */
    public Path bodyCapLua() {
        return root.resolve("edge/src/main/lua/body_cap.lua");
    }

    public Path envoyBinary() {
        return require(root.resolve(".venv/bin/envoy"), "./paygate setup");
    }

    /** The OpenTelemetry Collector (OTLP receiver, file exporter) that ./paygate builds into .tools/otelcol. */
    public Path otelCollector() {
        return require(root.resolve(".tools/otelcol/paygate-otelcol"), "./paygate setup");
    }

    /** buf, from npm (tools/package.json); buf.yaml at the root configures it. */
    public Path buf() {
        return require(root.resolve("tools/node_modules/.bin/buf"), "./paygate setup");
    }

    /** Prometheus rules, their promtool tests and the Grafana dashboard. */
    public Path opsDir() {
        return root.resolve("ops");
    }

    /** envoyproxy/ratelimit's service_cmd, built from the Go module proxy into .tools/bin. */
    public Path rateLimitBinary() {
        return require(root.resolve(".tools/bin/service_cmd"), "./paygate test");
    }

    /** A tool from a Debian package (promtool and prometheus, redis-server), found on PATH. */
    public static Path debianTool(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException(name + " is not installed: ./paygate test installs its Debian package");
    }

    /** The service's configuration, with the defaults every replica starts from (e.g. paygate.admission). */
    public Path serviceConfig() {
        return root.resolve("service/src/main/resources/application.yml");
    }

    /** The service's production JVM flags, a java @argfile (also used by service/Dockerfile). */
    public Path serviceJvmOptions() {
        return require(root.resolve("service/jvm.options"), "git checkout service/jvm.options");
    }

    public Path serviceJar() {
        String configured = System.getProperty("paygate.service.jar");
        if (configured != null) {
            return require(Path.of(configured), "./mvnw package");
        }
        try (var jars = Files.list(root.resolve("service/target"))) {
            return jars.filter(p -> p.getFileName().toString().matches("paygate-service-.*\\.jar"))
                    .filter(p -> !p.getFileName().toString().startsWith("original-"))
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException("no service jar: run ./mvnw package"));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("no service jar: run ./mvnw package", e);
        }
    }

    private static Path require(Path path, String howToMake) {
        if (!Files.exists(path)) {
            throw new IllegalStateException(path + " is missing: run " + howToMake);
        }
        return path;
    }
}
