package dev.paygate.auth;

import io.grpc.Context;
import java.time.Instant;
import java.util.Set;

/**
 * Who is calling, as proven by a verified token: its {@code sub}, the scopes it was granted and
 * when the token expires (a call that outlives it, a stream, must end then).
 * {@link AuthInterceptor} puts it into the call's {@link Context}; nothing else creates one from
 * request data, so no header a client writes can change it.
 */
public record Caller(String subject, Set<String> scopes, Instant expiresAt) {

    static final Context.Key<Caller> KEY = Context.key("paygate-caller");

    public Caller {
        scopes = Set.copyOf(scopes);
    }

    /**
     * The verified caller of the current call.
     *
     * @throws IllegalStateException outside a call the interceptor let through (a bug: fail closed)
     */
    public static Caller current() {
        Caller caller = KEY.get();
        if (caller == null) {
            throw new IllegalStateException("no verified caller in this call's context");
        }
        return caller;
    }
}
