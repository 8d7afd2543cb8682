package dev.paygate.auth;

import dev.paygate.error.ApiException;
import dev.paygate.error.ErrorReason;
import dev.paygate.fallback.Dependency;
import dev.paygate.fallback.Fallbacks;
import dev.paygate.grpc.GrpcErrors;
import dev.paygate.grpc.InterceptorOrder;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.core.order.Ordered;
import jakarta.inject.Singleton;
import java.util.Collections;
import java.util.Iterator;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authenticates every call from its {@code authorization: Bearer <JWT>} metadata entry and checks
 * the method's scope ({@link AccessPolicy}) before any handler runs; the verified {@link Caller}
 * goes into the call's Context for the handlers. Only {@code grpc.health.v1.Health} is open.
 *
 * <p>Why not micronaut-grpc's {@code micronaut-grpc-server-security-jwt}: it is not part of
 * micronaut-grpc 4.12.0 (absent from its BOM and from Maven Central; its code lives only on the
 * unmerged branch {@code pr-322} of micronaut-projects/micronaut-grpc). That code also reads the
 * raw value of a metadata key named {@code JWT} (no {@code Bearer} scheme), answers an invalid
 * token with PERMISSION_DENIED by default, and forwards the call without handing the verified
 * subject to it, which account ownership needs. So this interceptor uses nimbus-jose-jwt (what
 * micronaut-security-jwt is built on) directly, through {@link TokenVerifier}.
 */
@Singleton
public class AuthInterceptor implements ServerInterceptor, Ordered {

    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    /**
     * The scheme exactly as RFC 6750 spells it. RFC 7235 makes schemes case-insensitive, but the
     * edge's jwt_authn matches its value_prefix "Bearer " case-sensitively (extractor.cc, find), so
     * "bearer" is refused there; the service refuses it too, so both answer the same.
     */
    private static final String BEARER = "Bearer ";
    private static final Logger LOG = LoggerFactory.getLogger(AuthInterceptor.class);

    private final TokenVerifier verifier;
    private final AccessPolicy policy = new AccessPolicy();
    private final MeterRegistry meters;
    private final Fallbacks fallbacks;

    public AuthInterceptor(TokenVerifier verifier, MeterRegistry meters, Fallbacks fallbacks) {
        this.verifier = verifier;
        this.meters = meters;
        this.fallbacks = fallbacks;
    }

    @Override
    public int getOrder() {
        return InterceptorOrder.AUTHENTICATION;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        AccessPolicy.Rule rule = policy.ruleFor(call.getMethodDescriptor());
        if (rule instanceof AccessPolicy.Rule.Open) {
            return next.startCall(call, headers);
        }
        Caller caller;
        try {
            caller = verifier.verify(bearerToken(headers));
            authorize(rule, caller, call.getMethodDescriptor().getFullMethodName());
        } catch (ApiException e) {
            LOG.info("call refused: {} {}: {}", e.code(), e.reason(), e.getMessage());
            meters.counter("paygate.auth.refused", "reason", e.reason().name()).increment();
            if (e.reason() == ErrorReason.TOKEN_KEYS_UNAVAILABLE) {
                fallbacks.record(Dependency.JWKS_URL, Dependency.Decision.REFUSE);
            }
            StatusRuntimeException error = GrpcErrors.toStatus(e);
            call.close(error.getStatus(), error.getTrailers());
            return new ServerCall.Listener<>() { };
        }
        return Contexts.interceptCall(Context.current().withValue(Caller.KEY, caller), call, headers, next);
    }

    private static void authorize(AccessPolicy.Rule rule, Caller caller, String method) {
        if (rule instanceof AccessPolicy.Rule.Deny) {
            throw ApiException.permissionDenied(ErrorReason.INSUFFICIENT_SCOPE,
                    method + " has no access rule; it is refused", Map.of());
        }
        if (rule instanceof AccessPolicy.Rule.Scope scope && !caller.scopes().contains(scope.scope())) {
            throw ApiException.permissionDenied(ErrorReason.INSUFFICIENT_SCOPE,
                    method + " needs scope " + scope.scope(), Map.of("required_scope", scope.scope()));
        }
    }

    /** The token of exactly one {@code authorization: Bearer <token>} entry. */
    private static String bearerToken(Metadata headers) {
        Iterable<String> all = headers.getAll(AUTHORIZATION);
        Iterator<String> values = all == null ? Collections.emptyIterator() : all.iterator();
        if (!values.hasNext()) {
            throw ApiException.unauthenticated(ErrorReason.TOKEN_MISSING,
                    "this call needs an authorization: Bearer <token> metadata entry");
        }
        String value = values.next();
        String token = value.startsWith(BEARER) ? value.substring(BEARER.length()).trim() : "";
        if (values.hasNext() || token.isBlank()) {
            throw ApiException.unauthenticated(ErrorReason.TOKEN_INVALID,
                    "expected exactly one authorization: Bearer <token> metadata entry");
        }
        return token;
    }
}
