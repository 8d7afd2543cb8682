package dev.paygate.auth;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.time.Duration;

/**
 * Which bearer tokens the service accepts ({@code paygate.auth.*}). There is no switch to turn
 * authentication off: without a key set the service does not start.
 */
@ConfigurationProperties("paygate.auth")
public class AuthProperties {

    /** A JWKS file path, or an {@code https://} URL of an identity provider's JWKS. */
    private String jwks = "";
    /** The {@code iss} every token must carry, exactly. */
    private String issuer = "paygate-dev";
    /** A value the token's {@code aud} must contain. */
    private String audience = "paygate";
    /** The furthest a token's {@code exp} may lie ahead of now: envoy.yaml's jwt_authn {@code max_lifetime}. */
    private Duration maxTokenLifetime = Duration.ofHours(24);

    public String getJwks() {
        return jwks;
    }

    public void setJwks(String jwks) {
        this.jwks = jwks == null ? "" : jwks.trim();
    }

    public String getIssuer() {
        return issuer;
    }

    public void setIssuer(String issuer) {
        this.issuer = issuer;
    }

    public String getAudience() {
        return audience;
    }

    public void setAudience(String audience) {
        this.audience = audience;
    }

    public Duration getMaxTokenLifetime() {
        return maxTokenLifetime;
    }

    public void setMaxTokenLifetime(Duration maxTokenLifetime) {
        this.maxTokenLifetime = maxTokenLifetime;
    }
}
