package dev.soma.hardening;

import dev.soma.AbstractBackend;
import dev.soma.Activation;
import dev.soma.Backend;
import dev.soma.Leaks;
import dev.soma.Network;
import dev.soma.Tensor;
import dev.soma.opencl.OpenClBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Leaks: many create/use/close cycles of tensors and networks leave the live device buffers, the
 * registered native resources, the backend's tensors and the heap where they were; closing a backend
 * releases everything it owns; a dropped tensor is reported and can fail a test.
 *
 * <p>Per backend: {@value #DEFAULT_CYCLES} tensor cycles (upload, zero tensor, ReLU, close; a
 * download every 64th) and as many network cycles (build a 2-layer network, forward, close: six
 * buffers each), the 100,000 of each; system property {@code soma.hardening.cycles} changes
 * the count. Tensors are tiny, so the test measures bookkeeping, not arithmetic.
 */
class LeakTest {

    static final int DEFAULT_CYCLES = 100_000;
    static final int CYCLES = Integer.getInteger("soma.hardening.cycles", DEFAULT_CYCLES);
    /** Heap growth tolerated after GC: JIT, class loading and logging buffers, not per-cycle garbage (100,000 cycles of one leaked 64-byte object would be 6 MB). */
    static final long HEAP_SLACK = 4L << 20;

    private static List<Backend> backends;

    @BeforeAll
    static void open() {
        backends = Hardening.openAll();
    }

    @AfterAll
    static void close() {
        backends.forEach(Backend::close);
    }

    @Test
    void tensorCyclesLeaveNothingBehind() {
        for (Backend b : backends) {
            cycles(b, CYCLES, "tensor", () -> tensorCycle(b));
        }
    }

    @Test
    void networkCyclesLeaveNothingBehind() {
        for (Backend b : backends) {
            cycles(b, CYCLES, "network", () -> networkCycle(b));
        }
    }

    private static final float[] X = {-2f, -1f, -0.5f, 0f, 0.5f, 1f, 2f, 3f};
    private static final float[] W1 = {0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f, 0.7f, -0.8f};  // 2 x 4
    private static final float[] B1 = {0.05f, -0.05f};
    private static final float[] W2 = {1f, -1f, 0.5f, 0.25f, -2f, 1.5f};                     // 3 x 2

    private static int tensorCycles;

    /**
     * Upload, zero tensor, ReLU, close; every 64th cycle also downloads and checks. The others close
     * tensors whose kernel is still queued: the driver frees those buffers once it has run.
     */
    private static void tensorCycle(Backend b) {
        try (Tensor x = b.upload(X, 2, 4); Tensor y = b.tensor(2, 4)) {
            b.forward(Activation.RELU, x, y);
            if (++tensorCycles % 64 != 0) {
                return;
            }
            float[] out = y.download();
            if (out[0] != 0f || out[7] != 3f) {
                throw new AssertionFailedError("relu gave " + java.util.Arrays.toString(out));
            }
        }
    }

    private static void networkCycle(Backend b) {
        try (Network net = Network.builder().dense(W1, 2, 4, B1, Activation.RELU).dense(W2, 3, 2, null, null)
                .build(b)) {
            float[] p = net.forward(X, 2);
            if (p.length != 6 || !Float.isFinite(p[0] + p[1] + p[2] + p[3] + p[4] + p[5])) {
                throw new AssertionFailedError("network output " + java.util.Arrays.toString(p));
            }
        }
    }

