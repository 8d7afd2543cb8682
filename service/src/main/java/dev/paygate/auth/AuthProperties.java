package dev.paygate.auth;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;
import java.time.Duration;

/**
 * Which bearer tokens the service accepts ({@code paygate.auth.*}). There is no switch to turn
 * authentication off: without a key set the service does not start.
 *
 * @param jwks a JWKS file path, or an {@code https://} URL of an identity provider's JWKS
 * @param issuer the {@code iss} every token must carry, exactly
 * @param audience a value the token's {@code aud} must contain
 * @param maxTokenLifetime the furthest a token's {@code exp} may lie ahead of now: envoy.yaml's
 *     jwt_authn {@code max_lifetime}
 */
@ConfigurationProperties("paygate.auth")
public record AuthProperties(
        @Bindable(defaultValue = "") String jwks,
        @Bindable(defaultValue = "paygate-dev") String issuer,
        @Bindable(defaultValue = "paygate") String audience,
        @Bindable(defaultValue = "24h") Duration maxTokenLifetime) {

    public AuthProperties {
        jwks = jwks == null ? "" : jwks.trim();
    }
}
