package dev.paygate.e2e;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An end-to-end suite: {@link StackExtension} starts one real edge (Envoy in front of real
 * service processes) before the suite's first test, hands it to any {@code Edge} parameter
 * (of a {@code @BeforeAll} method, a constructor or a test), and stops it after the last.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag("e2e")
@ExtendWith(StackExtension.class)
public @interface EndToEnd {

    /** Service replicas behind Envoy. */
    int replicas() default 1;

    /** PAYGATE_* settings for every replica, as {@code NAME=value}. */
    String[] serviceEnvironment() default {};

    /** The edge requires client certificates from the local CA, and the suite's clients present one. */
    boolean mutualTls() default false;

    /**
     * The edge trusts one x-forwarded-for hop and its per-address floor holds a few calls
     * (devstack's ForwardedClients): the suite's calls can come from any client address.
     */
    boolean forwardedClients() default false;

    /** How the edge's rate limits start (envoy.yaml's runtime keys; RateLimitIT tests them enforced). */
    RateLimits rateLimits() default RateLimits.ENFORCED;

    /** Shadow mode counts over-limit calls without refusing them. */
    enum RateLimits {
        ENFORCED,
        /** The per-address floor shadowed: a suite whose calls come from one address sees the identity buckets alone. */
        PER_ADDRESS_FLOOR_SHADOWED,
        /** Every bucket shadowed: for suites whose load is far above one caller's budget. */
        SHADOWED
    }
}
