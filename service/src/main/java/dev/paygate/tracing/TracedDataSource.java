package dev.paygate.tracing;

import com.zaxxer.hikari.util.DriverDataSource;
import io.micronaut.configuration.jdbc.hikari.DatasourceConfiguration;
import io.micronaut.context.event.BeanCreatedEvent;
import io.micronaut.context.event.BeanCreatedEventListener;
import io.opentelemetry.instrumentation.jdbc.datasource.JdbcTelemetry;
import jakarta.inject.Singleton;
import java.util.Properties;

/**
 * While tracing exports, Hikari pools connections from OpenTelemetry's JDBC instrumentation, so
 * every statement and every commit or rollback is a span under the call's span, whichever way
 * {@code ConnectionPool} borrows the connection. Off, the pool is untouched.
 */
@Singleton
class TracedDataSource implements BeanCreatedEventListener<DatasourceConfiguration> {

    private final Tracing tracing;
    private final TracingProperties properties;

    TracedDataSource(Tracing tracing, TracingProperties properties) {
        this.tracing = tracing;
        this.properties = properties;
    }

    @Override
    public DatasourceConfiguration onCreated(BeanCreatedEvent<DatasourceConfiguration> event) {
        DatasourceConfiguration configuration = event.getBean();
        if (!properties.exporting()) {
            return configuration;
        }
        Properties driverProperties = new Properties();
        driverProperties.putAll(configuration.getDataSourceProperties());
        DriverDataSource driver = new DriverDataSource(configuration.getUrl(), configuration.getDriverClassName(),
                driverProperties, configuration.getUsername(), configuration.getPassword());
        // Hikari uses a given DataSource instead of its own driver one (HikariConfig.setDataSource).
        configuration.setDataSource(JdbcTelemetry.builder(tracing.openTelemetry())
                .setDataSourceInstrumenterEnabled(false)  // a span per physical connect is noise
                .setTransactionInstrumenterEnabled(true)  // commit and rollback as spans too
                .build()
                .wrap(driver));
        return configuration;
    }
}
