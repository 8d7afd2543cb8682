package dev.paygate.edge.policy;

/** One broken rule at one place in the config: where, what is wrong, why it matters, and the fix. */
public record Finding(String rule, String path, String what, String why, String fix) {

    /** The one line an operator reads. */
    public String line() {
        return path + ": " + what + " — why: " + why + " — fix: " + fix + " [" + rule + "]";
    }
}
