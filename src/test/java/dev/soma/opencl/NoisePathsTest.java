package dev.soma.opencl;

import dev.soma.Activation;
import dev.soma.ActivationFunction;
import dev.soma.Backend;
import dev.soma.cpu.JavaKernels;
import dev.soma.reference.Backends;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Noisy ReLU's kernel has two paths: with an even number of elements per work-item each work-item
 * draws whole Box–Muller pairs (elements 2k and 2k+1 from one draw), with one element per work-item
 * each draws its pair and keeps its half. Both must give {@link JavaKernels#noise}'s bits, for every
 * elements-per-work-item setting the tuner may choose (1, 2, 4, 8), at both precisions, at odd sizes
 * that end inside a pair and inside a work-group.
 *
 * <p>Exact check: with s = 1, f′(x) = [x + n > 0] and x + n is exact for x = −n or −nextDown(n), so
 * f′(−n_j) = 0 and f′(−nextDown(n_j)) = 1 hold only for n = n_j.
 */
class NoisePathsTest {

    static final long SEED = 7;

    @TestFactory
    List<DynamicNode> everyItemsSettingDrawsJavasNoise() {
        List<DynamicNode> out = new ArrayList<>();
        for (String label : Backends.labelsWithExact()) {
            if ("java".equals(label)) {
                continue;
            }
            if (Backends.NO_OPENCL.equals(label)) {
                out.add(DynamicTest.dynamicTest(label, Backends::noOpenClDevice));
                continue;
            }
            out.add(DynamicTest.dynamicTest(label, () -> {
                try (Backend b = Backends.openCl(label)) {
                    OpenClBackend be = (OpenClBackend) b;
                    Tuning t = be.tuning();
                    for (int items : new int[] {1, 2, 4, 8}) {
                        be.useTuning(Tuner.items(t, items), "test");
                        for (int n : new int[] {1, 2, 3, 4099}) {
                            check(be, items, n);
                        }
                    }
                }
            }));
        }
        return out;
    }

    private static void check(OpenClBackend be, int items, int n) {
        ActivationFunction f = Activation.noisyRelu(1, SEED);
        float[] atMinusN = new float[n];
        float[] justAbove = new float[n];
        for (int j = 0; j < n; j++) {
            float noise = JavaKernels.noise(SEED, j);
            atMinusN[j] = -noise;
            justAbove[j] = -Math.nextDown(noise);
        }
        float[] d0 = be.derivative(f, atMinusN);
        float[] d1 = be.derivative(f, justAbove);
        for (int j = 0; j < n; j++) {
            if (d0[j] != 0 || d1[j] != 1) {
                fail(String.format("%s, %d per work-item, %d elements: noise of element %d differs from Java's %s",
                        be.info(), items, n, j, -atMinusN[j]));
            }
        }
    }
}
