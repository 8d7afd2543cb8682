package dev.paygate.edge.policy;

import dev.paygate.contract.Contract;

/**
 * One policy the edge must hold, written once with the reason it exists: it reads the config
 * ({@link EdgeModel}) and the contract, and reports what breaks it; it never edits anything.
 */
record Rule(String id, String why, Check check) {

    /** What a rule does with a config. */
    @FunctionalInterface
    interface Check {
        void run(EdgeModel edge, Contract contract, Sink sink);
    }

    /** Collects a rule's findings; the rule's id and reason are attached by {@link EdgeRules}. */
    @FunctionalInterface
    interface Sink {
        void report(Node where, String what, String fix);
    }
}
