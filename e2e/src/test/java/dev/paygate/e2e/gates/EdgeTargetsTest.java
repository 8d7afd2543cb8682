package dev.paygate.e2e.gates;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.paygate.edge.Command;
import dev.paygate.edge.Repository;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which Envoys ./paygate edge (ops/edge) acts on, against stand-ins for Envoy's admin API that
 * answer /config_dump with a runtime layer on disk and record every runtime_modify: all those the
 * stack lists beside the layer (its "edges" file), only the one --edge N names, and only the admin
 * it was given when no such file exists. The real Envoys: MultiEdgeOperationsIT.
 */
@Tag("static")
class EdgeTargetsTest {

    private static final Repository REPOSITORY = Repository.locate();

    @TempDir
    Path layer;

    private final List<HttpServer> admins = new ArrayList<>();
    private final List<List<String>> modified = new ArrayList<>();

    @BeforeEach
    void startAdmins() throws IOException {
        for (int i = 0; i < 3; i++) {
            HttpServer admin = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            List<String> calls = new CopyOnWriteArrayList<>();
            admin.createContext("/config_dump", exchange -> {
                byte[] dump = ("{\"configs\":[{\"bootstrap\":{\"layered_runtime\":{\"layers\":[{\"name\":\"disk\","
                        + "\"disk_layer\":{\"symlink_root\":\"" + layer + "\",\"subdirectory\":\"paygate\"}}]}}}]}")
                        .getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, dump.length);
                exchange.getResponseBody().write(dump);
                exchange.close();
            });
            admin.createContext("/runtime_modify", exchange -> {
                calls.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getQuery());
                exchange.sendResponseHeaders(200, -1);
                exchange.close();
            });
            admin.start();
            admins.add(admin);
            modified.add(calls);
        }
        Files.createDirectories(layer.resolve("paygate"));
    }

    @AfterEach
    void stopAdmins() {
        admins.forEach(admin -> admin.stop(0));
    }

    @Test
    void everyEnvoyTheStackLists_byDefault() throws IOException {
        listEdges(0, 1, 2);

        Command.Result shadow = edge("shadow");

        assertThat(shadow.exitCode()).as(shadow.output()).isZero();
        assertThat(shadow.output()).contains("on 3 Envoy(s)");
        for (List<String> calls : modified) {
            assertThat(calls).containsExactly("POST paygate.ratelimit.enforced=0");
        }
        assertThat(layer.resolve("paygate/paygate/ratelimit/enforced")).hasContent("0");
        assertThat(Files.readString(layer.resolve("changes.log")))
                .contains("paygate.ratelimit.enforced=0\t./paygate edge shadow\n");
    }

    @Test
    void onlyTheEnvoyNamed_withEdgeN() throws IOException {
        listEdges(0, 1, 2);

        Command.Result one = edge("--edge", "2", "canary", "5");

        assertThat(one.exitCode()).as(one.output()).isZero();
        assertThat(modified.get(0)).isEmpty();
        assertThat(modified.get(1)).containsExactly("POST paygate.rollout.paygate_canary=5&paygate.rollout.paygate_service=95");
        assertThat(modified.get(2)).isEmpty();
        assertThat(Files.readString(layer.resolve("changes.log"))).contains("\t./paygate edge --edge 2 canary 5\n");
    }

    @Test
    void anEnvoyTheStackDoesNotRun_isRefused_beforeAnyChange() throws IOException {
        listEdges(0, 1);

        Command.Result none = edge("--edge", "3", "enforce");

        assertThat(none.exitCode()).isEqualTo(2);
        assertThat(none.output()).contains("--edge 3: the stack runs 2 Envoy(s)");
        modified.forEach(calls -> assertThat(calls).isEmpty());
        assertThat(layer.resolve("paygate/paygate/ratelimit/enforced")).doesNotExist();
        assertThat(edge("--edge", "0", "enforce").exitCode()).as("Envoys count from 1").isEqualTo(2);
    }

    @Test
    void withoutTheStacksList_theGivenAdminAlone_andNoOtherNumber() {
        Command.Result shadow = edge("shadow");

        assertThat(shadow.exitCode()).as(shadow.output()).isZero();
        assertThat(modified.get(0)).containsExactly("POST paygate.ratelimit.enforced=0");
        assertThat(modified.get(1)).isEmpty();
        assertThat(edge("--edge", "2", "shadow").exitCode()).isEqualTo(2);
        assertThat(modified.get(1)).isEmpty();
    }

    /** The stack's list of admin URLs, in order, of these stand-ins. */
    private void listEdges(int... indexes) throws IOException {
        StringBuilder edges = new StringBuilder();
        for (int index : indexes) {
            edges.append(url(index)).append('\n');
        }
        Files.writeString(layer.resolve("edges"), edges);
    }

    private String url(int index) {
        return "http://127.0.0.1:" + admins.get(index).getAddress().getPort();
    }

    /** ./paygate edge, led by the first stand-in's admin, as an operator runs it. */
    private Command.Result edge(String... args) {
        List<String> command = new ArrayList<>(List.of(REPOSITORY.opsDir().resolve("edge").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("PAYGATE_ENVOY_ADMIN_PORT", Integer.toString(admins.get(0).getAddress().getPort()));
        builder.environment().put("PAYGATE_OPERATOR", "targets-test");
        return Command.run(builder, Duration.ofSeconds(30));
    }
}
