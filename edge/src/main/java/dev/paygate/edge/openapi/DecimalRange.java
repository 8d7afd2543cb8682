package dev.paygate.edge.openapi;

import java.util.ArrayList;
import java.util.List;

/** A regular expression for the decimal integers (no sign, no leading zeros) in [min, max], min 0 or 1. */
final class DecimalRange {

    private DecimalRange() {
    }

    /** @param max the largest allowed value, or null for no limit */
    static String regex(long min, Long max) {
        if (min != 0 && min != 1) {
            throw new IllegalArgumentException("only ranges from 0 or 1 up: " + min);
        }
        List<String> alternatives = new ArrayList<>();
        if (min == 0) {
            alternatives.add("0");
        }
        if (max == null) {
            alternatives.add("[1-9][0-9]*");
            return String.join("|", alternatives);
        }
        if (max < min) {
            throw new IllegalArgumentException("empty range [" + min + ", " + max + "]");
        }
        String digits = Long.toString(max);
        int length = digits.length();
        if (length > 1) {
            // Every number with fewer digits than max.
            alternatives.add(length == 2 ? "[1-9]" : "[1-9][0-9]{0," + (length - 2) + "}");
        }
        // Numbers of max's length: max's first i digits, a smaller digit, then any digits.
        for (int i = 0; i < length; i++) {
            int lowest = i == 0 ? 1 : 0;
            int below = digits.charAt(i) - '0' - 1;
            if (below >= lowest) {
                String rest = length - i - 1 == 0 ? "" : "[0-9]{" + (length - i - 1) + "}";
                alternatives.add(digits.substring(0, i) + "[" + lowest + "-" + below + "]" + rest);
            }
        }
        if (max > 0) {
            alternatives.add(digits);
        }
        return String.join("|", alternatives);
    }
}
