package dev.paygate.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimNames;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.paygate.error.ApiException;
import dev.paygate.error.ErrorReason;
import io.micronaut.context.annotation.Context;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Verifies bearer tokens (JWS-signed JWTs) against the configured JWKS and returns the verified
 * {@link Caller}. Accepted: ES256 and RS256 signatures only (so {@code alg: none} and HMAC tokens,
 * including one "signed" with the public key as HMAC secret, are refused), {@code iss} equal to
 * the configured issuer, {@code aud} containing the configured audience, {@code exp} required and
 * {@code nbf} honoured with 30 s of clock skew, {@code exp} less than the maximum lifetime ahead of
 * now (the edge's rule, below), and a non-empty {@code sub} of at most 255 characters (it becomes
 * an account's owner column).
 *
 * <p>The lifetime rule is Envoy's jwt_authn {@code max_lifetime}, so a token the edge refuses is
 * refused direct too: {@code exp - now} must be below the maximum, with no clock skew
 * (jwks_cache.cc, {@code isLifetimeAllowed}).
 *
 * <p>A signature check is the costly part (docs/operations.md, "Other figures the code relies on"),
 * and a client sends the same token with every call until it expires. So a verified token is
 * remembered, by its exact text, until its {@code exp} but at most {@link #REMEMBER} (a key
 * withdrawn from the JWKS stops being honoured within that time). A token that failed is never
 * remembered.
 *
 * <p>Created at start-up ({@link Context}), so a missing or unreadable key set stops the service
 * with a clear message instead of failing each call.
 */
@Context
public class TokenVerifier {

    static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.ES256, JWSAlgorithm.RS256);
    static final int CLOCK_SKEW_SECONDS = 30;
    static final int MAX_SUBJECT_LENGTH = 255;
    private static final Duration KEYS_RETRY_AFTER = Duration.ofSeconds(1);
    static final Duration REMEMBER = Duration.ofMinutes(1);
    /** Beyond this many remembered tokens the memory starts afresh: bounded, and rarely reached. */
    private static final int MAX_REMEMBERED = 10_000;

    /** A verified caller and until when its token may be taken without checking it again. */
    private record Verified(Caller caller, Instant until) {
    }

    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    private final Map<String, Verified> verified = new ConcurrentHashMap<>();
    private final Duration maxLifetime;
    /** Real time for exp/nbf and for remembered tokens; not the service's (test-replaceable) business clock. */
    private final Clock clock;

    @Inject
    public TokenVerifier(AuthProperties properties) {
        this(properties, Clock.systemUTC());
    }

    TokenVerifier(AuthProperties properties, Clock clock) {
        this.clock = clock;
        this.maxLifetime = properties.maxTokenLifetime();
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(ALGORITHMS, keySource(properties.jwks())));
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(
                properties.audience(),
                new JWTClaimsSet.Builder().issuer(properties.issuer()).build(),
                Set.of(JWTClaimNames.SUBJECT, JWTClaimNames.EXPIRATION_TIME)) {
            @Override
            protected Date currentTime() {
                return Date.from(clock.instant());
            }
        };
        claims.setMaxClockSkew(CLOCK_SKEW_SECONDS);
        processor.setJWTClaimsSetVerifier(claims);
    }

    /**
     * The caller the token proves.
     *
     * @throws ApiException UNAUTHENTICATED (TOKEN_INVALID) for any token that does not verify;
     *                      UNAVAILABLE (TOKEN_KEYS_UNAVAILABLE) when a remote JWKS cannot be fetched
     */
    public Caller verify(String token) {
        Instant now = clock.instant();
        Verified known = verified.get(token);
        if (known != null && now.isBefore(known.until())) {
            return known.caller();
        }
        JWTClaimsSet claims;
        try {
            claims = processor.process(token, null);
        } catch (KeySourceException e) {
            throw ApiException.tokenKeysUnavailable("cannot fetch the identity provider's keys; retry", KEYS_RETRY_AFTER, e);
        } catch (ParseException | BadJOSEException | JOSEException e) {
            throw invalid(e.getMessage());
        }
        Instant expires = claims.getExpirationTime().toInstant();
        if (!expires.isBefore(now.plus(maxLifetime))) {
            throw invalid("exp lies " + maxLifetime + " or more ahead; tokens may live at most that long");
        }
        String subject = claims.getSubject();
        if (subject == null || subject.isBlank() || subject.length() > MAX_SUBJECT_LENGTH) {
            throw invalid("sub must be 1 to " + MAX_SUBJECT_LENGTH + " characters");
        }
        String scope;
        try {
            scope = claims.getStringClaim("scope");
        } catch (ParseException e) {
            throw invalid("scope must be a space-separated string");
        }
        Set<String> scopes = scope == null ? Set.of()
                : Arrays.stream(scope.split(" ")).filter(s -> !s.isEmpty()).collect(Collectors.toUnmodifiableSet());
        Caller caller = new Caller(subject, scopes, expires);
        remember(token, caller, expires, now);
        return caller;
    }

    private void remember(String token, Caller caller, Instant expires, Instant now) {
        if (verified.size() >= MAX_REMEMBERED) {
            verified.clear();
        }
        Instant until = now.plus(REMEMBER);
        verified.put(token, new Verified(caller, expires.isBefore(until) ? expires : until));
    }

    private static ApiException invalid(String why) {
        return ApiException.unauthenticated(ErrorReason.TOKEN_INVALID, "bearer token rejected: " + why);
    }

    /**
     * A remote JWKS is cached and refreshed by nimbus's {@link JWKSourceBuilder} (also when a token
     * names a key id it has not seen, rate-limited); a file is read once at start-up.
     */
    private static JWKSource<SecurityContext> keySource(String jwks) {
        if (jwks.isEmpty()) {
            throw new IllegalStateException("PAYGATE_JWKS (paygate.auth.jwks) is not set: give the path of a JWKS"
                    + " file or the https:// URL of your identity provider's JWKS. Authentication cannot be turned off.");
        }
        if (jwks.startsWith("https://")) {
            try {
                URL url = URI.create(jwks).toURL();
                return JWKSourceBuilder.create(url).build();
            } catch (IllegalArgumentException | IOException e) {
                throw new IllegalStateException("PAYGATE_JWKS is not a valid URL: " + jwks, e);
            }
        }
        if (jwks.contains("://")) {
            throw new IllegalStateException("PAYGATE_JWKS must be a file path or an https:// URL, got " + jwks);
        }
        try {
            JWKSet keys = JWKSet.parse(Files.readString(Path.of(jwks))).toPublicJWKSet();
            if (keys.isEmpty()) {
                throw new IllegalStateException("PAYGATE_JWKS file " + jwks + " holds no public keys");
            }
            return new ImmutableJWKSet<>(keys);
        } catch (IOException | ParseException e) {
            throw new IllegalStateException("cannot read a JWKS from PAYGATE_JWKS file " + jwks + ": " + e.getMessage(), e);
        }
    }
}
