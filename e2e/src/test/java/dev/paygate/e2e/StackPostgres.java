package dev.paygate.e2e;

import dev.paygate.devstack.Stack;
import io.zonky.test.db.postgres.util.LinuxUtils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A stack's shared PostgreSQL, stopped and started the way an operator would, with {@code pg_ctl}
 * on its data directory, or killed the way a crash would: "unreachable" for real, for every
 * replica at once. (zonky's embedded PostgreSQL has no restart of its own; its binaries include pg_ctl.)
 */
record StackPostgres(Path pgCtl, Path dataDirectory, String options, Path log) {

    static StackPostgres of(Stack stack) {
        Path data = stack.workDir().resolve("postgres");
        try {
            Path postgres = Path.of(postmaster(data).info().command().orElseThrow());
            // postmaster.opts is the server's own record of how it was started: the binary,
            // then its quoted arguments (port, listen address, settings).
            String started = Files.readString(data.resolve("postmaster.opts")).trim();
            String options = started.substring(started.indexOf(' ') + 1);
            return new StackPostgres(postgres.resolveSibling("pg_ctl"), data, options,
                    stack.workDir().resolve("postgres-restarted.log"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void stop() {
        pgCtl("-D", dataDirectory.toString(), "-m", "fast", "-w", "-t", "30", "stop");
    }

    void start() {
        pgCtl("-D", dataDirectory.toString(), "-o", options, "-l", log.toString(), "-w", "-t", "30", "start");
    }

    /**
     * SIGKILL to the server and every process it started, as a power cut would leave it: nothing
     * gets to write out what it holds in memory (a stopped postmaster alone would let them).
     */
    void crash() {
        ProcessHandle postmaster = postmaster(dataDirectory);
        List<ProcessHandle> all = new ArrayList<>(postmaster.descendants().toList());
        all.add(postmaster);
        all.forEach(ProcessHandle::destroyForcibly);
        all.forEach(process -> process.onExit().join());
    }

    private static ProcessHandle postmaster(Path data) {
        try {
            long pid = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
            return ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException("no PostgreSQL on " + data));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void pgCtl(String... arguments) {
        List<String> command = new ArrayList<>();
        // As zonky runs it: PostgreSQL refuses to run as root, so as root it gets a user namespace.
        if (LinuxUtils.isUnshareAvailable()) {
            command.addAll(List.of("unshare", "-U"));
        }
        command.add(pgCtl.toString());
        command.addAll(List.of(arguments));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException(command + " failed; see " + log);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
