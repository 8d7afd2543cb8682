package dev.paygate.edge.policy;

import dev.paygate.contract.Contract;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/** How findings name things: methods by name, durations as Envoy writes them. */
final class Wording {

    private Wording() {
    }

    static String names(List<Contract.Method> methods) {
        return methods.stream().map(Contract.Method::name).collect(Collectors.joining(", "));
    }

    static String seconds(Duration duration) {
        return BigDecimal.valueOf(duration.toNanos(), 9).stripTrailingZeros().toPlainString() + "s";
    }
}
