package dev.paygate.testing;

import com.zaxxer.hikari.util.DriverDataSource;
import io.micronaut.configuration.jdbc.hikari.DatasourceConfiguration;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.event.BeanCreatedEvent;
import io.micronaut.context.event.BeanCreatedEventListener;
import jakarta.inject.Singleton;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Predicate;
import javax.sql.DataSource;

/**
 * What the service's pooled connections send, in order: each statement's text as executed, and
 * each COMMIT and ROLLBACK. With PostgreSQL's driver each is one round trip (it waits for the
 * server's answer; BEGIN goes with a transaction's first statement). Active only in a service
 * started with {@code paygate.test.statement-log=true}.
 */
@Singleton
@Requires(property = "paygate.test.statement-log", value = "true")
public class StatementLog implements BeanCreatedEventListener<DatasourceConfiguration> {

    private record Sent(int connection, String sql) {
    }

    /** The pool's liveness check (Micronaut's validation query), sent before a borrowed connection's transaction. */
    private static final String LIVENESS_CHECK = "SELECT 1";

    private final List<Sent> sent = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();

    @Override
    public DatasourceConfiguration onCreated(BeanCreatedEvent<DatasourceConfiguration> event) {
        DatasourceConfiguration configuration = event.getBean();
        Properties properties = new Properties();
        properties.putAll(configuration.getDataSourceProperties());
        DataSource driver = new DriverDataSource(configuration.getUrl(), configuration.getDriverClassName(),
                properties, configuration.getUsername(), configuration.getPassword());
        configuration.setDataSource(proxy(DataSource.class, (p, method, args) -> {
            Object result = invoke(driver, method, args);
            if (!(result instanceof Connection connection)) {
                return result;
            }
            int id = connections.incrementAndGet();
            return noting(connection, sql -> sent.add(new Sent(id, sql)));
        }));
        return configuration;
    }

    /**
     * The round trips of the last transaction that sent a statement {@code marker} accepts: on its
     * connection, from the first statement after that connection's previous COMMIT, ROLLBACK or
     * liveness check up to and including its own COMMIT or ROLLBACK.
     */
    public List<String> transactionOf(Predicate<String> marker) {
        List<Sent> all = List.copyOf(sent);
        int at = all.size() - 1;
        while (at >= 0 && !marker.test(all.get(at).sql())) {
            at--;
        }
        if (at < 0) {
            throw new AssertionError("no statement sent matches");
        }
        int connection = all.get(at).connection();
        int start = at;
        for (int i = at - 1; i >= 0; i--) {
            if (all.get(i).connection() == connection) {
                if (ends(all.get(i)) || all.get(i).sql().equals(LIVENESS_CHECK)) {
                    break;
                }
                start = i;
            }
        }
        List<String> transaction = new ArrayList<>();
        for (int i = start; i < all.size(); i++) {
            if (all.get(i).connection() == connection) {
                transaction.add(all.get(i).sql());
                if (ends(all.get(i))) {
                    break;
                }
            }
        }
        return transaction;
    }

    private static boolean ends(Sent sent) {
        return sent.sql().equals("COMMIT") || sent.sql().equals("ROLLBACK");
    }

    /** {@code real}, telling {@code sent} each statement's text as executed, and COMMIT and ROLLBACK. */
    public static Connection noting(Connection real, Consumer<String> sent) {
        return proxy(Connection.class, (p, method, args) -> {
            if (method.getName().equals("commit") || method.getName().equals("rollback")) {
                sent.accept(method.getName().toUpperCase(Locale.ROOT));
            }
            Object result = invoke(real, method, args);
            if (!(result instanceof Statement statement)) {
                return result;
            }
            Class<?> type = statement instanceof PreparedStatement ? PreparedStatement.class : Statement.class;
            return proxy(type, (s, m, a) -> {
                if (m.getName().startsWith("execute")) {
                    sent.accept((String) (a != null && a.length > 0 ? a[0] : args[0]));
                }
                return invoke(statement, m, a);
            });
        });
    }

    /** A dynamic proxy of {@code type}. */
    public static <T> T proxy(Class<T> type, InvocationHandler handler) {
        return type.cast(Proxy.newProxyInstance(StatementLog.class.getClassLoader(), new Class<?>[] {type}, handler));
    }

    /** Calls {@code method} on {@code target}, throwing what it throws. */
    public static Object invoke(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
