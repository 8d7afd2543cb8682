package dev.paygate.edge.policy;

import dev.paygate.contract.Contract;
import dev.paygate.contract.Contract.Method;
import dev.paygate.contract.HttpBinding;
import dev.paygate.edge.policy.EdgeModel.RouteRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Every policy the edge must hold, each written once with the reason it exists. A rule reads the
 * parsed config ({@link EdgeModel}) and the contract ({@link Contract}) and reports
 * {@link Finding}s; it never edits anything.
 */
public enum EdgeRule {

    UNKEYED_WRITE_RETRIED("unkeyed-write-retried",
            "a repeated write without a key the service recognises can authorize or capture twice; only a "
                    + "non-empty idempotency-key makes the service answer a repeat with the first result") {
        @Override
        void check(EdgeModel edge, Contract contract, Sink sink) {
            for (RouteRef route : edge.apiRoutes()) {
                List<Method> writes = served(route, contract).stream().filter(Method::writes).toList();
                if (route.retries() == 0 || writes.isEmpty() || requiresWellFormedKey(route.route().get("match"))
                        || retriesOnlyCallsNeverSent(route)) {
                    continue;
                }
                Optional<Node> keyMatcher = keyHeaderMatcher(route.route().get("match"));
                String how = keyMatcher.map(m -> m.get("present_match").present()
                        ? " (its idempotency-key present_match also accepts an empty value)"
                        : " (its idempotency-key matcher accepts an empty or blank value)").orElse("");
                sink.report(keyMatcher.orElse(route.route().get("match")),
                        route.label() + " retries (" + route.retries() + "x) the writes " + names(writes)
                                + " without requiring a well-formed idempotency-key" + how,
                        "match the key with string_match.safe_regex that refuses empty and blank values "
                                + "(e.g. '^[A-Za-z0-9][A-Za-z0-9_.:-]{7,127}$'), or set num_retries: 0 on this route");
            }
        }
    },

    UNSAFE_RETRY_CONDITION("unsafe-retry-condition",
            "only failures that prove the call never ran, or cannot help when repeated, are worth a retry; "
                    + "retrying anything else repeats work, amplifies overload or spends a budget already gone") {
        @Override
        void check(EdgeModel edge, Contract contract, Sink sink) {
            for (RouteRef route : edge.apiRoutes()) {
                if (route.retries() == 0) {
                    continue;
                }
                Node retryOn = route.retryPolicy().get("retry_on");
                for (String condition : retryOn.text().split(",")) {
                    String reason = UNSAFE_RETRY_ON.get(condition.trim());
                    if (reason != null) {
                        sink.report(retryOn, route.label() + " retries on '" + condition.trim() + "': " + reason,
                                "retry only on unavailable,reset,connect-failure,refused-stream");
                    }
                }
                for (Node code : route.retryPolicy().get("retriable_status_codes").items()) {
                    long status = code.number(0);
                    if (status < 500 || status == 500 || status == 501 || status == 504) {
                        sink.report(code, route.label() + " retries HTTP " + status
                                        + ": a client error, a bug or a spent budget fails the same way again",
                                "drop " + status + " from retriable_status_codes");
                    }
                }
            }
        }
    },

    NO_ROUTE_TIMEOUT("no-route-timeout",
            "without a budget a stuck replica holds the caller and an Envoy stream until the client gives up, "
                    + "and the service never learns a deadline; 0s switches the timer off") {
        @Override
        void check(EdgeModel edge, Contract contract, Sink sink) {
            for (RouteRef route : edge.apiRoutes()) {
                if (route.budget().isEmpty()) {
                    sink.report(route.action(), route.label() + " has no timeout (neither max_stream_duration nor "
                                    + "timeout is set, or one of them is 0s)",
                            "set max_stream_duration.max_stream_duration and grpc_timeout_header_max to the method's "
                                    + "budget (reads 2s, writes 5s)");
                }
                // A present grpc-timeout replaces max_stream_duration, limited to this cap (0s: no limit).
                Node cap = route.action().at("max_stream_duration.grpc_timeout_header_max");
                if (cap.duration().filter(Duration::isZero).isPresent()) {
                    sink.report(cap, route.label() + " sets grpc_timeout_header_max to 0s, so a client's "
                                    + "grpc-timeout is used without a cap",
                            "set grpc_timeout_header_max to the route's budget");
                } else if (cap.duration().isPresent() && route.budget().isPresent()
                        && cap.duration().get().compareTo(route.budget().get()) > 0) {
                    sink.report(cap, route.label() + " caps a client's grpc-timeout at " + cap.text()
                                    + ", above its budget " + seconds(route.budget().get())
                                    + ": a client can stretch the budget",
                            "set grpc_timeout_header_max to the route's budget");
                }
            }
        }
    },

