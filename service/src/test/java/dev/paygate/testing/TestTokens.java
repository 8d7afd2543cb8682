package dev.paygate.testing;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.grpc.ClientInterceptor;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/**
 * The test identity provider: an EC P-256 key generated when the tests start (never committed),
 * its public JWKS in a temporary file that every test service is configured with, and tokens
 * signed by it.
 */
public final class TestTokens {

    public static final String ISSUER = "paygate-dev";
    public static final String AUDIENCE = "paygate";
    public static final String READ = "payments.read";
    public static final String WRITE = "payments.write";
    /** Who the default test channel calls as. */
    public static final String DEFAULT_SUBJECT = "test-client";

    private static final ECKey SIGNING_KEY = newKey("paygate-test");
    private static final Path JWKS_FILE = writeJwks(SIGNING_KEY);
    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private TestTokens() {
    }

    /** The JWKS file (public key only) a service under test verifies tokens with. */
    public static String jwksFile() {
        return JWKS_FILE.toString();
    }

    /** A valid token for {@code subject} with the given scopes, good for an hour. */
    public static String token(String subject, String... scopes) {
        return sign(claims(subject, scopes).build());
    }

    /** The claims of a valid token, for a test to spoil one of them. */
    public static JWTClaimsSet.Builder claims(String subject, String... scopes) {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder()
                .issuer(ISSUER)
                .audience(AUDIENCE)
                .subject(subject)
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(Duration.ofHours(1))))
                .claim("scope", String.join(" ", scopes));
    }

    /** Signs with the key the service trusts (ES256). */
    public static String sign(JWTClaimsSet claims) {
        return sign(claims, SIGNING_KEY);
    }

    public static String sign(JWTClaimsSet claims, ECKey key) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).build(), claims);
            jwt.sign(new ECDSASigner(key));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a test token", e);
        }
    }

    /** The trusted key pair (tests use its public half the way an attacker could). */
    public static ECKey signingKey() {
        return SIGNING_KEY;
    }

    /** A fresh key the service has never seen. */
    public static ECKey newKey(String keyId) {
        try {
            return new ECKeyGenerator(Curve.P_256).keyID(keyId).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot generate a test key", e);
        }
    }

    /** Attaches {@code authorization: Bearer <token>} to every call. */
    public static ClientInterceptor bearer(String token) {
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, "Bearer " + token);
        return MetadataUtils.newAttachHeadersInterceptor(headers);
    }

    private static Path writeJwks(ECKey key) {
        try {
            Path file = Files.createTempFile("paygate-test-jwks", ".json");
            file.toFile().deleteOnExit();
            Files.writeString(file, new JWKSet(key.toPublicJWK()).toString());
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the test JWKS", e);
        }
    }
}
