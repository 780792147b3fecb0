package dev.soma.cpu;

import dev.soma.Activation;
import dev.soma.ActivationFunction;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link JavaKernels#elementwiseRows} (the dense layer's activation on a finished task block) gives
 * exactly what {@link JavaKernels#elementwise} gives row by row, bit for bit, and leaves the elements
 * between the rows alone: for gelu, whose rows are gathered into its double blocks (shapes whose rows
 * end inside a block, rows longer than a block, one-element rows), and for functions that run row
 * by row (PReLU's column and noisy ReLU's index included). Exact equality is the claim: the same
 * operations on the same values, only the order of the elements through the blocks differs.
 */
class ElementwiseRowsTest {

    private static final int[][] SHAPES = {
        // rows, w, stride, off
        {5, 300, 310, 7}, {9, 1, 3, 0}, {3, 1500, 1500, 0}, {2, 4100, 4105, 2}, {40, 256, 1024, 256}, {1, 17, 17, 0},
    };

    @Test
    void sameAsRowByRow() {
        SplittableRandom r = new SplittableRandom(11);
        ActivationFunction[] fs = {Activation.GELU, Activation.SIGMOID, Activation.prelu(0.25f, -0.5f, 2f),
            Activation.NOISY_RELU, Activation.SILU, Activation.HARD_SIGMOID.with(0.3, -0.2), Activation.HARD_SWISH};
        for (int[] sh : SHAPES) {
            int rows = sh[0];
            int w = sh[1];
            int stride = sh[2];
            int off = sh[3];
            float[] y0 = new float[off + (rows - 1) * stride + w + 5];
            for (int i = 0; i < y0.length; i++) {
                y0[i] = i % 101 == 3 ? Float.NEGATIVE_INFINITY : (float) (r.nextGaussian() * 6);
            }
            for (ActivationFunction f : fs) {
                float[] expected = y0.clone();
                for (int row = 0; row < rows; row++) {
                    JavaKernels.elementwise(f, false, expected, expected, off + row * stride, off + row * stride + w);
                }
                float[] got = y0.clone();
                JavaKernels.elementwiseRows(f, got, off, rows, w, stride);
                assertArrayEquals(expected, got, f.activation() + " on " + Arrays.toString(sh));
            }
        }
    }

    @Test
    void badBlocksThrow() {
        float[] y = new float[100];
        assertThrows(IllegalArgumentException.class, () -> JavaKernels.elementwiseRows(Activation.GELU, y, 0, 5, 30, 20));
        assertThrows(IllegalArgumentException.class, () -> JavaKernels.elementwiseRows(Activation.GELU, y, 1, 4, 25, 25));
        assertThrows(IllegalArgumentException.class, () -> JavaKernels.elementwiseRows(Activation.GELU, y, -1, 1, 5, 5));
        assertThrows(IllegalArgumentException.class, () -> JavaKernels.elementwiseRows(Activation.GELU, y, 0, -1, 5, 5));
        JavaKernels.elementwiseRows(Activation.GELU, y, 0, 4, 25, 25);
        JavaKernels.elementwiseRows(Activation.GELU, y, 100, 0, 5, 5);
    }
}
