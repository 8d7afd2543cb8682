package dev.paygate.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.management.MBeanServerConnection;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import jdk.management.jfr.FlightRecorderMXBean;

/**
 * Every stop-the-world pause of the service's collector and every ZGC allocation stall in a
 * window, from a JFR recording the bench starts in the service's JVM over JMX (JFR's
 * {@code jdk.GCPhasePause}, one event per pause of any collector, and {@code jdk.ZAllocationStall}).
 * Stopping the recording flushes every event it holds, so a window's figures are complete.
 */
final class GcPauses {

    private static final String PAUSE = "jdk.GCPhasePause";
    private static final String STALL = "jdk.ZAllocationStall";
    private static final Map<String, String> SETTINGS = Map.of(PAUSE + "#enabled", "true", PAUSE + "#threshold", "0 ms",
            STALL + "#enabled", "true", STALL + "#threshold", "0 ms");

    /** The pauses and stalls of one window, durations in ms. */
    record Summary(int pauses, double maxPauseMs, double totalPauseMs, int stalls, double maxStallMs) {

        static Summary of(List<RecordedEvent> events) {
            double[] pauses = millis(events, PAUSE);
            double[] stalls = millis(events, STALL);
            return new Summary(pauses.length, max(pauses), java.util.Arrays.stream(pauses).sum(), stalls.length,
                    max(stalls));
        }

        private static double[] millis(List<RecordedEvent> events, String type) {
            return events.stream().filter(e -> e.getEventType().getName().equals(type))
                    .mapToDouble(e -> e.getDuration().toNanos() / 1e6).toArray();
        }

        private static double max(double[] values) {
            return java.util.Arrays.stream(values).max().orElse(0);
        }
    }

    private final FlightRecorderMXBean recorder;

    GcPauses(MBeanServerConnection server) throws IOException {
        this.recorder = java.lang.management.ManagementFactory.newPlatformMXBeanProxy(server,
                FlightRecorderMXBean.MXBEAN_NAME, FlightRecorderMXBean.class);
    }

    /** Starts recording pauses; {@link #stop} ends the window. */
    long start() {
        long id = recorder.newRecording();
        recorder.setRecordingSettings(id, SETTINGS);
        recorder.startRecording(id);
        return id;
    }

    /** Stops the recording, fetches it and says what it holds. */
    Summary stop(long id) {
        Path file = null;
        try {
            recorder.stopRecording(id);
            file = Files.createTempFile("paygate-bench-gc-", ".jfr");
            copy(id, file);
            recorder.closeRecording(id);
            return Summary.of(RecordingFile.readAllEvents(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the service's JFR recording", e);
        } finally {
            if (file != null) {
                file.toFile().delete();
            }
        }
    }

    private void copy(long id, Path file) throws IOException {
        long stream = recorder.openStream(id, null);
        try (OutputStream out = Files.newOutputStream(file)) {
            for (byte[] block = recorder.readStream(stream); block != null; block = recorder.readStream(stream)) {
                out.write(block);
            }
        } finally {
            recorder.closeStream(stream);
        }
    }
}