    PER_TRY_TIMEOUT_IGNORED("per-try-timeout-ignored",
            "Envoy ignores a per_try_timeout that is not below the route's timeout (router: \"if it's >= global "
                    + "we just ignore it\"), so one slow try can spend the whole budget and no retry runs") {
        @Override
        void check(EdgeModel edge, Contract contract, Sink sink) {
            for (RouteRef route : edge.apiRoutes()) {
                Node perTry = route.retryPolicy().get("per_try_timeout");
                Optional<Duration> budget = route.budget();
                if (perTry.duration().isEmpty() || budget.isEmpty()) {
                    continue;
                }
                int order = perTry.duration().get().compareTo(budget.get());
                // Without retries a per-try equal to the budget only sets x-envoy-expected-rq-timeout-ms.
                if (order > 0 || (order == 0 && route.retries() > 0)) {
                    sink.report(perTry, route.label() + " has per_try_timeout " + perTry.text()
                                    + " >= its budget " + seconds(budget.get()),
                            "make per_try_timeout a fraction of the budget, e.g. budget / (num_retries + 1) minus back-off");
                }
            }
        }
    },

    RETRIES_EXCEED_BUDGET("retries-exceed-budget",
            "attempts that cannot finish inside the budget are cut by the route timeout: the caller waits the "
                    + "whole budget, gets a 504, and the last attempt's work is wasted or half-done") {
        @Override
        void check(EdgeModel edge, Contract contract, Sink sink) {
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
    },

    BUDGET_OVER_METHOD_POLICY("budget-over-method-policy",
            "a budget longer than the method's policy (reads " + seconds(Limits.READ_BUDGET) + ", writes "
                    + seconds(Limits.WRITE_BUDGET) + ", the service's default deadline; SLOs in docs/operations.md) holds "
                    + "connections and threads for callers that gave up long ago") {
        @Override
        void check(EdgeModel edge, Contract contract, Sink sink) {
            for (RouteRef route : edge.apiRoutes()) {
                List<Method> methods = served(route, contract);
                Optional<Duration> budget = route.budget();
                if (methods.isEmpty() || budget.isEmpty()) {
                    continue;
                }
                Duration policy = methods.stream().allMatch(m -> !m.writes()) ? Limits.READ_BUDGET : Limits.WRITE_BUDGET;
                if (budget.get().compareTo(policy) > 0) {
                    sink.report(route.action(), route.label() + " gives " + names(methods) + " a budget of "
                                    + seconds(budget.get()) + ", over their policy of " + seconds(policy),
                            "set max_stream_duration (and grpc_timeout_header_max) to at most " + seconds(policy));
                }
            }
        }
    },

    BINDING_NOT_ROUTED("binding-not-routed",
            "a method the contract publishes (and clients are told to call) that the edge answers with 404 "
                    + "or never transcodes is an outage the contract tests cannot see") {
        @Override
        void check(EdgeModel edge, Contract contract, Sink sink) {
            List<Node> managers = edge.apiManagers();
            if (managers.isEmpty()) {
                sink.report(edge.root().at("static_resources.listeners"), "no listener routes any contract method",
                        "add a listener whose routes forward /" + "<package>.<Service>/<Method> paths to the service");
                return;
            }
            for (Node manager : managers) {
                Optional<Node> transcoder = EdgeModel.httpFilter(manager, EdgeModel.TRANSCODER);
                List<String> services = transcoder.map(t -> t.at("typed_config.services").items().stream()
                        .map(Node::text).toList()).orElse(List.of());
                for (Method method : contract.methods()) {
                    for (HttpBinding binding : method.bindings()) {
                        if (transcoder.isEmpty()) {
                            sink.report(manager.get("http_filters"), binding + " (" + method.grpcPath()
                                            + ") is not transcoded: there is no grpc_json_transcoder filter",
                                    "add envoy.filters.http.grpc_json_transcoder with the built descriptor set");
                        } else if (!services.isEmpty() && !services.contains(method.service())) {
                            sink.report(transcoder.get().at("typed_config.services"), binding + " ("
                                            + method.grpcPath() + ") is not transcoded: " + method.service()
                                            + " is not in the transcoder's services",
                                    "add " + method.service() + " to services");
                        }
                    }
                    Optional<RouteRef> first = EdgeModel.routes(manager).stream()
                            .filter(r -> !EdgeModel.conditional(r.route().get("match")))
                            .filter(r -> EdgeModel.pathMatches(r.route().get("match"), method.grpcPath()))
                            .findFirst();
                    if (!method.bindings().isEmpty() && (first.isEmpty() || !first.get().forwards())) {
                        sink.report(manager.get("route_config"), method.bindings().get(0) + " ("
                                        + method.grpcPath() + ") reaches no forwarding route: a plain call ends at "
                                        + first.map(r -> r.label() + " (not forwarded)").orElse("no route (404)"),
                                "add a route matching " + method.grpcPath() + " without header conditions, "
                                        + "before any catch-all");
                    }
                }
            }
        }
    },

    ROUTE_MATCHES_NO_METHOD("route-matches-no-method",
            "a forwarding route that no contract method reaches is dead policy at best; at worst it forwards "
                    + "paths the contract does not define to the service, past the transcoder's checks") {
        @Override
        void check(EdgeModel edge, Contract contract, Sink sink) {
            for (RouteRef route : edge.apiRoutes()) {
                if (served(route, contract).isEmpty()) {
                    sink.report(route.route().get("match"), route.label() + " forwards to "
                                    + String.join(",", route.clusters()) + " but matches no method of the contract",
                            "match the gRPC paths (/package.Service/Method) of the methods it should serve, or remove it");
                }
            }
        }
    },

    ADMIN_NOT_LOOPBACK("admin-not-loopback",
            "Envoy's admin API is unauthenticated and can change runtime, drain listeners and stop Envoy") {
        @Override
        void check(EdgeModel edge, Contract contract, Sink sink) {
            Node admin = edge.root().at("admin.address.socket_address");
            if (admin.present() && !EdgeModel.isLoopback(admin.get("address").text())) {
                sink.report(admin.get("address"), "admin listens on " + admin.get("address").text(),
                        "bind admin to 127.0.0.1; let Prometheus scrape the stats listener instead");
            }
            for (Node manager : edge.connectionManagers()) {
                for (RouteRef route : EdgeModel.routes(manager)) {
                    if (!route.forwards() || route.clusters().stream().noneMatch(edge::isAdminCluster)) {
                        continue;
                    }
                    Node match = route.route().get("match");
                    boolean readOnly = match.get("path").present() && Limits.STATS_PATHS.contains(match.get("path").text()) && !EdgeModel.conditional(match)
                            && !route.action().get("prefix_rewrite").present()
                            && !route.action().get("regex_rewrite").present()
                            && !route.action().get("path_rewrite_policy").present();
                    if (!readOnly) {
                        sink.report(match, route.label() + " forwards to Envoy's own admin for more than "
                                        + String.join(" and ", Limits.STATS_PATHS),
                                "match exactly path: /stats/prometheus (or /ready), without rewrites");
                    }
                }
            }
        }
    },

    TRANSCODER_LENIENT("transcoder-lenient",
            "without these the transcoder passes an unbound path through as if it were gRPC, and silently "
                    + "drops a misspelt query parameter, so the client's intent is lost without an error") {
        @Override
        void check(EdgeModel edge, Contract contract, Sink sink) {
            for (Node manager : edge.apiManagers()) {
                EdgeModel.httpFilter(manager, EdgeModel.TRANSCODER).ifPresent(transcoder -> {
                    Node options = transcoder.at("typed_config.request_validation_options");
                    for (String flag : List.of("reject_unknown_method", "reject_unknown_query_parameters")) {
                        if (!options.get(flag).isTrue()) {
                            sink.report(options.get(flag), "the transcoder does not set " + flag,
                                    "set request_validation_options." + flag + ": true");
                        }
                    }
                });
            }
        }
    },

    UNBOUNDED_REQUEST_BODY("unbounded-request-body",
            "without a cap Envoy buffers whatever a client sends (the router keeps bodies to replay retries): "
                    + "a cheap way to exhaust the edge's memory") {
        @Override
        void check(EdgeModel edge, Contract contract, Sink sink) {
            for (Node manager : edge.apiManagers()) {
                Optional<Node> buffer = EdgeModel.httpFilter(manager, EdgeModel.BUFFER);
                long max = buffer.map(b -> b.at("typed_config.max_request_bytes").number(0)).orElse(0L);
                boolean beforeRouter = EdgeModel.filterIndex(manager, EdgeModel.BUFFER)
                        < EdgeModel.filterIndex(manager, EdgeModel.ROUTER);
                if (buffer.isEmpty() || buffer.get().get("disabled").isTrue() || max <= 0 || max > Limits.MAX_BODY_BYTES
                        || !beforeRouter) {
                    sink.report(buffer.map(b -> b.at("typed_config.max_request_bytes")).orElse(manager.get("http_filters")),
                            "no request-body bound of at most " + Limits.MAX_BODY_BYTES + " bytes before the router",
                            "add envoy.filters.http.buffer with max_request_bytes (64 KiB) before the router");
                }
            }
        }
    },

    NO_REQUEST_TIMEOUT("no-request-timeout",
            "a client that sends its headers or body slowly (slowloris) holds a connection and a stream for as "
                    + "long as it likes") {
        @Override
        void check(EdgeModel edge, Contract contract, Sink sink) {
            for (Node manager : edge.apiManagers()) {
                Node headers = manager.get("request_headers_timeout");
                if (headers.duration().filter(d -> !d.isZero()).isEmpty()) {
                    sink.report(headers, "no request_headers_timeout (off by default: a client may take as long as it likes to send its headers)",
                            "set request_headers_timeout (e.g. 10s)");
                }
                Node idle = manager.get("stream_idle_timeout");
                if (idle.duration().filter(Duration::isZero).isPresent()) {
                    sink.report(idle, "stream_idle_timeout is 0s: an idle stream is never closed",
                            "set stream_idle_timeout to a few times the longest route budget (e.g. 30s)");
                }
            }
        }
    },

    ROUTE_NOT_RATE_LIMITED("route-not-rate-limited",
            "a public route without an enforced limit lets one client take the whole capacity of the service; "
                    + "a limit that is disabled or in shadow mode only counts") {
        @Override
        void check(EdgeModel edge, Contract contract, Sink sink) {
            for (RouteRef route : edge.apiRoutes()) {
                boolean global = EdgeModel.httpFilter(route.manager(), EdgeModel.GLOBAL_RATELIMIT).isPresent()
                        && (route.action().get("rate_limits").present() || route.virtualHost().get("rate_limits").present());
                if (global) {
                    continue;
                }
                List<Node> limits = EdgeModel.callerRateLimits(route.manager());
                int transcoder = EdgeModel.filterIndex(route.manager(), EdgeModel.TRANSCODER);
                java.util.Set<String> reported = new java.util.HashSet<>();
                for (Call call : calls(route, contract)) {
                    List<Node> configs = new ArrayList<>();
                    for (Node filter : limits) {
                        // Before the transcoder a REST call still has its REST path: neither this
                        // route nor its per-route config is what the filter sees.
                        boolean restView = call.rest() != null && transcoder >= 0
                                && EdgeModel.httpFilters(route.manager()).indexOf(filter) < transcoder;
                        Node perRoute = restView ? new Node("", null) : route.perFilter(filter.name());
                        if (perRoute.get("disabled").isTrue()
                                || FilterMatcher.skips(filter, restView ? call.rest() : call.grpc())) {
                            continue;
                        }
                        Node config = perRoute.get("token_bucket").present() ? perRoute : FilterMatcher.config(filter);
                        if (config.get("token_bucket").present()) {
                            configs.add(config);
                        }
                    }
                    if (configs.isEmpty() && reported.add("none")) {
                        sink.report(route.route(), route.label() + " has no rate limit for " + call.label()
                                        + (limits.isEmpty() ? " (no local_ratelimit filter in the chain)" : ""),
                                "add a local_ratelimit filter (or a token_bucket in typed_per_filter_config) that "
                                        + "applies to it");
                    }
                    for (Node config : configs) {
                        for (String gate : List.of("filter_enabled", "filter_enforced")) {
                            long percent = percent(edge, config.get(gate));
                            if (percent < 100 && reported.add(config.path() + gate)) {
                                sink.report(config.get(gate), route.label() + "'s rate limit " + gate + " is "
                                                + percent + "% (absent means 0%)",
                                        "set " + gate + " to 100% (default_value numerator 100, and its runtime key to 100)");
                            }
                        }
                    }
                }
            }
        }
    },

    RATE_LIMIT_AFTER_BODY("rate-limit-after-body",
            "a limiter placed after a filter that waits for the whole body (buffer, Lua, transcoder) refuses only "
                    + "once the body is in: every refused call still costs a body read, a check and a transcode, "
                    + "and a client over its budget can hold streams open by withholding its bodies") {
        @Override
        void check(EdgeModel edge, Contract contract, Sink sink) {
            for (Node manager : edge.apiManagers()) {
                List<Node> filters = EdgeModel.httpFilters(manager);
                Optional<Node> firstBodyReader = filters.stream()
                        .filter(EdgeModel::readsRequestBody).findFirst();
                if (firstBodyReader.isEmpty()) {
                    continue;
                }
                int reader = filters.indexOf(firstBodyReader.get());
                for (Node limit : filters) {
                    if (EdgeModel.LOCAL_RATELIMIT_TYPE.equals(EdgeModel.filterType(limit)) && filters.indexOf(limit) > reader) {
                        sink.report(limit, "rate limit " + limit.name() + " runs after " + firstBodyReader.get().name()
                                        + ", which reads the whole body first",
                                "move it before " + firstBodyReader.get().name()
                                        + " (after jwt_authn if it is keyed on the verified identity)");
                    }
                }
            }
        }
    },

    CLUSTER_UNGUARDED("cluster-unguarded",
            "without active health checks a dead replica keeps getting calls; without outlier detection a replica "
                    + "that fails calls but passes checks does; without circuit breakers sized from a measured capacity a slow cluster queues without bound") {
        @Override
        void check(EdgeModel edge, Contract contract, Sink sink) {
            for (String name : apiClusters(edge)) {
                Optional<Node> found = edge.cluster(name);
                if (found.isEmpty()) {
                    continue;  // envoy --mode validate reports an unknown cluster
                }
                Node cluster = found.get();
                if (cluster.get("health_checks").items().isEmpty()) {
                    sink.report(cluster.get("health_checks"), "cluster " + name + " has no health checks",
                            "add a grpc_health_check with interval 1s, unhealthy_threshold 2");
                }
                if (!cluster.get("outlier_detection").present()) {
                    sink.report(cluster.get("outlier_detection"), "cluster " + name + " has no outlier detection",
                            "add outlier_detection (consecutive_5xx, max_ejection_percent <= 50)");
                }
                List<Node> thresholds = cluster.at("circuit_breakers.thresholds").items();
                if (thresholds.isEmpty()) {
                    sink.report(cluster.get("circuit_breakers"), "cluster " + name + " has no circuit breakers",
                            "add circuit_breakers.thresholds with max_requests, max_pending_requests and a retry_budget");
                }
                // Unset, Envoy uses 1024 requests, 1024 pending and 3 retries: sized for nothing here.
                for (Node threshold : thresholds) {
                    for (String bound : List.of("max_requests", "max_pending_requests", "retry_budget")) {
                        if (!threshold.get(bound).present()) {
                            sink.report(threshold.get(bound), "cluster " + name + "'s circuit breaker leaves " + bound
                                            + " at Envoy's default",
                                    "size " + bound + " from the measured capacity (docs/operations.md, \"Capacity and overload\")");
                        }
                    }
                }
            }
        }
    },

    OUTLIER_CAN_EJECT_EVERY_REPLICA("outlier-can-eject-every-replica",
            "the ejection counters also see failures a client causes itself (a tiny grpc-timeout comes back as "
                    + "DEADLINE_EXCEEDED, counted as a gateway failure): if every replica may be ejected, one client "
                    + "can turn the service into 503s for everyone") {
        @Override
        void check(EdgeModel edge, Contract contract, Sink sink) {
            for (String name : apiClusters(edge)) {
                Node outlier = edge.cluster(name).map(c -> c.get("outlier_detection")).orElse(new Node("", null));
                if (!outlier.present()) {
                    continue;
                }
                Node percent = outlier.get("max_ejection_percent");
                List<String> provokable = new ArrayList<>();
                // Envoy's defaults: consecutive_5xx is enforced (100), consecutive_gateway_failure is not (0).
                if (outlier.get("enforcing_consecutive_gateway_failure").number(0) > 0) {
                    provokable.add("consecutive_gateway_failure");
                }
                if (outlier.get("enforcing_consecutive_5xx").number(100) > 0) {
                    provokable.add("consecutive_5xx");
                }
                if (percent.number(10) > 50 && !provokable.isEmpty()) {
                    sink.report(percent, "cluster " + name + " may eject " + percent.number(10)
                                    + "% of its replicas on " + String.join(" and ", provokable),
                            "set max_ejection_percent to at most 50 (with two replicas: one)");
                }
            }
        }
    },

    ROUTE_WITHOUT_JWT("route-without-jwt",
            "a call that reaches the service without a verified token has no identity: ownership checks and "
                    + "per-caller limits cannot hold") {
        @Override
        void check(EdgeModel edge, Contract contract, Sink sink) {
            for (RouteRef route : edge.apiRoutes()) {
                Optional<Node> jwt = EdgeModel.httpFilter(route.manager(), EdgeModel.JWT)
                        .filter(f -> !f.get("disabled").isTrue());
                if (jwt.isEmpty()) {
                    sink.report(route.route(), route.label() + " forwards to " + String.join(",", route.clusters())
                                    + " but no envoy.filters.http.jwt_authn filter verifies callers",
                            "add jwt_authn before the router with a rule requiring the provider on this route");
                    continue;
                }
                Optional<String> gap = jwtGap(route, jwt.get(), contract);
                gap.ifPresent(why -> sink.report(route.route(), route.label() + " " + why,
                        "add a jwt_authn rule requiring the provider for it, and do not disable the filter per route"));
            }
        }
    },

    REQUEST_HEADERS_UNBOUNDED("request-headers-unbounded",
            "grpc-java refuses a call whose headers pass the service's metadata limit, and Netty closes the "
                    + "whole connection, every caller's calls on it, when a header block passes 1.25 times it: "
                    + "what the edge forwards must stay far inside") {
        @Override
        void check(EdgeModel edge, Contract contract, Sink sink) {
            HeaderBudget.checkBound(edge, sink);
        }
    },

    UNLISTED_HEADERS_FORWARDED("unlisted-headers-forwarded",
            "a header the service does not read can only cost it: whatever a client adds would count against "
                    + "a replica's metadata limit, on the connection every caller shares") {
        @Override
        void check(EdgeModel edge, Contract contract, Sink sink) {
            HeaderBudget.checkForwarded(edge, sink);
        }
    };

    private static final Duration DEFAULT_BASE_BACK_OFF = Duration.ofMillis(25);

    /**
     * Whether a route retries only attempts that provably never reached a replica: a failed
     * connect sent nothing, and HTTP/2 REFUSED_STREAM means the server did not process the stream
     * (RFC 9113 section 8.7). Repeating those is safe even for a write without a key.
     */
    static boolean retriesOnlyCallsNeverSent(RouteRef route) {
        Node policy = route.retryPolicy();
        String retryOn = policy.get("retry_on").text();
        return retryOn != null && !policy.get("retriable_status_codes").present()
                && !policy.get("retriable_headers").present()
                && java.util.Arrays.stream(retryOn.split(",")).map(String::trim)
                        .allMatch(condition -> condition.equals("connect-failure") || condition.equals("refused-stream"));
    }

    /** retry_on conditions that are never safe or useful at this edge, with the reason. */
    static final Map<String, String> UNSAFE_RETRY_ON = unsafeRetryOn();

    private static Map<String, String> unsafeRetryOn() {
        Map<String, String> unsafe = new LinkedHashMap<>();
        unsafe.put("5xx", "includes 500 (a bug fails the same way) and 504 (the call may have run; the budget is gone)");
        unsafe.put("gateway-error", "includes 504: the budget is gone and the first attempt may have committed");
        unsafe.put("retriable-4xx", "409 is a conflict only the client can resolve");
        unsafe.put("envoy-ratelimited", "a call the limiter refused, retried, spends more of what was refused");
        unsafe.put("resource-exhausted", "RESOURCE_EXHAUSTED means slow down; a retry adds load to an overloaded service");
        unsafe.put("cancelled", "the caller gave up; nobody waits for the retry");
        unsafe.put("deadline-exceeded", "the budget is spent and the first attempt may have committed");
        unsafe.put("internal", "INTERNAL is a bug or a broken invariant; it fails the same way again");
        return Map.copyOf(unsafe);
    }

    private final String id;
    private final String why;

    EdgeRule(String id, String why) {
        this.id = id;
        this.why = why;
    }

    public String id() {
        return id;
    }

    public String why() {
        return why;
    }

    abstract void check(EdgeModel edge, Contract contract, Sink sink);

    /** Collects this rule's findings with its id and reason attached. */
    @FunctionalInterface
    interface Sink {
        void report(Node where, String what, String fix);
    }

    /** Runs every rule; findings in rule order, then config order. */
    public static List<Finding> checkAll(java.util.Map<String, Object> tree, java.nio.file.Path descriptorSet) {
        EdgeModel edge = new EdgeModel(tree);
        Contract contract = Contract.load(descriptorSet);
        List<Finding> findings = new ArrayList<>();
        for (EdgeRule rule : values()) {
            rule.check(edge, contract, (where, what, fix) ->
                    findings.add(new Finding(rule.id, where.path(), what, rule.why, fix)));
        }
        return findings;
    }

    // --- shared reasoning

    /** The contract methods whose gRPC path this route's path condition accepts. */
    static List<Method> served(RouteRef route, Contract contract) {
        return contract.methods().stream()
                .filter(m -> EdgeModel.pathMatches(route.route().get("match"), m.grpcPath())).toList();
    }

    /**
     * One way to call a method a route serves, as request headers: its gRPC form, and for a REST
     * binding the REST form too (what a filter before the transcoder sees); rest is null for gRPC.
     */
    record Call(String label, Map<String, String> grpc, Map<String, String> rest) {
    }

    static List<Call> calls(RouteRef route, Contract contract) {
        List<Call> calls = new ArrayList<>();
        for (Method method : served(route, contract)) {
            Map<String, String> grpc = Map.of(":path", method.grpcPath(), ":method", "POST",
                    "content-type", "application/grpc");
            calls.add(new Call("gRPC " + method.name(), grpc, null));
            for (HttpBinding binding : method.bindings()) {
                calls.add(new Call("REST " + binding, grpc, Map.of(":path", binding.samplePath(),
                        ":method", binding.verb(), "content-type", "application/json")));
            }
        }
        return calls;
    }

    static List<String> apiClusters(EdgeModel edge) {
        return edge.apiRoutes().stream().flatMap(r -> r.clusters().stream()).distinct().toList();
    }

    static Optional<Node> keyHeaderMatcher(Node match) {
        return match.get("headers").items().stream()
                .filter(h -> "idempotency-key".equalsIgnoreCase(h.name())).findFirst();
    }

    /**
     * The route only takes requests whose idempotency-key is non-empty and not blank: a
     * string_match (or the older safe_regex_match / exact_match) that refuses "", " " and a tab.
     * present_match does not qualify: it accepts an empty value.
     */
    static boolean requiresWellFormedKey(Node match) {
        Optional<Node> header = keyHeaderMatcher(match);
        if (header.isEmpty() || header.get().get("invert_match").isTrue()) {
            return false;
        }
        Node matcher = header.get();
        String regex = matcher.at("string_match.safe_regex.regex").present()
                ? matcher.at("string_match.safe_regex.regex").text() : matcher.at("safe_regex_match.regex").text();
        if (regex != null) {
            return List.of("", " ", "\t", "   ").stream().noneMatch(blank -> EdgeModel.fullMatch(regex, blank));
        }
        for (String kind : List.of("exact", "prefix", "suffix", "contains")) {
            String value = matcher.get("string_match").get(kind).text();
            if (value != null) {
                return !value.isBlank();
            }
        }
        String exact = matcher.get("exact_match").text();
        return exact != null && !exact.isBlank();
    }

    /** Worst case of Envoy's jittered back-off: retry i waits at most min((2^i - 1) x base, max). */
    static Duration worstBackOff(Node policy, long retries) {
        Duration base = policy.at("retry_back_off.base_interval").duration().orElse(DEFAULT_BASE_BACK_OFF);
        Duration max = policy.at("retry_back_off.max_interval").duration().orElse(base.multipliedBy(10));
        Duration total = Duration.ZERO;
        for (long i = 1; i <= retries; i++) {
            Duration step = base.multipliedBy((1L << Math.min(i, 30)) - 1);
            total = total.plus(step.compareTo(max) < 0 ? step : max);
        }
        return total;
    }

    /** A runtime fractional percent in effect: the static layers' value for its key, else its default. */
    static long percent(EdgeModel edge, Node fractional) {
        if (!fractional.present()) {
            return 0;
        }
        Node value = fractional.get("default_value");
        long denominator = switch (String.valueOf(value.get("denominator").text())) {
            case "TEN_THOUSAND" -> 10_000;
            case "MILLION" -> 1_000_000;
            default -> 100;
        };
        long numerator = value.get("numerator").number(0);
        String key = fractional.get("runtime_key").text();
        if (key != null) {
            numerator = edge.runtime(key).map(v -> v.number(0)).orElse(numerator);
        }
        return numerator * 100 / denominator;
    }

    /** Why this route is not covered by jwt_authn, or empty when every call it serves must carry a verified JWT. */
    static Optional<String> jwtGap(RouteRef route, Node jwtFilter, Contract contract) {
        Node config = jwtFilter.get("typed_config");
        Node perRoute = route.perFilter(EdgeModel.JWT);
        if (perRoute.get("disabled").isTrue() || perRoute.at("config.disabled").isTrue()) {
            return Optional.of("disables jwt_authn in typed_per_filter_config");
        }
        String requirementName = perRoute.get("requirement_name").present() ? perRoute.get("requirement_name").text()
                : perRoute.at("config.requirement_name").text();
        if (requirementName != null) {
            return demandsProvider(config.at("requirement_map").get(requirementName)) ? Optional.empty()
                    : Optional.of("names jwt_authn requirement '" + requirementName + "', which does not require a provider");
        }
        // Before the transcoder, jwt_authn sees REST calls by their REST path; after it, by their gRPC path.
        boolean seesRestPaths = EdgeModel.filterIndex(route.manager(), EdgeModel.JWT)
                < EdgeModel.filterIndex(route.manager(), EdgeModel.TRANSCODER);
        List<String> paths = new ArrayList<>();
        for (Method method : served(route, contract)) {
            paths.add(method.grpcPath());
            if (seesRestPaths) {
                method.bindings().forEach(b -> paths.add(b.samplePath()));
            }
        }
        List<String> uncovered = paths.stream().filter(path -> {
            Optional<Node> rule = config.get("rules").items().stream()
                    .filter(r -> !EdgeModel.conditional(r.get("match")))
                    .filter(r -> EdgeModel.pathMatches(r.get("match"), path)).findFirst();
            if (rule.isEmpty()) {
                return true;
            }
            Node requirement = rule.get().get("requires").present() ? rule.get().get("requires")
                    : config.at("requirement_map").get(String.valueOf(rule.get().get("requirement_name").text()));
            return !demandsProvider(requirement);
        }).collect(Collectors.toList());
        return uncovered.isEmpty() ? Optional.empty()
                : Optional.of("lets " + String.join(", ", uncovered) + " through without a required JWT provider");
    }

    /** A JwtRequirement that fails a call without a valid token from some provider. */
    static boolean demandsProvider(Node requirement) {
        if (!requirement.present()) {
            return false;
        }
        if (requirement.get("provider_name").text() != null && !requirement.get("provider_name").text().isBlank()) {
            return true;
        }
        if (requirement.at("provider_and_audiences.provider_name").present()) {
            return true;
        }
        List<Node> any = requirement.at("requires_any.requirements").items();
        if (!any.isEmpty()) {
            return any.stream().allMatch(EdgeRule::demandsProvider);
        }
        return requirement.at("requires_all.requirements").items().stream().anyMatch(EdgeRule::demandsProvider);
    }

    static String names(List<Method> methods) {
        return methods.stream().map(Method::name).collect(Collectors.joining(", "));
    }

    static String seconds(Duration duration) {
        return java.math.BigDecimal.valueOf(duration.toNanos(), 9).stripTrailingZeros().toPlainString() + "s";
    }

    /** The numbers the rules hold configs to (a holder class: enum constants cannot read the enum's own statics). */
    static final class Limits {
        /** Reads are one indexed query; the read SLO's p99 is far below this. */
        static final Duration READ_BUDGET = Duration.ofSeconds(2);
        /** Writes lock a row and commit; the service's default deadline (PAYGATE_DEFAULT_DEADLINE) is 5s. */
        static final Duration WRITE_BUDGET = Duration.ofSeconds(5);
        /** The largest valid request is under 2 KiB; 1 MiB is already generous for a cap. */
        static final long MAX_BODY_BYTES = 1L << 20;
        /** What a stats listener may take from admin: read-only scrape and readiness. */
        static final List<String> STATS_PATHS = List.of("/stats/prometheus", "/ready");

        private Limits() {
        }
    }
}
