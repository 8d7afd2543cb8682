package dev.paygate.devstack;

import static dev.paygate.edge.EnvoyConfig.cast;
import static dev.paygate.edge.EnvoyConfig.list;
import static dev.paygate.edge.EnvoyConfig.map;

import dev.paygate.edge.EnvoyConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * mTLS mode ({@code ./paygate run --mtls}): the listener refuses a TLS handshake without a client
 * certificate issued by the local CA, and the per-identity rate limit keys on the certificate's
 * URI SAN (the calling workload) instead of the token's sub. The token is still required and
 * verified, here and by the service, which takes the account owner from it.
 */
final class MutualTlsEdge {

    /** The rate-limit identity header; drop_reserved_headers removes any client-sent copy. */
    private static final String SUBJECT_HEADER = "x-paygate-subject";

    private MutualTlsEdge() {
    }

    static EnvoyConfig requireClientCertificates(EnvoyConfig config, Path clientCa) {
        Map<String, Object> chain = cast(list(config.listener(EnvoyConfig.PUBLIC_LISTENER), "filter_chains").get(0));
        Map<String, Object> tls = map(map(chain, "transport_socket"), "typed_config");
        tls.put("require_client_certificate", true);
        map(tls, "common_tls_context").put("validation_context",
                Map.of("trusted_ca", Map.of("filename", clientCa.toAbsolutePath().toString())));
        Map<String, Object> jwt = map(config.httpFilter(EnvoyConfig.JWT_AUTHN), "typed_config");
        map(map(jwt, "providers"), "paygate").remove("claim_to_headers");
        List<Object> mutations = list(map(map(config.httpFilter(EnvoyConfig.DROP_RESERVED_HEADERS), "typed_config"),
                "mutations"), "request_mutations");
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("key", SUBJECT_HEADER);
        header.put("value", "%DOWNSTREAM_PEER_URI_SAN%");
        Map<String, Object> append = new LinkedHashMap<>();
        append.put("header", header);
        append.put("append_action", "OVERWRITE_IF_EXISTS_OR_ADD");
        mutations.add(Map.of("append", append));
        return config;
    }
}
