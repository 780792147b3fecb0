package dev.soma;

import dev.soma.opencl.OpenClException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ownership: close once, use after close, backend close, leak reports; and the error format. */
class LifecycleTest {

    private static final List<Backend> BACKENDS = new ArrayList<>();

    @BeforeAll
    static void open() {
        BACKENDS.add(Soma.java());
        for (String s : Soma.openClDevices()) {
            BACKENDS.add(DeviceTests.openCl(s));
        }
        if (BACKENDS.size() == 1) {
            DeviceTests.openClSelectorsOrSkip(); // fails the class when OpenCL is required
        }
    }

    @AfterAll
    static void close() {
        BACKENDS.forEach(Backend::close);
    }

    @Test
    void tensorClosesOnceAndRefusesUseAfterClose() {
        for (Backend b : BACKENDS) {
            Tensor t = b.upload(new float[] {1, 2, 3});
            t.close();
            t.close(); // idempotent
            assertTrue(t.isClosed());
            IllegalStateException e = assertThrows(IllegalStateException.class, t::download);
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> t.upload(new float[3]));
            try (Tensor u = b.tensor(1, 3)) {
                assertThrows(IllegalStateException.class, () -> b.forward(Activation.RELU, t, u));
                assertThrows(IllegalStateException.class, () -> b.forward(Activation.RELU, u, t));
            }
        }
    }

    @Test
    void closingTheBackendClosesItsTensors() {
        List<Backend> fresh = new ArrayList<>(List.of(Soma.java()));
        Soma.openClDevices().forEach(s -> fresh.add(DeviceTests.openCl(s)));
        for (Backend b : fresh) {
            Tensor t = b.upload(new float[] {1, 2});
            Tensor u = b.tensor(2, 2);
            b.close();
            b.close();
            assertTrue(t.isClosed() && u.isClosed() && b.isClosed());
            assertThrows(IllegalStateException.class, () -> b.tensor(1, 1));
            assertThrows(IllegalStateException.class, () -> b.forward(Activation.RELU, new float[] {1}));
            t.close(); // after the backend: still harmless
        }
    }

    @Test
    void uploadDownloadRoundTripsAndZeroFills() {
        for (Backend b : BACKENDS) {
            float[] data = {1.5f, -0f, Float.NaN, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, 7f};
            try (Tensor t = b.upload(data, 2, 3); Tensor z = b.tensor(3, 2); Tensor empty = b.tensor(0, 5)) {
                assertArrayEquals(data, t.download());
                assertArrayEquals(new float[6], z.download());
                assertEquals(0, empty.download().length);
                float[] other = {9, 8, 7, 6, 5, 4};
                z.upload(other);
                float[] back = new float[6];
                z.download(back);
                assertArrayEquals(other, back);
            }
        }
    }

    @Test
    void droppedTensorIsReportedAsALeak() throws InterruptedException {
        for (Backend b : BACKENDS) {
            List<String> reports = new CopyOnWriteArrayList<>();
            Leaks.onLeak(reports::add);
            try {
                long live = Leaks.liveCount();
                dropATensor(b);
                for (int i = 0; i < 100 && reports.isEmpty(); i++) {
                    System.gc();
                    Thread.sleep(20);
                }
                assertEquals(1, reports.size(), "one leak reported on " + b.info() + ": " + reports);
                assertTrue(reports.get(0).contains("tensor 4 x 4"), reports.get(0));
                assertEquals(live, Leaks.liveCount(), "the leaked tensor's storage was released");
            } finally {
                Leaks.onLeak(null);
            }
        }
    }

    private static void dropATensor(Backend b) {
        b.tensor(4, 4); // never closed
    }

    @Test
    void openClErrorsNameTheCallAndTheStatus() {
        OpenClException e = new OpenClException("clEnqueueNDRangeKernel", -5);
        assertEquals("CL_OUT_OF_RESOURCES (-5) in clEnqueueNDRangeKernel", e.getMessage());
        assertEquals(-5, e.status());
        assertEquals("clEnqueueNDRangeKernel", e.call());
    }
}
