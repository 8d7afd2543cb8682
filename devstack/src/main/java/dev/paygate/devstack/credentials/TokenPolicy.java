package dev.paygate.devstack.credentials;

/**
 * What the edge and the service accept in a token: this issuer and this audience. The defaults
 * match envoy.yaml's {@code paygate} provider and the service's PAYGATE_JWT_ISSUER/AUDIENCE.
 */
public record TokenPolicy(String issuer, String audience) {

    public static final TokenPolicy DEVELOPMENT = new TokenPolicy("paygate-dev", "paygate");

    /** Scopes a token needs: {@code payments.read} for reads, {@code payments.write} for writes. */
    public static final String ALL_SCOPES = "payments.read payments.write";
}
