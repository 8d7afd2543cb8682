package dev.paygate.devstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * How {@code ./paygate scale N} reaches a running {@code ./paygate run}: files in the run
 * directory's {@code scale/}, no network listener. The launcher keeps its process id in
 * {@code launcher.pid} while it runs; the command writes "ID N" to {@code request}; the launcher
 * polls it, changes the stable replicas ({@link Stack#scaleTo}) and answers in {@code answer}:
 * "ID ok" and the replicas' gRPC addresses, or "ID error" and why. Every file is replaced by a
 * rename, so neither side reads half of one. Only the latest request counts.
 */
public final class ScaleRequests implements AutoCloseable {

    /** More would not fit one machine's cores, and would reach into the next ports' uses. */
    public static final int MAX_REPLICAS = 16;
    private static final Duration POLL = Duration.ofMillis(250);

    private final Path directory;
    private final ScheduledExecutorService poller;
    private String handled;

    private ScaleRequests(Path directory) {
        this.directory = directory;
        this.poller = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "paygate-scale-requests");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** The launcher's side: answers requests for {@code stack} until closed. A request left from an earlier run is ignored. */
    public static ScaleRequests serve(Stack stack, Path runDirectory) {
        ScaleRequests requests = new ScaleRequests(runDirectory.resolve("scale"));
        requests.handled = requests.read("request").map(line -> line.split(" ")[0]).orElse("");
        requests.write("launcher.pid", Long.toString(ProcessHandle.current().pid()));
        requests.poller.scheduleWithFixedDelay(() -> requests.answer(stack), POLL.toMillis(), POLL.toMillis(),
                TimeUnit.MILLISECONDS);
        return requests;
    }

    private void answer(Stack stack) {
        Optional<String> request = read("request");
        if (request.isEmpty() || request.get().split(" ")[0].equals(handled)) {
            return;
        }
        String[] parts = request.get().trim().split(" ");
        handled = parts[0];
        String outcome;
        try {
            int count = Integer.parseInt(parts[1]);
            if (count < 1 || count > MAX_REPLICAS) {
                throw new IllegalArgumentException("replicas must be 1 to " + MAX_REPLICAS + ", not " + count);
            }
            System.out.println("scaling to " + count + " service replica(s) ...");
            stack.scaleTo(count);
            outcome = "ok " + stack.replicas().subList(0, stack.stableReplicas()).stream()
                    .map(replica -> "127.0.0.1:" + replica.grpcPort()).collect(Collectors.joining(" "));
            System.out.println("now " + count + " service replica(s): " + outcome.substring(3));
        } catch (RuntimeException e) {
            outcome = "error " + String.valueOf(e.getMessage()).replace('\n', ' ');
            System.err.println("scaling failed: " + outcome.substring(6));
        }
        write("answer", handled + " " + outcome);
    }

    /**
     * The command's side: asks the launcher running in {@code runDirectory} for {@code count} replicas
     * and waits for its answer: the replicas' addresses, or an exception that says why not.
     */
    public static String request(Path runDirectory, int count, Duration timeout) {
        ScaleRequests requests = new ScaleRequests(runDirectory.resolve("scale"));
        try {
            long pid = requests.read("launcher.pid").map(text -> Long.parseLong(text.trim())).orElse(-1L);
            if (ProcessHandle.of(pid).filter(ProcessHandle::isAlive).isEmpty()) {
                throw new IllegalStateException("no ./paygate run is running from this checkout (no live process in "
                        + requests.directory.resolve("launcher.pid") + "); start one first");
            }
            String id = UUID.randomUUID().toString();
            requests.write("request", id + " " + count);
            Instant end = Instant.now().plus(timeout);
            while (Instant.now().isBefore(end)) {
                Optional<String> answer = requests.read("answer").filter(line -> line.startsWith(id + " "));
                if (answer.isPresent()) {
                    String outcome = answer.get().substring(id.length() + 1);
                    if (outcome.startsWith("ok")) {
                        return outcome.substring(2).trim();
                    }
                    throw new IllegalStateException(outcome.substring("error".length()).trim());
                }
                if (ProcessHandle.of(pid).filter(ProcessHandle::isAlive).isEmpty()) {
                    throw new IllegalStateException("./paygate run (process " + pid + ") exited before it answered");
                }
                Thread.sleep(POLL.toMillis());
            }
            throw new IllegalStateException("./paygate run did not answer within " + timeout.toSeconds()
                    + " s; its output says what it is doing");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } finally {
            requests.poller.shutdownNow();
        }
    }

    private Optional<String> read(String name) {
        try {
            return Optional.of(Files.readString(directory.resolve(name)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void write(String name, String text) {
        try {
            Files.createDirectories(directory);
            Path temporary = Files.writeString(directory.resolve("." + name + ".tmp"), text + "\n");
            Files.move(temporary, directory.resolve(name), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + directory.resolve(name), e);
        }
    }

    /** The launcher stops answering and says so (no launcher.pid). */
    @Override
    public void close() {
        poller.shutdownNow();
        try {
            Files.deleteIfExists(directory.resolve("launcher.pid"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
