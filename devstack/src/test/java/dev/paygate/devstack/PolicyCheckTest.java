package dev.paygate.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.edge.Repository;
import dev.paygate.edge.policy.Finding;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checker on the shipped envoy.yaml, as CI runs it, and Envoy's own verdict as part of it.
 */
@Tag("static")
class PolicyCheckTest {

    private static final Repository REPOSITORY = Repository.locate();

    @TempDir
    Path workDir;

    /** What CI holds the shipped config to: no finding at all, and Envoy accepts it. */
    @Test
    void shippedConfig_passesEveryRule_andEnvoyValidate() {
        List<Finding> found = PolicyCheck.check(REPOSITORY, REPOSITORY.envoyYaml());
        found.forEach(f -> System.out.println(f.line()));

        assertThat(found).isEmpty();
    }

    /** Shadow mode everywhere ships no protection: refused, unless a visible runtime key says why (Envoy takes its text). */
    @Test
    void everyRateLimitShadowOnly_isRefused_unlessTheOptInSaysWhy() throws IOException {
        String shadowed = Files.readString(REPOSITORY.envoyTemplate())
                .replace("paygate.ratelimit.enforced: 100", "paygate.ratelimit.enforced: 0")
                .replace("paygate.ratelimit.per_address.enforced: 100", "paygate.ratelimit.per_address.enforced: 0");
        Path withoutReason = Files.writeString(workDir.resolve("shadowed.yaml"), shadowed);
        Path withReason = Files.writeString(workDir.resolve("shadowed-on-purpose.yaml"), shadowed.replace(
                "paygate.ratelimit.per_address.enforced: 0",
                "paygate.ratelimit.per_address.enforced: 0\n      paygate.ratelimit.shadow_intended: \"sizing the buckets, until Friday\""));

        Path floorOnly = Files.writeString(workDir.resolve("floor-shadowed.yaml"), Files.readString(REPOSITORY.envoyTemplate())
                .replace("paygate.ratelimit.per_address.enforced: 100", "paygate.ratelimit.per_address.enforced: 0"));

        assertThat(PolicyCheck.check(REPOSITORY, withoutReason)).extracting(Finding::rule)
                .containsExactly("rate-limit-not-enforced", "rate-limit-not-enforced", "rate-limit-not-enforced");
        assertThat(PolicyCheck.check(REPOSITORY, floorOnly)).singleElement()
                .satisfies(f -> assertThat(f.path()).contains("per_address_ratelimit"));
        assertThat(PolicyCheck.check(REPOSITORY, withReason)).isEmpty();
    }

    @Test
    void configEnvoyRejects_isAFinding_withEnvoysReason() throws IOException {
        String shipped = Files.readString(REPOSITORY.envoyYaml());
        Path broken = workDir.resolve("envoy.yaml");
        Files.writeString(broken, shipped.replaceFirst("(?m)^    connect_timeout: 0\\.25s", "$0\n    no_such_field: 1"));

        List<Finding> found = PolicyCheck.check(REPOSITORY, broken);

        assertThat(found).filteredOn(f -> f.rule().equals("envoy-validate")).singleElement()
                .satisfies(f -> assertThat(f.what()).contains("no_such_field"));
    }
}
