package dev.paygate;

import io.micronaut.runtime.Micronaut;
import org.slf4j.bridge.SLF4JBridgeHandler;

/** Starts the Paygate gRPC service and its management HTTP port. */
public final class Application {

    private Application() {
    }

    public static void main(String[] args) {
        // grpc-java and Netty write warnings through java.util.logging, which would print plain,
        // multi-line text in the middle of the JSON log; send them to logback instead.
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        Micronaut.build(args).mainClass(Application.class).banner(false).start();
    }
}
