package dev.paygate;

import io.micronaut.runtime.Micronaut;

/** Starts the Paygate gRPC service and its management HTTP port. */
public final class Application {

    private Application() {
    }

    public static void main(String[] args) {
        Micronaut.build(args).mainClass(Application.class).banner(false).start();
    }
}
