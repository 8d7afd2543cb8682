package dev.paygate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.auth.AuthProperties;
import dev.paygate.authorization.HoldProperties;
import dev.paygate.authorization.PaginationProperties;
import dev.paygate.grpc.AdmissionProperties;
import dev.paygate.grpc.DeadlineProperties;
import dev.paygate.health.HealthProperties;
import dev.paygate.idempotency.IdempotencyProperties;
import dev.paygate.risk.RiskProperties;
import dev.paygate.risk.RuleMode;
import dev.paygate.testing.RunningService;
import dev.paygate.testing.TestDatabase;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The service's typed configuration (records) as Micronaut binds it from application.yml: every
 * property keeps its name and its default (the README's configuration table), and a value set
 * under that name, or under the environment variable application.yml reads, reaches the record.
 */
class ConfigurationPropertiesTest {

    @Test
    void defaults_areApplicationYmls() throws InterruptedException {
        try (RunningService service = RunningService.start(TestDatabase.postgres())) {
            assertThat(service.bean(DeadlineProperties.class)).isEqualTo(new DeadlineProperties(
                    Duration.ofSeconds(5), Duration.ofMillis(20), Duration.ofSeconds(30)));
            assertThat(service.bean(AdmissionProperties.class)).isEqualTo(new AdmissionProperties(32, 64));
            AuthProperties auth = service.bean(AuthProperties.class);
            assertThat(auth.issuer()).isEqualTo("paygate-dev");
            assertThat(auth.audience()).isEqualTo("paygate");
            assertThat(auth.maxTokenLifetime()).isEqualTo(Duration.ofHours(24));
            assertThat(service.bean(PaginationProperties.class).tokenKey()).isEmpty();
            assertThat(service.bean(IdempotencyProperties.class)).isEqualTo(new IdempotencyProperties(
                    Duration.ofHours(48), Duration.ofMinutes(10), 1000));
            // application-test.yml sets the drain delay and the sweep interval for tests.
            HoldProperties holds = service.bean(HoldProperties.class);
            assertThat(holds.ttl()).isEqualTo(Duration.ofDays(7));
            assertThat(holds.sweepBatchSize()).isEqualTo(100);
            assertThat(holds.maxAdjustments()).isEqualTo(5);
            assertThat(holds.maxLifetime()).isEqualTo(Duration.ofDays(30));
            HealthProperties health = service.bean(HealthProperties.class);
            assertThat(health.probeInterval()).isEqualTo(Duration.ofSeconds(1));
            assertThat(health.databaseTimeout()).isEqualTo(Duration.ofSeconds(1));
            // application-test.yml turns the risk rules off; their thresholds are application.yml's.
            RiskProperties risk = service.bean(RiskProperties.class);
            assertThat(risk.amountLimit().mode()).isEqualTo(RuleMode.OFF);
            assertThat(risk.amountLimit().limitFor("JPY")).contains(new BigDecimal("1500000"));
            assertThat(risk.amountLimit().limitFor("SEK")).isEmpty();
            assertThat(risk.velocity()).isEqualTo(new RiskProperties.Velocity(RuleMode.OFF, 20, Duration.ofMinutes(1), Duration.ofMillis(200), List.of()));
            assertThat(risk.blockedMerchantCategories().codes()).containsExactly("7995");
        }
    }

    @Test
    void valuesSetByName_orByTheEnvironmentVariable_reachTheRecords() throws InterruptedException {
        Map<String, Object> settings = Map.ofEntries(
                Map.entry("paygate.admission.queue-capacity", "7"),
                Map.entry("PAYGATE_WORKERS", "9"),
                Map.entry("paygate.deadlines.minimum-budget", "50ms"),
                Map.entry("PAYGATE_DEFAULT_DEADLINE", "2s"),
                Map.entry("paygate.holds.sweep-batch-size", "5"),
                Map.entry("PAYGATE_HOLD_TTL", "3d"),
                Map.entry("paygate.idempotency.purge-batch-size", "10"),
                Map.entry("PAYGATE_IDEMPOTENCY_RETENTION", "72h"),
                Map.entry("paygate.health.database-timeout", "2s"),
                Map.entry("PAYGATE_PAGE_TOKEN_KEY", "sealed"),
                Map.entry("PAYGATE_RISK_AMOUNT_LIMITS", "EUR:5,GBP:7"),
                Map.entry("paygate.risk.velocity.mode", "enforce"));
        try (RunningService service = RunningService.start(TestDatabase.postgres(), settings)) {
            assertThat(service.bean(AdmissionProperties.class)).isEqualTo(new AdmissionProperties(9, 7));
            DeadlineProperties deadlines = service.bean(DeadlineProperties.class);
            assertThat(deadlines.minimumBudget()).isEqualTo(Duration.ofMillis(50));
            assertThat(deadlines.defaultBudget()).isEqualTo(Duration.ofSeconds(2));
            HoldProperties holds = service.bean(HoldProperties.class);
            assertThat(holds.sweepBatchSize()).isEqualTo(5);
            assertThat(holds.ttl()).isEqualTo(Duration.ofDays(3));
            IdempotencyProperties idempotency = service.bean(IdempotencyProperties.class);
            assertThat(idempotency.purgeBatchSize()).isEqualTo(10);
            assertThat(idempotency.retention()).isEqualTo(Duration.ofHours(72));
            assertThat(service.bean(HealthProperties.class).databaseTimeout()).isEqualTo(Duration.ofSeconds(2));
            assertThat(service.bean(PaginationProperties.class).tokenKey()).isEqualTo("sealed");
            RiskProperties risk = service.bean(RiskProperties.class);
            assertThat(risk.amountLimit().limits()).containsExactly("EUR:5", "GBP:7");
            assertThat(risk.velocity().mode()).isEqualTo(RuleMode.ENFORCE);
        }
    }
}
