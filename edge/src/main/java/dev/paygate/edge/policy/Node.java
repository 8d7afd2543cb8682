package dev.paygate.edge.policy;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A value in the parsed envoy.yaml together with the YAML path that leads to it, so that every
 * finding can say where to look. Missing keys give an absent node instead of an exception: an
 * operator's edited config may lack anything.
 */
record Node(String path, Object value) {

    static Node root(Map<String, Object> tree) {
        return new Node("", tree);
    }

    boolean present() {
        return value != null;
    }

    Node get(String key) {
        Object child = value instanceof Map<?, ?> map ? map.get(key) : null;
        return new Node(path.isEmpty() ? key : path + "." + key, child);
    }

    /** Follows a dotted path of keys. */
    Node at(String dottedKeys) {
        Node node = this;
        for (String key : dottedKeys.split("\\.")) {
            node = node.get(key);
        }
        return node;
    }

    /** List elements, each addressed by its {@code name} when it has one ({@code routes[reads]}), else by index. */
    List<Node> items() {
        List<Node> items = new ArrayList<>();
        if (value instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                Object item = list.get(i);
                Object name = item instanceof Map<?, ?> map ? map.get("name") : null;
                items.add(new Node(path + "[" + (name != null ? name : i) + "]", item));
            }
        }
        return items;
    }

    /** Mapping entries as nodes (for maps keyed by filter name, such as typed_per_filter_config). */
    List<Node> entries() {
        List<Node> entries = new ArrayList<>();
        if (value instanceof Map<?, ?> map) {
            map.keySet().forEach(key -> entries.add(get(String.valueOf(key))));
        }
        return entries;
    }

    String key() {
        int dot = path.lastIndexOf('.');
        return dot < 0 ? path : path.substring(dot + 1);
    }

    String text() {
        return value == null ? null : String.valueOf(value);
    }

    String name() {
        return get("name").text();
    }

    boolean isTrue() {
        return Boolean.TRUE.equals(value) || "true".equals(text());
    }

    /** An integer, or {@code fallback} when absent. Also reads wrapper forms such as {@code {value: 3}}. */
    long number(long fallback) {
        Object raw = value instanceof Map<?, ?> map && map.containsKey("value") ? map.get("value") : value;
        if (raw instanceof Number n) {
            return n.longValue();
        }
        return raw == null ? fallback : new BigDecimal(String.valueOf(raw)).longValue();
    }

    /** A protobuf JSON duration ("2s", "0.025s"), empty when absent or not a duration. */
    Optional<Duration> duration() {
        String text = text();
        if (text == null || !text.matches("\\d+(\\.\\d+)?s")) {
            return Optional.empty();
        }
        BigDecimal seconds = new BigDecimal(text.substring(0, text.length() - 1));
        return Optional.of(Duration.ofNanos(seconds.movePointRight(9).longValue()));
    }
}
