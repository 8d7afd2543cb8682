package dev.paygate.edge.policy;

import dev.paygate.contract.Contract;
import dev.paygate.edge.EnvoyConfig;
import java.util.List;
import java.util.Optional;

/** What one request may cost: its body is capped, and its headers stay far inside a replica's limits. */
final class RequestBoundRules {

    /** The largest valid request is under 2 KiB; 1 MiB is already generous for a cap. */
    static final long MAX_BODY_BYTES = 1L << 20;
    private static final String BUFFER = "envoy.filters.http.buffer";

    static final Rule UNBOUNDED_REQUEST_BODY = new Rule("unbounded-request-body",
            "without a cap Envoy buffers whatever a client sends (the router keeps bodies to replay retries): "
                    + "a cheap way to exhaust the edge's memory",
            RequestBoundRules::unboundedRequestBody);

    static final Rule REQUEST_HEADERS_UNBOUNDED = new Rule("request-headers-unbounded",
            "grpc-java refuses a call whose headers pass the service's metadata limit, and Netty closes the "
                    + "whole connection, every caller's calls on it, when a header block passes 1.25 times it: "
                    + "what the edge forwards must stay far inside",
            (edge, contract, sink) -> HeaderBudget.checkBound(edge, sink));

    static final Rule UNLISTED_HEADERS_FORWARDED = new Rule("unlisted-headers-forwarded",
            "a header the service does not read can only cost it: whatever a client adds would count against "
                    + "a replica's metadata limit, on the connection every caller shares",
            (edge, contract, sink) -> HeaderBudget.checkForwarded(edge, sink));

    static final List<Rule> ALL = List.of(UNBOUNDED_REQUEST_BODY, REQUEST_HEADERS_UNBOUNDED, UNLISTED_HEADERS_FORWARDED);

    private RequestBoundRules() {
    }

    /** A buffer filter before the router caps the body; it sets the request's buffer limit to its cap (buffer_filter.cc). */
    private static void unboundedRequestBody(EdgeModel edge, Contract contract, Rule.Sink sink) {
        for (Node manager : edge.apiManagers()) {
            Optional<Node> buffer = EdgeModel.httpFilter(manager, BUFFER);
            long max = buffer.map(b -> b.at("typed_config.max_request_bytes").number(0)).orElse(0L);
            boolean beforeRouter = EdgeModel.filterIndex(manager, BUFFER) < EdgeModel.filterIndex(manager, EnvoyConfig.ROUTER);
            if (buffer.isEmpty() || buffer.get().get("disabled").isTrue() || max <= 0 || max > MAX_BODY_BYTES
                    || !beforeRouter) {
                sink.report(buffer.map(b -> b.at("typed_config.max_request_bytes")).orElse(manager.get("http_filters")),
                        "no request-body bound of at most " + MAX_BODY_BYTES + " bytes before the router",
                        "add envoy.filters.http.buffer with max_request_bytes (64 KiB) before the router");
            }
        }
    }
}
