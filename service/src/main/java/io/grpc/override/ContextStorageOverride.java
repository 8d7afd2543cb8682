package io.grpc.override;

import io.grpc.Context;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * gRPC's {@link Context} kept in a thread-local, as grpc-java does when no override exists. grpc-java
 * loads a class of exactly this name, if there is one, as its storage (Context.LazyStorage);
 * opentelemetry-grpc-1.6 ships one that bridges every attach into OpenTelemetry's context, which
 * allocates on each of the several attaches a call's callbacks make, tracing on or off. This class
 * takes its place: the shaded jar leaves OpenTelemetry's out (service/pom.xml), and on a test
 * classpath a module's own classes come before its dependencies. {@code TracingInterceptor} makes
 * a call's span current in its callbacks instead.
 */
public final class ContextStorageOverride extends Context.Storage {

    private static final Logger LOG = Logger.getLogger(ContextStorageOverride.class.getName());
    private static final ThreadLocal<Context> CURRENT = new ThreadLocal<>();

    @Override
    public Context doAttach(Context toAttach) {
        Context previous = current();
        CURRENT.set(toAttach);
        return previous;
    }

    @Override
    public void detach(Context toDetach, Context toRestore) {
        if (current() != toDetach) {
            LOG.log(Level.SEVERE, "Context was not attached when detaching", new Throwable().fillInStackTrace());
        }
        // null rather than ROOT, as grpc-java's own storage does: a pooled thread keeps no reference.
        CURRENT.set(toRestore == Context.ROOT ? null : toRestore);
    }

    @Override
    public Context current() {
        Context current = CURRENT.get();
        return current == null ? Context.ROOT : current;
    }
}
