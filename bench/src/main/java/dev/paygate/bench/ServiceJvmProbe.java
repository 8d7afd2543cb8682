package dev.paygate.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.ThreadMXBean;
import com.sun.management.VMOption;
import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.RuntimeMXBean;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.management.JMException;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * The service's JVM seen from the bench, without a flag in the service: the Attach API starts its
 * local JMX agent, and the platform MXBeans say which JVM and collector run, how much each thread
 * allocated ({@link ThreadMXBean#getThreadAllocatedBytes}, exact per thread) and, through a JFR
 * recording ({@link GcPauses}), every stop-the-world pause.
 */
final class ServiceJvmProbe implements AutoCloseable {

    /** HotSpot flags that say which collector runs and how; those this JVM does not know are left out. */
    private static final List<String> COLLECTOR_FLAGS = List.of("UseSerialGC", "UseParallelGC", "UseG1GC", "UseZGC",
            "ZGenerational", "UseShenandoahGC", "ShenandoahGCMode", "UseCompactObjectHeaders", "MaxHeapSize",
            "SharedArchiveFile", "AOTCache");

    private final long pid;
    private final long rssBeforeKib;
    private final JMXConnector connector;
    private final MBeanServerConnection server;
    private final ThreadMXBean threads;
    private final GcPauses pauses;

    private ServiceJvmProbe(long pid, long rssBeforeKib, JMXConnector connector) throws IOException {
        this.pid = pid;
        this.rssBeforeKib = rssBeforeKib;
        this.connector = connector;
        this.server = connector.getMBeanServerConnection();
        this.threads = ManagementFactory.newPlatformMXBeanProxy(server, ManagementFactory.THREAD_MXBEAN_NAME,
                ThreadMXBean.class);
        this.pauses = new GcPauses(server);
    }

    static ServiceJvmProbe attach(long pid) {
        long rssBefore = ProcessSampler.rssKib(pid);
        try {
            VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
            String address;
            try {
                address = vm.startLocalManagementAgent();
            } finally {
                vm.detach();
            }
            return new ServiceJvmProbe(pid, rssBefore, JMXConnectorFactory.connect(new JMXServiceURL(address)));
        } catch (AttachNotSupportedException e) {
            throw new IllegalStateException("cannot attach to the service's JVM (pid " + pid + ")", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reach the service's JVM (pid " + pid + ")", e);
        }
    }

    /**
     * Vendor, version, the collector's MXBeans and flags, the JVM's whole command line, what the
     * service allocates when idle, and the RSS the probe itself added (its JMX agent and JFR live
     * in the service from the attach on, so every RSS figure after it includes them).
     */
    ObjectNode describe() throws IOException, InterruptedException {
        RuntimeMXBean runtime = ManagementFactory.newPlatformMXBeanProxy(server, ManagementFactory.RUNTIME_MXBEAN_NAME,
                RuntimeMXBean.class);
        HotSpotDiagnosticMXBean hotspot = ManagementFactory.newPlatformMXBeanProxy(server,
                "com.sun.management:type=HotSpotDiagnostic", HotSpotDiagnosticMXBean.class);
        ObjectNode jvm = JsonNodeFactory.instance.objectNode();
        jvm.put("vendor", runtime.getVmVendor());
        jvm.put("version", runtime.getSystemProperties().get("java.runtime.version"));
        jvm.put("vm", runtime.getVmName() + " " + runtime.getVmVersion());
        var collectors = jvm.putArray("collector_mxbeans");
        for (GarbageCollectorMXBean collector : ManagementFactory.getPlatformMXBeans(server,
                GarbageCollectorMXBean.class)) {
            collectors.add(collector.getName());
        }
        ObjectNode flags = jvm.putObject("collector_flags");
        for (String name : COLLECTOR_FLAGS) {
            try {
                VMOption option = hotspot.getVMOption(name);
                flags.put(name, option.getValue());
            } catch (IllegalArgumentException unknownToThisJvm) {
                // a flag of another JDK release
            }
        }
        var arguments = jvm.putArray("input_arguments");
        runtime.getInputArguments().forEach(arguments::add);
        jvm.put("idle_allocated_bytes_per_second", idleAllocationPerSecond(java.time.Duration.ofSeconds(2)));
        jvm.put("probe_added_rss_mib", (ProcessSampler.rssKib(pid) - rssBeforeKib) / 1024);
        return jvm;
    }

    /** Bytes each live thread has allocated so far, by thread id. */
    Map<Long, Long> allocatedByThread() {
        long[] ids = threads.getAllThreadIds();
        long[] bytes = threads.getThreadAllocatedBytes(ids);
        Map<Long, Long> byThread = new HashMap<>();
        for (int i = 0; i < ids.length; i++) {
            if (bytes[i] >= 0) {
                byThread.put(ids[i], bytes[i]);
            }
        }
        return byThread;
    }

    /**
     * What the service's threads allocated between two {@link #allocatedByThread} snapshots: a thread
     * started in between counts from zero; one that ended in between is missed (its last
     * figure is gone), which is why {@link Allocation#threadsEnded} is reported beside it.
     */
    static Allocation allocatedBetween(Map<Long, Long> before, Map<Long, Long> after) {
        long bytes = 0;
        for (Map.Entry<Long, Long> thread : after.entrySet()) {
            bytes += thread.getValue() - before.getOrDefault(thread.getKey(), 0L);
        }
        int ended = (int) before.keySet().stream().filter(id -> !after.containsKey(id)).count();
        return new Allocation(bytes, ended);
    }

    /** Bytes the service allocated in a window, and how many of its threads ended in it (their last bytes uncounted). */
    record Allocation(long bytes, int threadsEnded) {
    }

    /**
     * The bytes of the service's live objects: the total of a class histogram (the GC.class_histogram
     * diagnostic command, which runs a full collection first), the least of two. Exact to the
     * byte, unlike the heap's "used" figure, which ZGC counts in whole pages of 2 MiB.
     */
    long liveHeapBytes() {
        long least = Long.MAX_VALUE;
        for (int i = 0; i < 2; i++) {
            try {
                String histogram = (String) server.invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"),
                        "gcClassHistogram", new Object[] {new String[0]}, new String[] {String[].class.getName()});
                least = Math.min(least, histogramTotalBytes(histogram));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot reach the service's JVM (pid " + pid + ")", e);
            } catch (JMException e) {
                throw new IllegalStateException("GC.class_histogram failed in the service's JVM", e);
            }
        }
        return least;
    }

    /** The bytes on the "Total" line of GC.class_histogram's output ("Total  INSTANCES  BYTES"). */
    static long histogramTotalBytes(String histogram) {
        for (String line : histogram.split("\n")) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length == 3 && fields[0].equals("Total")) {
                return Long.parseLong(fields[2]);
            }
        }
        throw new IllegalStateException("no Total line in GC.class_histogram's output");
    }

    /** Starts watching a window: the allocation figures and a pause recording. */
    Watch watch() {
        long recording = pauses.start();
        return new Watch(recording, allocatedByThread(), java.time.Instant.now());
    }

    /** What the service's JVM did since {@link #watch}. */
    JvmWindow end(Watch watch) {
        java.time.Instant end = java.time.Instant.now();
        Allocation allocation = allocatedBetween(watch.allocated(), allocatedByThread());
        return new JvmWindow(watch.start(), end, allocation, pauses.stop(watch.recording()));
    }

    /**
     * Bytes per second the service allocates with no call from the bench: its background work
     * (health checks from Envoy, timers, this probe's own JMX calls), part of every window's figure.
     */
    private long idleAllocationPerSecond(java.time.Duration idle) throws InterruptedException {
        Watch watch = watch();
        Thread.sleep(idle.toMillis());
        return end(watch).allocation().bytes() * 1000 / idle.toMillis();
    }

    /** A window being watched. */
    record Watch(long recording, Map<Long, Long> allocated, java.time.Instant start) {
    }

    @Override
    public void close() {
        try {
            connector.close();
        } catch (IOException e) {
            // the service may already be gone
        }
    }
}
