package dev.paygate.bench;

import dev.paygate.edge.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * CPU time and peak memory of a process, from Linux's /proc (proc(5)): utime + stime in
 * /proc/PID/stat (fields 14 and 15, in clock ticks) and VmHWM in /proc/PID/status (peak
 * resident set size). Writing "5" to /proc/PID/clear_refs resets VmHWM to the current RSS
 * (Linux 4.0+), so each scenario reports its own peak.
 */
final class ProcessSampler {

    /** USER_HZ, the unit of utime and stime (getconf CLK_TCK; 100 if that fails). */
    static final long CLOCK_TICKS_PER_SECOND = clockTicks();

    private ProcessSampler() {
    }

    /** utime + stime of a process, in seconds. */
    static double cpuSeconds(long pid) {
        try {
            return cpuTicks(Files.readString(Path.of("/proc/" + pid + "/stat"))) / (double) CLOCK_TICKS_PER_SECOND;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/" + pid + "/stat", e);
        }
    }

    /** Peak resident set size since start (or the last {@link #resetPeak}), in KiB; -1 when unknown. */
    static long peakRssKib(long pid) {
        try {
            return statusField(Files.readString(Path.of("/proc/" + pid + "/status")), "VmHWM");
        } catch (IOException e) {
            return -1;
        }
    }

    /** Resident set size now (VmRSS), in KiB; -1 when unknown. */
    static long rssKib(long pid) {
        try {
            return statusField(Files.readString(Path.of("/proc/" + pid + "/status")), "VmRSS");
        } catch (IOException e) {
            return -1;
        }
    }

    /** Resets VmHWM to the current RSS; false where the kernel does not allow it. */
    static boolean resetPeak(long pid) {
        try {
            Files.writeString(Path.of("/proc/" + pid + "/clear_refs"), "5");
            return true;
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    /**
     * utime + stime from the text of /proc/PID/stat. The command name (field 2) is in parentheses
     * and may itself contain spaces and ')', so fields are counted after the last ')'.
     */
    static long cpuTicks(String stat) {
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
        // fields[0] is field 3 (state), so field N is fields[N - 3].
        return Long.parseLong(fields[14 - 3]) + Long.parseLong(fields[15 - 3]);
    }

    /** A "Name:   value kB" field of /proc/PID/status, in KiB; -1 when absent. */
    static long statusField(String status, String name) {
        for (String line : status.split("\n")) {
            if (line.startsWith(name + ":")) {
                return Long.parseLong(line.substring(name.length() + 1).replace("kB", "").trim());
            }
        }
        return -1;
    }

    private static long clockTicks() {
        try {
            Command.Result getconf = Command.run(new ProcessBuilder("getconf", "CLK_TCK"), Duration.ofSeconds(10));
            return getconf.exitCode() == 0 ? Long.parseLong(getconf.output().trim()) : 100;
        } catch (RuntimeException e) {
            return 100;  // Linux's USER_HZ almost everywhere
        }
    }
}
