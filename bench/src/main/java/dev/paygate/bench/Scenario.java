package dev.paygate.bench;

/** One measured combination: a path, an operation and a load shape. */
record Scenario(Target target, Operation operation, LoadShape shape) {

    String name() {
        return target.key + "." + operation.key + "." + shape.key();
    }
}
