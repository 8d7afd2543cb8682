package dev.paygate.edge.policy;

import static dev.paygate.edge.policy.Wording.names;
import static dev.paygate.edge.policy.Wording.seconds;

import dev.paygate.contract.Contract;
import dev.paygate.contract.Contract.Method;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Every call has a budget someone chose, the attempts fit inside it, and a slow client cannot
 * hold a stream. How Envoy times a route: {@link RouteRef#budget()}.
 */
final class TimeoutRules {

    /** Reads are one indexed query; the read SLO's p99 is far below this. */
    static final Duration READ_BUDGET = Duration.ofSeconds(2);
    /** Writes lock a row and commit; the service's default deadline (PAYGATE_DEFAULT_DEADLINE) is 5s. */
    static final Duration WRITE_BUDGET = Duration.ofSeconds(5);

    static final Rule NO_ROUTE_TIMEOUT = new Rule("no-route-timeout",
            "without a budget a stuck replica holds the caller and an Envoy stream until the client gives up, "
                    + "and the service never learns a deadline; 0s switches a timer off",
            TimeoutRules::noRouteTimeout);

    static final Rule PER_TRY_TIMEOUT_IGNORED = new Rule("per-try-timeout-ignored",
            "without max_stream_duration the router drops a per_try_timeout at or above the route's timeout "
                    + "(router.cc, finalTimeout), so one slow try can spend the whole budget and no retry runs",
            TimeoutRules::perTryTimeoutIgnored);

    static final Rule RETRIES_EXCEED_BUDGET = new Rule("retries-exceed-budget",
            "attempts that cannot finish inside the budget are cut by it: the caller waits the whole budget, "
                    + "gets a 504, and the last attempt's work is wasted or half-done",
            TimeoutRules::retriesExceedBudget);

    static final Rule BUDGET_OVER_METHOD_POLICY = new Rule("budget-over-method-policy",
            "a budget longer than the method's policy (reads " + seconds(READ_BUDGET) + ", writes "
                    + seconds(WRITE_BUDGET) + ", the service's default deadline; SLOs in docs/operations.md) holds "
                    + "connections and threads for callers that gave up long ago",
            TimeoutRules::budgetOverMethodPolicy);

    static final Rule NO_REQUEST_TIMEOUT = new Rule("no-request-timeout",
            "a client that sends its headers or body slowly (slowloris) holds a connection and a stream for as "
                    + "long as it likes",
            TimeoutRules::noRequestTimeout);

    static final List<Rule> ALL = List.of(NO_ROUTE_TIMEOUT, PER_TRY_TIMEOUT_IGNORED, RETRIES_EXCEED_BUDGET,
            BUDGET_OVER_METHOD_POLICY, NO_REQUEST_TIMEOUT);

    private static final Duration DEFAULT_BASE_BACK_OFF = Duration.ofMillis(25);

    private TimeoutRules() {
    }

    private static void noRouteTimeout(EdgeModel edge, Contract contract, Rule.Sink sink) {
        for (RouteRef route : edge.apiRoutes()) {
            if (route.budget().isEmpty()) {
                sink.report(route.action(), route.label() + " has no budget: no max_stream_duration (or 0s), and no "
                                + "route timeout (unset, 0s, or ignored beside max_stream_duration)",
                        "set max_stream_duration.max_stream_duration and grpc_timeout_header_max to the method's "
                                + "budget (reads 2s, writes 5s)");
            }
            // A caller's grpc-timeout replaces the stream duration, capped by this (0s: no cap).
            Node cap = route.action().at("max_stream_duration.grpc_timeout_header_max");
            if (cap.duration().filter(Duration::isZero).isPresent()) {
                sink.report(cap, route.label() + " sets grpc_timeout_header_max to 0s, so a client's "
                                + "grpc-timeout is used without a cap",
                        "set grpc_timeout_header_max to the route's budget");
            } else if (cap.duration().isPresent() && route.budget().isPresent()
                    && cap.duration().get().compareTo(route.budget().get()) > 0) {
                sink.report(cap, route.label() + " caps a client's grpc-timeout at " + cap.text()
                                + ", above its budget " + seconds(route.budget().get()) + ": a client can stretch the budget",
                        "set grpc_timeout_header_max to the route's budget");
            }
        }
    }

    private static void perTryTimeoutIgnored(EdgeModel edge, Contract contract, Rule.Sink sink) {
        for (RouteRef route : edge.apiRoutes()) {
            Node perTry = route.retryPolicy().get("per_try_timeout");
            Optional<Duration> routerTimeout = route.routerTimeout();
            if (perTry.duration().isEmpty() || routerTimeout.isEmpty()) {
                continue;  // with max_stream_duration the router has no timeout to compare: it keeps every per-try
            }
            int order = perTry.duration().get().compareTo(routerTimeout.get());
            // Without retries a per-try equal to the timeout would change nothing anyway.
            if (order > 0 || (order == 0 && route.retries() > 0)) {
                sink.report(perTry, route.label() + " has per_try_timeout " + perTry.text()
                                + " >= its route timeout " + seconds(routerTimeout.get()),
                        "make per_try_timeout a fraction of the budget, e.g. budget / (num_retries + 1) minus back-off");
            }
        }
    }

    private static void retriesExceedBudget(EdgeModel edge, Contract contract, Rule.Sink sink) {
        for (RouteRef route : edge.apiRoutes()) {
            long retries = route.retries();
            Optional<Duration> budget = route.budget();
            if (retries == 0 || budget.isEmpty()) {
                continue;
            }
            Node policy = route.retryPolicy();
            Optional<Duration> perTry = policy.get("per_try_timeout").duration();
            if (perTry.isEmpty()) {
                sink.report(policy, route.label() + " retries without a per_try_timeout: the first try may "
                        + "use the whole budget", "set per_try_timeout so that all attempts fit the budget");
                continue;
            }
            Duration worst = perTry.get().multipliedBy(retries + 1).plus(worstBackOff(policy, retries));
            if (worst.compareTo(budget.get()) > 0) {
                sink.report(policy.get("num_retries").present() ? policy.get("num_retries") : policy,
                        route.label() + ": " + (retries + 1) + " attempts x " + policy.get("per_try_timeout").text()
                                + " + back-off up to " + seconds(worstBackOff(policy, retries)) + " = "
                                + seconds(worst) + " do not fit its budget " + seconds(budget.get()),
                        "lower num_retries or per_try_timeout, or the back-off's max_interval");
            }
        }
    }

    private static void budgetOverMethodPolicy(EdgeModel edge, Contract contract, Rule.Sink sink) {
        for (RouteRef route : edge.apiRoutes()) {
            List<Method> methods = EdgeModel.served(route, contract);
            Optional<Duration> budget = route.budget();
            // A stream's duration is no call budget: the service ends it (paygate.streams.max-duration).
            if (methods.isEmpty() || budget.isEmpty() || methods.stream().allMatch(Method::streams)) {
                continue;
            }
            Duration policy = methods.stream().allMatch(m -> !m.writes()) ? READ_BUDGET : WRITE_BUDGET;
            if (budget.get().compareTo(policy) > 0) {
                sink.report(route.action(), route.label() + " gives " + names(methods) + " a budget of "
                                + seconds(budget.get()) + ", over their policy of " + seconds(policy),
                        "set max_stream_duration (and grpc_timeout_header_max) to at most " + seconds(policy));
            }
        }
    }

    private static void noRequestTimeout(EdgeModel edge, Contract contract, Rule.Sink sink) {
        for (Node manager : edge.apiManagers()) {
            Node headers = manager.get("request_headers_timeout");
            if (headers.duration().filter(d -> !d.isZero()).isEmpty()) {
                sink.report(headers, "no request_headers_timeout (off by default: a client may take as long as it "
                        + "likes to send its headers)", "set request_headers_timeout (e.g. 10s)");
            }
            Node idle = manager.get("stream_idle_timeout");
            if (idle.duration().filter(Duration::isZero).isPresent()) {
                sink.report(idle, "stream_idle_timeout is 0s: an idle stream is never closed",
                        "set stream_idle_timeout to a few times the longest route budget (e.g. 30s)");
            }
        }
    }

    /** Worst case of Envoy's jittered back-off: retry i waits at most min((2^i - 1) x base, max). */
    private static Duration worstBackOff(Node policy, long retries) {
        Duration base = policy.at("retry_back_off.base_interval").duration().orElse(DEFAULT_BASE_BACK_OFF);
        Duration max = policy.at("retry_back_off.max_interval").duration().orElse(base.multipliedBy(10));
        Duration total = Duration.ZERO;
        for (long i = 1; i <= retries; i++) {
            Duration step = base.multipliedBy((1L << Math.min(i, 30)) - 1);
            total = total.plus(step.compareTo(max) < 0 ? step : max);
        }
        return total;
    }
}
