package dev.paygate.edge.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The removal regex keeps exactly the forwarded names and the pseudo-headers, and removes every
 * other name, near misses included (Java's regex agrees with RE2 on this syntax: classes,
 * alternation, non-capturing groups, $ and .*).
 */
@Tag("static")
class ForwardedHeadersTest {

    private static final Pattern REMOVED = Pattern.compile(ForwardedHeaders.removalRegex());

    @Test
    void forwardedNamesAndPseudoHeaders_areKept() {
        List<String> kept = new ArrayList<>(ForwardedHeaders.NAMES.keySet());
        kept.addAll(List.of(":path", ":authority", ":method", ":scheme"));

        assertThat(kept).noneMatch(name -> REMOVED.matcher(name).matches());
    }

    @Test
    void everyOtherName_isRemoved_nearMissesIncluded() {
        List<String> others = new ArrayList<>(List.of("x-pad", "x-forwarded-for", "x-forwarded-proto",
                "x-paygate-subject", "cookie", "accept", "content-length", "tracestate", "grpc-previous-rpc-attempts",
                "x-envoy-attempt-count", "x-envoy-fault-delay-request", "a", "t", "x", "x-", "host"));
        for (String name : ForwardedHeaders.NAMES.keySet()) {
            for (int i = 1; i < name.length(); i++) {
                others.add(name.substring(0, i));  // a proper prefix
                others.add(name.substring(0, i) + "q" + name.substring(i + 1));  // one character changed
            }
            others.add(name + "x");
            others.add(name + "-bin");
        }
        others.removeAll(ForwardedHeaders.NAMES.keySet());

        assertThat(others).allMatch(name -> REMOVED.matcher(name).matches());
    }
}
