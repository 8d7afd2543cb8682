package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.paygate.devstack.ServiceProcess;
import dev.paygate.edge.Command;
import dev.paygate.edge.EnvoyProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The operator's live-tuning procedures ({@code ./paygate edge …}, ops/edge) run as an operator
 * runs them, against a real stack of Envoy and two replicas: each shows its curl, changes what it
 * says, and reading back shows what is in force.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@EndToEnd(replicas = 2)
class EdgeTuningIT {

    private static final String OPERATOR = "edge-tuning-it";

    private static Edge edge;
    private static String account;

    @BeforeAll
    static void start(Edge started) {
        edge = started;
        account = new RestPayments(edge).createAccount(100).get("name").asText();
    }

    /**
     * The procedure sets the runtime key Envoy reads (what that key does to over-limit calls,
     * shadow counting and enforcing again, RateLimitIT proves with bursts).
     */
    @Test
    @Order(1)
    void shadowAndEnforce_setTheRuntimeKeyInEnvoy_andStatusReadsItBack() throws IOException {
        Command.Result shadow = edge("shadow");
        assertThat(shadow.exitCode()).isZero();
        assertThat(shadow.output()).contains("+ curl -s -X POST 'http://127.0.0.1:" + edge.stack().adminPort()
                + "/runtime_modify?paygate.ratelimit.enforced=0'").contains("kept across restarts in "
                + edge.stack().workDir().resolve("runtime/paygate/paygate/ratelimit/enforced"));
        try {
            assertThat(runtime("paygate.ratelimit.enforced")).isEqualTo("0");
            assertThat(runtime("paygate.ratelimit.per_address.enforced")).isEqualTo("100");
            assertThat(edge("status").output())
                    .contains("paygate.ratelimit.enforced = 0   [admin layer, kept on disk across restarts]");
        } finally {
            assertThat(edge("enforce").exitCode()).isZero();
        }
        assertThat(runtime("paygate.ratelimit.enforced")).isEqualTo("100");

        assertThat(edge("shadow", "--per-address").exitCode()).isZero();
        try {
            assertThat(runtime("paygate.ratelimit.per_address.enforced")).isEqualTo("0");
        } finally {
            assertThat(edge("enforce", "--per-address").exitCode()).isZero();
        }
        assertThat(runtime("paygate.ratelimit.per_address.enforced")).isEqualTo("100");
        assertThat(edge("shadow", "--everything").exitCode()).as("unknown option").isEqualTo(2);
        assertThat(runtime("paygate.ratelimit.enforced")).isEqualTo("100");
    }

    /** The value in force in Envoy, straight from its admin (not from the procedure's own output). */
    private static String runtime(String key) throws IOException {
        return Edge.JSON.readTree(edge.stack().envoy().admin("/runtime")).path("entries").path(key)
                .path("final_value").asText();
    }

    @Test
    @Order(2)
    void status_readsBackBucketsAndReplicas() {
        Command.Result status = edge("status");

        assertThat(status.exitCode()).isZero();
        assertThat(status.output()).contains("paygate_ratelimit_reads: default ")
                .contains("per subject: 200 burst, 100 per 1s")
                .contains("127.0.0.1:" + edge.stack().replicas().get(0).grpcPort() + ": healthy")
                .contains("+ curl -s -X GET 'http://127.0.0.1:" + edge.stack().adminPort() + "/config_dump");
    }

    @Test
    @Order(3)
    void bucket_saysNoRuntimeKeyDrivesIt_andHowToChangeItSafely() {
        Command.Result bucket = edge("bucket");

        assertThat(bucket.exitCode()).isEqualTo(2);
        assertThat(bucket.output()).contains("has no runtime key").contains("./paygate check edge/envoy.yaml");
    }

    @Test
    @Order(4)
    void drain_takesOneReplicaOut_andCallsKeepSucceedingOnTheOther() {
        ServiceProcess drained = edge.stack().replicas().get(1);

        Command.Result drain = edge("drain", "127.0.0.1:" + drained.grpcPort());

        assertThat(drain.exitCode()).as(drain.output()).isZero();
        assertThat(drain.output()).contains("kill -TERM " + drained.pid())
                .contains("Envoy no longer routes new calls to it");
        assertThat(edge.stack().envoy().stat("cluster.paygate_service.membership_healthy")).isEqualTo(1);
        for (int i = 0; i < 20; i++) {
            assertThat(edge.get("/v1/" + account).status()).isEqualTo(200);
        }
        await("the drained replica exits on its own").atMost(Duration.ofSeconds(30)).until(() -> !drained.isAlive());
    }

    /**
     * A change made with the procedure outlives the Envoy that took it: ./paygate run starts a
     * dead Envoy again (SIGKILL, as the OOM killer would), and the new one reads the change from
     * the runtime layer on disk when it starts. The change log says when, who and what.
     */
    @Test
    @Order(5)
    void shadowAndEnforce_surviveAnEnvoyRestart_andAreLoggedWithWhoAndWhen() throws IOException {
        edge.stack().supervise(Duration.ofSeconds(1));
        Path log = edge.stack().workDir().resolve("runtime/changes.log");
        int logged = Files.exists(log) ? Files.readAllLines(log).size() : 0;

        assertThat(edge("shadow").exitCode()).isZero();
        assertThat(edge("shadow", "--per-address").exitCode()).isZero();
        try {
            restartEnvoy();
            assertThat(runtime("paygate.ratelimit.enforced")).isEqualTo("0");
            assertThat(runtime("paygate.ratelimit.per_address.enforced")).isEqualTo("0");
            assertThat(edge("status").output())
                    .contains("paygate.ratelimit.enforced = 0   [disk layer: kept across restarts]")
                    .contains(OPERATOR + "@");
        } finally {
            assertThat(edge("enforce").exitCode()).isZero();
            assertThat(edge("enforce", "--per-address").exitCode()).isZero();
        }
        restartEnvoy();
        assertThat(runtime("paygate.ratelimit.enforced")).isEqualTo("100");
        assertThat(runtime("paygate.ratelimit.per_address.enforced")).isEqualTo("100");

        List<String> changes = Files.readAllLines(log);
        assertThat(changes.subList(logged, changes.size())).hasSize(4).satisfiesExactly(
                line -> assertThat(line).matches(change("paygate.ratelimit.enforced=0", "shadow")),
                line -> assertThat(line).matches(change("paygate.ratelimit.per_address.enforced=0", "shadow --per-address")),
                line -> assertThat(line).matches(change("paygate.ratelimit.enforced=100", "enforce")),
                line -> assertThat(line).matches(change("paygate.ratelimit.per_address.enforced=100", "enforce --per-address")));
    }

    /** A change-log line: UTC time, operator@host, key=value, the command, tab-separated. */
    private static String change(String keyValue, String command) {
        return "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\t" + OPERATOR + "@[^\t]+\t"
                + java.util.regex.Pattern.quote(keyValue) + "\t" + java.util.regex.Pattern.quote("./paygate edge " + command);
    }

    /** Kills Envoy as the OOM killer would and waits until the supervisor's new one is ready. */
    private static void restartEnvoy() {
        EnvoyProcess killed = edge.stack().envoy();
        ProcessHandle.of(killed.pid()).orElseThrow().destroyForcibly();
        await("envoy started again").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> edge.stack().envoy() != killed);
    }

    private static Command.Result edge(String... args) {
        return OperatorCommand.edge(edge, OPERATOR, args);
    }
}
