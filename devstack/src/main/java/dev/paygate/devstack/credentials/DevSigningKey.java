package dev.paygate.devstack.credentials;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Instant;
import java.util.Date;
import java.util.UUID;

/**
 * The development identity provider: one ES256 key whose public half is the JWKS that Envoy and
 * the service verify tokens with, and whose private half mints tokens for {@code ./paygate token},
 * the benchmark and the tests. Generated on first use in the run directory, never committed.
 */
public final class DevSigningKey {

    private final ECKey key;
    private final Path jwksFile;

    private DevSigningKey(ECKey key, Path jwksFile) {
        this.key = key;
        this.jwksFile = jwksFile;
    }

    /** Loads the key from {@code dir}, or creates it (private JWK and public JWKS) when absent. */
    public static DevSigningKey loadOrCreate(Path dir) {
        Path privateFile = dir.resolve("signing-key.jwk");
        Path jwksFile = dir.resolve("jwks.json");
        try {
            if (Files.exists(privateFile) && Files.exists(jwksFile)) {
                return new DevSigningKey(ECKey.parse(Files.readString(privateFile)), jwksFile);
            }
            ECKey key = newKey();
            Files.createDirectories(dir);
            Files.writeString(privateFile, key.toJSONString());
            Secrets.ownerOnly(privateFile);
            Files.writeString(jwksFile, new JWKSet(key.toPublicJWK()).toString());
            return new DevSigningKey(key, jwksFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the signing key in " + dir, e);
        } catch (ParseException e) {
            throw new IllegalStateException(privateFile + " is not a JWK; delete it to make a new key", e);
        }
    }

    /** A fresh P-256 key with a random key id, e.g. an attacker's key that no JWKS lists. */
    public static ECKey newKey() {
        try {
            return new ECKeyGenerator(Curve.P_256).keyUse(KeyUse.SIGNATURE).keyID(UUID.randomUUID().toString())
                    .generate();
        } catch (JOSEException e) {
            throw new IllegalStateException("P-256 key generation is always available", e);
        }
    }

    /** The public keys, as Envoy's {@code local_jwks} and the service's PAYGATE_JWKS read them. */
    public Path jwksFile() {
        return jwksFile;
    }

    public ECKey key() {
        return key;
    }

    /** Signs these claims with the development key (ES256, with its key id). */
    public String sign(JWTClaimsSet claims) {
        return sign(key, claims);
    }

    /** Signs with any EC key: the tests use it for keys the edge must not trust. */
    public static String sign(ECKey signer, JWTClaimsSet claims) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(signer.getKeyID())
                    .type(JOSEObjectType.JWT).build(), claims);
            jwt.sign(new ECDSASigner(signer));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a token", e);
        }
    }

    /** Claims of a valid token for {@code subject}; callers adjust them before signing. */
    public static JWTClaimsSet.Builder claims(TokenPolicy policy, String subject, String scope, java.time.Duration ttl) {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder()
                .issuer(policy.issuer())
                .audience(policy.audience())
                .subject(subject)
                .claim("scope", scope)
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now))
                .expirationTime(Date.from(now.plus(ttl)))
                .jwtID(UUID.randomUUID().toString());
    }
}
