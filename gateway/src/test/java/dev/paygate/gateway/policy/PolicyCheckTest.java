package dev.paygate.gateway.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.gateway.Repository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checker on the shipped envoy.yaml, as CI runs it, and Envoy's own verdict as part of it.
 */
class PolicyCheckTest {

    private static final Repository REPOSITORY = Repository.locate();
    private static final String ROUTES = "static_resources.listeners[paygate_public].filter_chains[0]"
            + ".filters[envoy.filters.network.http_connection_manager].typed_config.route_config"
            + ".virtual_hosts[paygate].routes";

    @TempDir
    Path workDir;

    /**
     * Exactly the known holes of today's shipped config, each being fixed under its own issue;
     * when a fix lands its line goes, and anything new fails this test.
     */
    @Test
    void shippedConfig_passesEnvoyValidate_andHasOnlyTheKnownFindings() {
        List<Finding> found = PolicyCheck.check(REPOSITORY, REPOSITORY.envoyYaml());
        found.forEach(f -> System.out.println(f.line()));

        assertThat(found).extracting(f -> f.rule() + " " + f.path()).containsExactly(
                // issue 7: present_match lets an empty idempotency-key onto the retried route.
                "unkeyed-write-retried " + ROUTES + "[writes_idempotent].match.headers[idempotency-key]");
    }

    @Test
    void configEnvoyRejects_isAFinding_withEnvoysReason() throws IOException {
        String shipped = Files.readString(REPOSITORY.envoyYaml());
        Path broken = workDir.resolve("envoy.yaml");
        Files.writeString(broken, shipped.replace("connect_timeout: 0.25s  # on one host",
                "connect_timeout: 0.25s\n    no_such_field: 1  # on one host"));

        List<Finding> found = PolicyCheck.check(REPOSITORY, broken);

        assertThat(found).filteredOn(f -> f.rule().equals("envoy-validate")).singleElement()
                .satisfies(f -> assertThat(f.what()).contains("no_such_field"));
    }
}
