package dev.paygate.bench;

/** The benchmark's client deadlines: the edge's route budgets (envoy.yaml: reads 2 s, writes 5 s). */
final class Deadlines {

    static final int READ_SECONDS = 2;
    static final int WRITE_SECONDS = 5;

    private Deadlines() {
    }
}
