package dev.paygate.risk;

/** How a risk rule takes effect: the rollout path is off, then shadow, then enforce. */
public enum RuleMode {
    /** Not evaluated. */
    OFF,
    /** Evaluated; a would-be decline is logged and counted, and the payment is approved. */
    SHADOW,
    /** Evaluated; a failing payment is declined. */
    ENFORCE
}
