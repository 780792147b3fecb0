package dev.soma.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code soma tune}'s refusals (the tuning itself is TunerTest's: a full tune at 256 × 1024 × 1024
 * takes too long for a unit test), and the probe's tuning line per device.
 */
class TuneCommandTest {

    @Test
    void refusesTheJavaPathAndBadOptions() {
        ProbeTest.Run r = ProbeTest.soma("tune", "--device", "java");
        assertEquals(2, r.exit(), r.out() + r.err());
        assertTrue(r.err().contains("not an OpenCL device"), r.err());
        r = ProbeTest.soma("tune", "--pairs", "1");
        assertEquals(2, r.exit(), r.out() + r.err());
        assertTrue(r.err().contains("--pairs"), r.err());
        r = ProbeTest.soma("tune", "--budget", "-5");
        assertEquals(2, r.exit(), r.out() + r.err());
    }

    @Test
    void probeShowsTheTuningOfEachDevice() {
        String sel = ProbeTest.openClDevice();
        ProbeTest.Run r = ProbeTest.soma("probe", "--device", sel);
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("tuning: "), r.out());
        assertTrue(r.out().contains("element-wise: "), r.out());
        ProbeTest.Run j = ProbeTest.soma("probe", "--device", sel, "--json");
        assertTrue(j.out().contains("\"tuning\"") && j.out().contains("\"nt.rm\"")
                && j.out().contains("\"elementwise.items\""), j.out());
    }
}
