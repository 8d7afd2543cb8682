package dev.paygate.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Which scenarios a run measures, in order. The full plan: reads on every path in every shape
 * (closed loop at 16 and 64 clients, open loop at 250, 500, 1,000 and 2,000/s); keyed writes
 * over 100 accounts the same; the hot account and capture/void in the closed loop and at 500/s
 * on direct gRPC and both full-edge paths; the uncached-token read on gRPC through the edge.
 * The smoke plan touches every path and operation briefly.
 */
final class Plan {

    static final List<LoadShape> ALL_SHAPES = List.of(new LoadShape.Closed(16), new LoadShape.Closed(64),
            new LoadShape.Open(250), new LoadShape.Open(500), new LoadShape.Open(1000), new LoadShape.Open(2000));

    private Plan() {
    }

    /** With --history N: writes on the loaded account against writes on a fresh one, same shape. */
    static List<Scenario> history() {
        List<Scenario> plan = new ArrayList<>();
        for (Target target : List.of(Target.GRPC_DIRECT, Target.REST_EDGE)) {
            plan.add(new Scenario(target, Operation.CREATE_FRESH_ACCOUNT, new LoadShape.Closed(16)));
            plan.add(new Scenario(target, Operation.CREATE_AFTER_HISTORY, new LoadShape.Closed(16)));
        }
        return plan;
    }

    static List<Scenario> full() {
        List<Scenario> plan = new ArrayList<>();
        for (Operation operation : List.of(Operation.READ, Operation.CREATE_SPREAD)) {
            for (LoadShape shape : ALL_SHAPES) {
                for (Target target : Target.values()) {
                    plan.add(new Scenario(target, operation, shape));
                }
            }
        }
        for (Operation operation : List.of(Operation.CREATE_HOT, Operation.CAPTURE_OR_VOID)) {
            for (LoadShape shape : List.of(new LoadShape.Closed(16), new LoadShape.Open(500))) {
                for (Target target : List.of(Target.GRPC_DIRECT, Target.GRPC_EDGE, Target.REST_EDGE)) {
                    plan.add(new Scenario(target, operation, shape));
                }
            }
        }
        plan.add(new Scenario(Target.GRPC_EDGE, Operation.READ_UNCACHED_TOKEN, new LoadShape.Closed(16)));
        return plan;
    }

    /**
     * Run once before the plan, unmeasured: reads in both loops and writes on every path, so the
     * open-loop sender is compiled too before the first open-loop scenario.
     */
    static List<Scenario> warmup() {
        List<Scenario> plan = new ArrayList<>();
        for (Target target : Target.values()) {
            plan.add(new Scenario(target, Operation.READ, new LoadShape.Closed(16)));
            plan.add(new Scenario(target, Operation.READ, new LoadShape.Open(500)));
            plan.add(new Scenario(target, Operation.CREATE_SPREAD, new LoadShape.Closed(16)));
        }
        return plan;
    }

    /** The opening warm-up of a run that measures no scenario: the driver's keyed writes, straight to the service. */
    static List<Scenario> driverWarmup() {
        return List.of(new Scenario(Target.GRPC_DIRECT, Operation.CREATE_SPREAD, new LoadShape.Closed(16)));
    }

    static List<Scenario> smoke() {
        List<Scenario> plan = new ArrayList<>();
        for (Target target : Target.values()) {
            plan.add(new Scenario(target, Operation.READ, new LoadShape.Closed(4)));
            plan.add(new Scenario(target, Operation.READ, new LoadShape.Open(250)));
            plan.add(new Scenario(target, Operation.CREATE_SPREAD, new LoadShape.Closed(4)));
        }
        // Writes in an open loop at a rate a loaded CI machine sustains: the smoke run proves the
        // open-loop path works, it does not measure.
        plan.add(new Scenario(Target.REST_EDGE, Operation.CREATE_SPREAD, new LoadShape.Open(50)));
        plan.add(new Scenario(Target.GRPC_EDGE, Operation.CREATE_HOT, new LoadShape.Closed(4)));
        plan.add(new Scenario(Target.REST_EDGE, Operation.CAPTURE_OR_VOID, new LoadShape.Closed(4)));
        plan.add(new Scenario(Target.GRPC_EDGE, Operation.CAPTURE_OR_VOID, new LoadShape.Closed(4)));
        plan.add(new Scenario(Target.GRPC_EDGE, Operation.READ_UNCACHED_TOKEN, new LoadShape.Closed(4)));
        return plan;
    }
}
