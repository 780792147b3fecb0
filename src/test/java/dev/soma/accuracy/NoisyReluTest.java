package dev.soma.accuracy;

import dev.soma.Activation;
import dev.soma.ActivationFunction;
import dev.soma.Backend;
import dev.soma.BackendInfo;
import dev.soma.Tensor;
import dev.soma.reference.Backends;
import dev.soma.reference.Functions;
import dev.soma.reference.Reference;

import org.apache.commons.math3.distribution.NormalDistribution;
import org.apache.commons.math3.stat.inference.KolmogorovSmirnovTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Noisy ReLU's noise: every backend draws exactly (bit for bit) the noise of
 * {@code JavaKernels.noise(seed, index)}, whatever the tensor's shape; and that noise is N(0,1).
 */
class NoisyReluTest {

    static final int N = 100_003;
    static final long SEED = 42;

    private static final Backends.Pool POOL = new Backends.Pool();

    @AfterAll
    static void close() {
        POOL.close();
    }

    /**
     * Distribution of the first 100,000 draws for seed 42: Kolmogorov–Smirnov against N(0,1) with
     * p > 1e−3; mean within 4.5 standard errors of 0 (4.5/√n = 0.0142); variance within 4.5
     * standard errors of 1 (4.5·√(2/n) = 0.0201); lag-1 and cross-seed correlations within 4.5/√n.
     * 4.5 σ: a correct generator fails one of these with probability below 1e−4, and the seed is
     * fixed, so the outcome is deterministic.
     */
    @Test
    void noiseIsStandardNormal() {
        int n = 100_000;
        ActivationFunction f = Activation.noisyRelu(1, SEED);
        ActivationFunction g = Activation.noisyRelu(1, SEED + 1);
        double[] v = new double[n];
        double sum = 0;
        double sumSq = 0;
        double lag = 0;
        double cross = 0;
        for (int i = 0; i < n; i++) {
            v[i] = Reference.noise(f, i);
            sum += v[i];
            sumSq += v[i] * v[i];
            if (i > 0) {
                lag += v[i] * v[i - 1];
            }
            cross += v[i] * Reference.noise(g, i);
        }
        double mean = sum / n;
        double var = sumSq / n - mean * mean;
        double bound = 4.5 / Math.sqrt(n);
        assertTrue(Math.abs(mean) < bound, "mean " + mean);
        assertTrue(Math.abs(var - 1) < 4.5 * Math.sqrt(2.0 / n), "variance " + var);
        assertTrue(Math.abs(lag / n) < bound, "lag-1 correlation " + lag / n);
        assertTrue(Math.abs(cross / n) < bound, "correlation between seeds 42 and 43: " + cross / n);
        double p = new KolmogorovSmirnovTest().kolmogorovSmirnovTest(new NormalDistribution(0, 1), v);
        assertTrue(p > 1e-3, "Kolmogorov–Smirnov p = " + p);
        System.out.printf("noise seed %d: mean %.5f variance %.5f KS p %.4f%n", SEED, mean, var, p);
    }

    @TestFactory
    List<DynamicNode> everyBackendDrawsTheSameNoise() {
        List<DynamicNode> out = new ArrayList<>();
        for (String label : Backends.labelsWithExact()) {
            if (Backends.NO_OPENCL.equals(label)) {
                out.add(DynamicTest.dynamicTest(label, Backends::noOpenClDevice));
            } else {
                out.add(DynamicTest.dynamicTest(label, () -> sameNoise(label)));
            }
        }
        return out;
    }

    /**
     * With s = 1, f′(x) = [x + n > 0]. At x = −n_j (n_j the Java noise of element j) the derivative
     * must be 0, so n ≤ n_j; at x = −nextDown(n_j) it must be 1, so n > nextDown(n_j), i.e. n ≥ n_j:
     * together n = n_j exactly (x + n is exact: both are floats, s = 1). At x = 0 the forward value
     * max(0, n) shows the positive draws directly. Run as 1 × N and as rows × 7 (the element index
     * is the flat index, independent of shape and of how the work is split).
     */
    private static void sameNoise(String label) {
        Backend b = POOL.get(label);
        if (!"java".equals(label)) {
            assertEquals(BackendInfo.Kind.OPENCL, b.info().kind(), "OpenCL case must run on OpenCL");
        }
        ActivationFunction f = Activation.noisyRelu(1, SEED);
        float[] noise = new float[N];
        float[] atMinusN = new float[N];
        float[] justAbove = new float[N];
        for (int j = 0; j < N; j++) {
            noise[j] = Reference.noise(f, j);
            atMinusN[j] = -noise[j];
            justAbove[j] = -Math.nextDown(noise[j]);
        }
        float[] d0 = Functions.run(b, f, true, atMinusN);
        float[] d1 = Functions.run(b, f, true, justAbove);
        float[] y = Functions.run(b, f, false, new float[N]);
        int positive = 0;
        for (int j = 0; j < N; j++) {
            if (d0[j] != 0 || d1[j] != 1) {
                throw new AssertionError(String.format("%s: noise of element %d differs from JavaKernels.noise = %s"
                        + " (f′ at −n: %s, at −nextDown(n): %s)", b.info(), j, noise[j], d0[j], d1[j]));
            }
            float expected = noise[j] > 0 ? noise[j] : 0f;
            if (Float.floatToIntBits(y[j] + 0f) != Float.floatToIntBits(expected)) {
                throw new AssertionError(String.format("%s: noisy_relu(0) of element %d = %s, expected max(0, %s)",
                        b.info(), j, y[j], noise[j]));
            }
            positive += expected > 0 ? 1 : 0;
        }
        assertTrue(positive > N / 3 && positive < 2 * N / 3, "positive draws: " + positive);
        // shape independence: rows × 7 gives the same values at the same flat index
        int rows = N / 7;
        float[] x = new float[rows * 7];
        System.arraycopy(justAbove, 0, x, 0, x.length);
        try (Tensor t = b.upload(x, rows, 7); Tensor out = b.tensor(rows, 7)) {
            b.derivative(f, t, out);
            float[] shaped = out.download();
            for (int j = 0; j < shaped.length; j++) {
                assertEquals(1f, shaped[j], "element " + j + " of a " + rows + " × 7 tensor: noise depends on the shape");
            }
        }
    }
}
