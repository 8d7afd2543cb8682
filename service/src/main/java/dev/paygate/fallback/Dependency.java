package dev.paygate.fallback;

import java.util.List;

/**
 * What Paygate needs to answer, and what it does when that is slow or down: the one list the
 * {@code paygate_fallback_total{dependency,decision}} counter is labelled from, and that the table
 * in docs/operations.md ("Dependencies and their fallbacks") is checked against
 * (e2e's DependencyTableTest).
 */
public enum Dependency {

    POSTGRESQL("postgresql", "PostgreSQL (every call's transaction)",
            "the call's deadline (default 5 s); at most 1 s of it waiting for a pooled connection",
            "nothing is written; UNAVAILABLE `DATABASE_UNAVAILABLE` with `RetryInfo` (1 s); replicas report"
                    + " `NOT_SERVING` and Envoy answers 503 until a query succeeds again",
            List.of(Decision.REFUSE), "PaygateDatabaseUnavailable", "database-down"),
    RISK_VELOCITY("risk_velocity", "Risk rule `velocity`: its count query",
            "`paygate.risk.velocity.budget` (default 200 ms), within the call's deadline",
            "enforced: the payment is DECLINED `RISK_UNAVAILABLE` (fail closed); approved instead below"
                    + " `paygate.risk.velocity.unsafe-approve-unanswered-below` (per currency, none by default);"
                    + " shadow: approved",
            List.of(Decision.DECLINE, Decision.APPROVE_STAND_IN, Decision.SHADOW),
            "PaygateRiskRuleUnanswered", "risk-rule-unanswered"),
    JWKS_FILE("jwks_file", "JWKS file (Envoy's `local_jwks` and `PAYGATE_JWKS` as a path)",
            "read once at start-up",
            "missing or unreadable: Envoy or the service refuses to start, with the file named; running"
                    + " processes keep the keys they read",
            List.of(), "PaygateNoHealthyReplica", "503s"),
    JWKS_URL("jwks_url", "JWKS URL (`PAYGATE_JWKS` as an https:// URL, service only)",
            "500 ms to connect and 500 ms to read per fetch (nimbus JWKSourceBuilder's defaults)",
            "keys fetched within the last 5 min keep verifying (nimbus's cache, no outage tolerance), and a"
                    + " verified token is remembered up to 1 min; past that a call gets UNAVAILABLE"
                    + " `TOKEN_KEYS_UNAVAILABLE` with `RetryInfo` (1 s)",
            List.of(Decision.REFUSE), "PaygateTokenKeysUnavailable", "token-keys-unavailable"),
    HOLD_EXPIRY_SWEEP("hold_expiry_sweep", "Hold-expiry sweep (every 30 s)",
            "30 s per sweep; each account's release bounded by it",
            "stops and the next sweep goes on; reads and new payments already treat a hold past its"
                    + " expire_time as expired, so only the stored state lags",
            List.of(Decision.DEFER), "PaygateSweepFailing", "sweep-failing"),
    IDEMPOTENCY_PURGE("idempotency_purge", "Idempotency-key purge (every 10 min)",
            "1 min per run",
            "stops and the next run goes on; expired keys stay stored longer (never honoured longer)",
            List.of(Decision.DEFER), "PaygateSweepFailing", "sweep-failing"),
    RATE_LIMIT_SERVICE("rate_limit_service", "Rate-limit service and its Redis (the global rate-limit layer of"
            + " `./paygate run --edges N`, the Helm chart and docker-compose.yml, docs/edge.md; the shipped edge has"
            + " only the local one)",
            "50 ms per check (the ratelimit filter's `timeout`), then the check counts as failed",
            "every budget (per address, reads, writes) fails open onto the local layer, which has already"
                    + " refused what is over one Envoy's share of the bucket (one N-th of it over N Envoys): calls"
                    + " are served, the Envoys together allow about one budget until the service answers again",
            "Envoy's `cluster.paygate_service.ratelimit.global_<budget>.failure_mode_allowed` (and `.error`)",
            "PaygateGlobalRateLimitFailingOpen", "global-rate-limit-failing-open");

    private final String label;
    private final String description;
    private final String budget;
    private final String whenSlowOrDown;
    private final List<Decision> decisions;
    private final String edgeCounter;
    private final String alert;
    private final String runbookAnchor;

    Dependency(String label, String description, String budget, String whenSlowOrDown, List<Decision> decisions,
               String alert, String runbookAnchor) {
        this(label, description, budget, whenSlowOrDown, decisions, null, alert, runbookAnchor);
    }

    /** A dependency of the edge, whose fallbacks Envoy counts ({@code edgeCounter}), not the service. */
    Dependency(String label, String description, String budget, String whenSlowOrDown, String edgeCounter,
               String alert, String runbookAnchor) {
        this(label, description, budget, whenSlowOrDown, List.of(), edgeCounter, alert, runbookAnchor);
    }

    private Dependency(String label, String description, String budget, String whenSlowOrDown,
                       List<Decision> decisions, String edgeCounter, String alert, String runbookAnchor) {
        this.label = label;
        this.description = description;
        this.budget = budget;
        this.whenSlowOrDown = whenSlowOrDown;
        this.decisions = decisions;
        this.edgeCounter = edgeCounter;
        this.alert = alert;
        this.runbookAnchor = runbookAnchor;
    }

    /** The {@code dependency} label of {@code paygate_fallback_total}. */
    public String label() {
        return label;
    }

    public String description() {
        return description;
    }

    /** How long Paygate waits for it. */
    public String budget() {
        return budget;
    }

    public String whenSlowOrDown() {
        return whenSlowOrDown;
    }

    /** The {@code decision} labels counted when it fails; empty when the failure is not per call. */
    public List<Decision> decisions() {
        return decisions;
    }

    /** The Envoy counter of an edge dependency's fallbacks, or null (the service counts its own). */
    public String edgeCounter() {
        return edgeCounter;
    }

    /** The alert in ops/prometheus/*.rules.yml, or null where there is none. */
    public String alert() {
        return alert;
    }

    /** The heading anchor in docs/operations.md, or null where there is none. */
    public String runbookAnchor() {
        return runbookAnchor;
    }

    /** What Paygate did instead of the dependency's answer. */
    public enum Decision {
        /** The call failed with a retryable error; nothing was changed. */
        REFUSE,
        /** The payment was declined (fail closed). */
        DECLINE,
        /** The payment was approved unchecked, below the operator's configured stand-in amount. */
        APPROVE_STAND_IN,
        /** The rule is in shadow mode and never declines: approved. */
        SHADOW,
        /** Background work stopped; the next run picks it up. */
        DEFER;

        /** The {@code decision} label of {@code paygate_fallback_total}. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