    private static void cycles(Backend b, int count, String kind, Runnable cycle) {
        AbstractBackend<?> ab = (AbstractBackend<?>) b;
        for (int i = 0; i < 2_000; i++) { // warm: programs built, scratch grown, JIT done
            cycle.run();
        }
        int buffers0 = Hardening.settledBuffers(b, -1);
        long live0 = Leaks.liveCount();
        int tensors0 = ab.liveTensors();
        long heap0 = Hardening.heapAfterGc();
        long leaks0 = Leaks.leakCount();
        int peak = buffers0;
        long t0 = System.nanoTime();
        for (int i = 1; i <= count; i++) {
            cycle.run();
            if (i % 10_000 == 0 && b instanceof OpenClBackend cl) {
                peak = Math.max(peak, cl.liveBuffers());
            }
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        int buffers = Hardening.settledBuffers(b, buffers0);
        long heap = Hardening.heapAfterGc();
        String where = count + " " + kind + " cycles on " + b.info();
        System.out.printf("soma hardening: %s: %d ms, live buffers %d -> %d (peak %d), heap %d -> %d KiB%n", where,
                ms, buffers0, buffers, b instanceof OpenClBackend cl ? Math.max(peak, cl.peakBuffers()) : 0,
                heap0 >> 10, heap >> 10);
        assertEquals(buffers0, buffers, where + ": live device buffers");
        assertEquals(tensors0, ab.liveTensors(), where + ": live tensors");
        assertEquals(live0, Leaks.liveCount(), where + ": registered native resources");
        assertEquals(leaks0, Leaks.leakCount(), where + ": leaks reported");
        assertTrue(heap - heap0 < HEAP_SLACK, where + ": heap grew by " + (heap - heap0) + " bytes after GC");
    }

    @Test
    void closingABackendReleasesEverythingItOwns() {
        for (Backend shared : backends) {
            long live0 = Leaks.liveCount();
            Backend b = shared instanceof OpenClBackend
                    ? dev.soma.reference.Backends.openCl(shared.info().selector()) : dev.soma.Soma.java();
            Tensor x = b.upload(X, 2, 4);
            Tensor y = b.tensor(2, 4);
            b.forward(Activation.prelu(0.1f, 0.2f, 0.3f, 0.4f), x, y); // a temporary slope buffer
            b.softmax(y, y);                                            // scratch buffers
            Network net = Network.builder().dense(W1, 2, 4, B1, Activation.prelu(0.1f, 0.2f)).build(b);
            net.forward(X, 2);
            if (b instanceof OpenClBackend cl) {
                cl.finish();
                assertTrue(cl.liveBuffers() >= 6, "tensors, weights, bias, hidden, scratch: " + cl.liveBuffers());
            }
            assertTrue(((AbstractBackend<?>) b).liveTensors() >= 4);
            b.close();
            assertEquals(0, Hardening.settledBuffers(b, 0), "device buffers left after close on " + b.info());
            assertEquals(0, ((AbstractBackend<?>) b).liveTensors());
            assertEquals(live0, Leaks.liveCount(), "tensors, programs and the context are released: " + b.info());
            assertTrue(x.isClosed() && y.isClosed());
            assertThrows(IllegalStateException.class, () -> net.forward(X, 2));
            net.close(); // after its backend: harmless
        }
    }

    @Test
    void aDroppedTensorIsReportedReleasedAndCanFailATest() {
        for (Backend b : backends) {
            int buffers0 = Hardening.settledBuffers(b, -1);
            long live0 = Leaks.liveCount();
            AssertionFailedError e = assertThrows(AssertionFailedError.class,
                    () -> Hardening.failOnLeak(() -> drop(b)));
            assertTrue(e.getMessage().contains("tensor 3 x 5") && e.getMessage().contains("without close()"),
                    e.getMessage());
            assertEquals(buffers0, Hardening.settledBuffers(b, buffers0), "the leaked tensor's buffer was released");
            assertEquals(live0, Leaks.liveCount());
            // and a clean body passes the same guard
            assertArrayEquals(new float[15], Hardening.failOnLeak(() -> {
                try (Tensor t = b.tensor(3, 5)) {
                    return t.download();
                }
            }));
        }
    }

    private static Object drop(Backend b) {
        b.tensor(3, 5); // never closed
        return null;
    }
}
