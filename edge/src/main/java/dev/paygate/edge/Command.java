package dev.paygate.edge;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Runs a program to its end and keeps what it printed: the one way the tooling runs envoy, buf, promtool and the rest. */
public final class Command {

    /** How the program ended and what it wrote to the builder's output stream. */
    public record Result(int exitCode, String output) {
    }

    private Command() {
    }

    /**
     * Starts {@code builder}, reads its output to the end, then waits at most {@code timeout} for it
     * to exit. Reading first matters: a program that fills the pipe blocks until someone reads it.
     */
    public static Result run(ProcessBuilder builder, Duration timeout) {
        try {
            Process process = builder.start();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(builder.command() + " did not finish in " + timeout);
            }
            return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + builder.command(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + builder.command(), e);
        }
    }

    /** SIGTERM, then SIGKILL if the process is still there after 10 s: how a started server is stopped. */
    public static void stop(Process process) {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
