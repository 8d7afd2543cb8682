package dev.paygate.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.testing.RunningService;
import dev.paygate.testing.TestDatabase;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The health probe tells a busy database from a missing one. */
class DatabaseReachabilityTest {

    @Test
    void everyPooledConnectionBusy_stillCountsAsReachable() throws Exception {
        try (RunningService service = RunningService.start(TestDatabase.postgres(),
                Map.of("datasources.default.maximum-pool-size", 2, "datasources.default.connection-timeout", 250))) {
            Database database = service.bean(Database.class);
            assertThat(database.isReachable(Duration.ofSeconds(1))).isTrue();

            try (Connection busy = service.dataSource().getConnection();
                 Connection alsoBusy = service.dataSource().getConnection()) {
                assertThat(busy.isValid(1) && alsoBusy.isValid(1)).isTrue();
                assertThat(database.isReachable(Duration.ofSeconds(1))).as("pool exhausted by a call").isTrue();
            }
        }
    }

    @Test
    void databaseThatCannotBeReached_isNotReachable() throws Exception {
        try (RunningService service = RunningService.start(TestDatabase.postgres())) {
            Database database = service.bean(Database.class);
            service.dataSource().unwrap(com.zaxxer.hikari.HikariDataSource.class).close();

            assertThat(database.isReachable(Duration.ofSeconds(1))).isFalse();
        }
    }
}
