package dev.paygate.grpc;

import io.grpc.ServerBuilder;
import io.micronaut.context.event.BeanCreatedEvent;
import io.micronaut.context.event.BeanCreatedEventListener;
import jakarta.inject.Singleton;

/**
 * Gives the gRPC server {@link CallAdmission} as its per-call executor (micronaut-grpc documents a
 * BeanCreatedEventListener of ServerBuilder as the place to customise the server).
 */
@Singleton
class CallExecutorInstaller implements BeanCreatedEventListener<ServerBuilder<?>> {

    private final CallAdmission admission;

    CallExecutorInstaller(CallAdmission admission) {
        this.admission = admission;
    }

    @Override
    public ServerBuilder<?> onCreated(BeanCreatedEvent<ServerBuilder<?>> event) {
        return event.getBean().callExecutor(admission);
    }
}
