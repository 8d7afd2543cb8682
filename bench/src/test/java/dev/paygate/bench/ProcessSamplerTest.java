package dev.paygate.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProcessSamplerTest {

    @Test
    void stat_commandNameWithSpacesAndParentheses_countsFieldsAfterTheLastParenthesis() {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
        String stat = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 1000 0 3 0 1234 567 0 0 20 0 40 0 100 "
                + "4000000000 100000 18446744073709551615 1 1 0 0 0 0 0 4096 17 1 0 0 0 0 0\n";

        assertThat(ProcessSampler.cpuTicks(stat)).isEqualTo(1234 + 567);
    }

    @Test
    void status_vmHwm_isReadInKib() {
        String status = "Name:\tenvoy\nVmPeak:\t  900000 kB\nVmHWM:\t   51234 kB\nVmRSS:\t   40000 kB\n";

        assertThat(ProcessSampler.statusField(status, "VmHWM")).isEqualTo(51234);
        assertThat(ProcessSampler.statusField(status, "VmSwap")).isEqualTo(-1);
    }

    @Test
    void thisProcess_hasCpuTimeAndAPeakRss() {
        long self = ProcessHandle.current().pid();

        assertThat(ProcessSampler.cpuSeconds(self)).isPositive();
        assertThat(ProcessSampler.peakRssKib(self)).isPositive();
        assertThat(ProcessSampler.CLOCK_TICKS_PER_SECOND).isPositive();
    }
}
