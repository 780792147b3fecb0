package dev.soma.opencl;

import dev.soma.Activation;
import dev.soma.ActivationFunction;
import dev.soma.Backend;
import dev.soma.Network;
import dev.soma.reference.Backends;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Inputs larger than one device buffer: with the per-buffer limit lowered to {@value #LIMIT} bytes
 * ({@link OpenClBackend#MAX_ALLOCATION_PROPERTY}, standing in for {@code CL_DEVICE_MAX_MEM_ALLOC_SIZE}),
 * host arrays many times that size are processed in pieces and give, bit for bit, what a backend with
 * the device's real limit computes in one piece; what cannot be split is refused before any OpenCL
 * call (recorded through the fault hook: none is made).
 */
class HugeInputTest {

    static final int LIMIT = 4096; // bytes: 1,024 floats

    private static OpenClBackend small;
    private static Backend whole;

    @BeforeAll
    static void open() {
        List<String> selectors = Backends.openClSelectors();
        if (selectors.isEmpty()) {
            Backends.noOpenClDevice();
        }
        whole = Backends.openCl(selectors.get(0));
        System.setProperty(OpenClBackend.MAX_ALLOCATION_PROPERTY, Integer.toString(LIMIT));
        try {
            small = (OpenClBackend) Backends.openCl(selectors.get(0));
        } finally {
            System.clearProperty(OpenClBackend.MAX_ALLOCATION_PROPERTY);
        }
    }

    @AfterAll
    static void close() {
        if (small != null) {
            small.close();
        }
        if (whole != null) {
            whole.close();
        }
    }

    private static float[] values(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) Math.sin(i * 0.37) * (1 + i % 13);
        }
        v[5] = Float.NaN;
        v[6] = Float.NEGATIVE_INFINITY;
        v[n - 1] = -0f;
        return v;
    }

    @Test
    void elementwiseArraysLargerThanABufferGoInPieces() {
        float[] x = values(7 * 1429); // 10,003 floats: ten pieces
        float[] copy = x.clone();
        ActivationFunction[] fs = {Activation.GELU, Activation.ELU.with(0.5), Activation.SOFTPLUS,
            Activation.prelu(0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f)};
        int buffers0 = small.liveBuffers();
        for (ActivationFunction f : fs) {
            assertArrayEquals(whole.forward(f, x), small.forward(f, x), f + " forward");
            assertArrayEquals(whole.derivative(f, x), small.derivative(f, x), f + " derivative");
        }
        assertArrayEquals(copy, x);
        small.finish();
        assertTrue(small.peakBuffers() <= buffers0 + 4, "one piece at a time: peak " + small.peakBuffers());
    }

    @Test
    void softmaxAndNetworksGoInWholeRows() {
        float[] x = values(200 * 37);
        x[5] = 1f; // keep the rows finite: NaN rows are covered elsewhere
        x[6] = -3f;
        assertArrayEquals(whole.softmax(x, 200, 37), small.softmax(x, 200, 37));
        assertArrayEquals(whole.logSoftmax(x, 200, 37), small.logSoftmax(x, 200, 37));
        float[] w1 = values(20 * 37);
        float[] w2 = values(5 * 20);
        for (int i = 0; i < w1.length; i++) {
            w1[i] = Float.isFinite(w1[i]) ? w1[i] * 0.01f : 0f;
        }
        for (int i = 0; i < w2.length; i++) {
            w2[i] = Float.isFinite(w2[i]) ? w2[i] * 0.01f : 0f;
        }
        try (Network a = Network.builder().dense(w1, 20, 37, null, Activation.RELU).dense(w2, 5, 20, null, null)
                .softmax().build(whole);
             Network b = Network.builder().dense(w1, 20, 37, null, Activation.RELU).dense(w2, 5, 20, null, null)
                .softmax().build(small)) {
            assertArrayEquals(a.forward(x, 200), b.forward(x, 200), "a batch of 200 rows in pieces");
        }
    }

    @Test
    void whatCannotFitIsRefusedBeforeAnyAllocation() {
        refused("tensor 100 x 100 needs 40000 bytes", () -> small.tensor(100, 100));
        refused(OpenClBackend.MAX_ALLOCATION_PROPERTY + " = " + LIMIT, () -> small.upload(new float[2000]));
        refused("a row of 2000 elements", () -> small.softmax(new float[4000], 2, 2000));
        refused("noise depends on each element's index", () -> small.forward(Activation.noisyRelu(0.5, 1L),
                new float[5000]));
        refused("prelu with 1500 slopes", () -> small.forward(Activation.prelu(new float[1500]), new float[3000]));
        // 600 outputs fit a buffer, but not a softmax over them with the split kernels' accumulators
        try (Network n = Network.builder().dense(new float[600], 600, 1, null, null).softmax().build(small)) {
            long perSoftmax = small.maxElements(true);
            if (perSoftmax < 600) {
                refused("one row of 600 values", () -> n.forward(new float[1], 1));
            }
        }
        // the Java path: more elements than a Java array holds, or than the whole heap
        try (Backend java = dev.soma.Soma.java()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> java.tensor(70_000, 70_000));
            assertTrue(e.getMessage().contains("more than a Java array holds"), e.getMessage());
            long heap = Runtime.getRuntime().maxMemory();
            if (heap / 4 < Integer.MAX_VALUE - 8) { // a heap smaller than the largest array (the tests run with -Xmx4g)
                int rows = (int) Math.min(Integer.MAX_VALUE - 8, heap / 4 + 1024);
                e = assertThrows(IllegalArgumentException.class, () -> java.tensor(rows, 1));
                assertTrue(e.getMessage().contains("whole heap"), e.getMessage());
            }
        }
    }

    @Test
    void theLargestTensorThatFitsWorksAndOneMoreElementDoesNot() {
        float[] x = values(LIMIT / 4);
        try (dev.soma.Tensor t = small.upload(x, 1, LIMIT / 4)) {
            small.forward(Activation.TANH, t, t);
            float[] y = t.download();
            assertArrayEquals(whole.forward(Activation.TANH, x), y);
        }
        refused("tensor 1 x " + (LIMIT / 4 + 1) + " needs " + (LIMIT + 4) + " bytes",
                () -> small.tensor(1, LIMIT / 4 + 1));
    }

    private static void refused(String message, Executable call) {
        List<String> calls = new ArrayList<>();
        int buffers = small.liveBuffers();
        Faults.install((device, c) -> {
            calls.add(c);
            return 0;
        });
        IllegalArgumentException e;
        try {
            e = assertThrows(IllegalArgumentException.class, call);
        } finally {
            Faults.install(null);
        }
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertEquals(List.of(), calls.stream().filter(c -> !c.startsWith("clFinish")).toList(),
                "no OpenCL call before the refusal: " + e.getMessage());
        assertEquals(buffers, small.liveBuffers());
    }
}
