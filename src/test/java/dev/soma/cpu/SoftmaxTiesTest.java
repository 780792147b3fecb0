package dev.soma.cpu;

import dev.soma.Backend;
import dev.soma.reference.Backends;
import dev.soma.reference.Reference;
import dev.soma.reference.Ulp;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pure-Java softmax finds the row max, how many entries equal it and where (one scalar pass in
 * four chains, {@code JavaKernels.rowMaxInto}); a row with one maximum takes a sum without a test per
 * element, a row with ties the general one. This test puts the maxima where that bookkeeping can go
 * wrong: in each of the four chains and in the tail past the last multiple of 4, once, twice and
 * three times, at +0 and −0 together, rows of all-equal entries, and widths 1 to 9 and 4099. Bar:
 * 1 ULP of the Commons Math double reference, the exact path's bar (RowKernelsTest); a wrong count
 * or a maximum summed twice is off by about a factor 2 (softmax) or ln 2 (log-softmax).
 */
class SoftmaxTiesTest {

    @Test
    void tiesAndTheirPositions() {
        Random r = new Random(5);
        try (Backend b = Backends.javaBackend()) {
            for (int cols : new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 4099}) {
                for (int ties = 1; ties <= 3; ties++) {
                    for (int first = 0; first < Math.min(cols, 9); first++) {
                        int rows = 3;
                        float[] x = new float[rows * cols];
                        for (int i = 0; i < x.length; i++) {
                            x[i] = (float) -(Math.abs(r.nextGaussian()) * 3 + 0.5); // below the maxima (±0 and 5)
                        }
                        for (int t = 0; t < ties; t++) {
                            // row 0: maxima 5 at first + 3t (wrapping), so that they fall in
                            // different chains and in the tail; row 1: the same places at −0 and +0;
                            // row 2: all entries equal
                            int j = (first + 3 * t) % cols;
                            x[j] = 5f;
                            x[cols + j] = t % 2 == 0 ? -0f : 0f;
                        }
                        java.util.Arrays.fill(x, 2 * cols, 3 * cols, 1.5f);
                        for (boolean log : new boolean[] {false, true}) {
                            float[] got = log ? b.logSoftmax(x, rows, cols) : b.softmax(x, rows, cols);
                            double[] want = Reference.softmax(x, rows, cols, log);
                            for (int i = 0; i < x.length; i++) {
                                double u = Ulp.error(got[i], want[i]);
                                assertTrue(u <= 1, (log ? "log_softmax" : "softmax") + " cols " + cols + ", ties "
                                        + ties + " from " + first + ", element " + i + ": got " + got[i] + ", want "
                                        + want[i] + " (" + u + " ULP)");
                            }
                        }
                    }
                }
            }
        }
    }
}
