package dev.soma.cpu;

import org.apache.commons.math3.distribution.NormalDistribution;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Noisy ReLU's noise is Φ^−1(u) on the grid u = (k + ½)·2^−23, k = 0 … 2^23 − 1 (every value the
 * uniform can take). This test checks {@link JavaKernels#inverseNormal} (which the OpenCL prelude
 * mirrors operation for operation; {@code NoisyReluTest} checks that the bits agree) on every grid
 * point against Commons Math's {@code NormalDistribution.inverseCumulativeProbability} (double, its
 * own error far below float's): so the noise is N(0,1) up to this quantile error, at every
 * probability, not only in the moments and the KS statistic of one sample.
 *
 * <p>Tolerance: relative error ≤ 4e−7 (measured maximum 3.0e−7, about 4.5 float ulp: the rounding of
 * (1−x)(1+x) and of the float log, amplified at most ~1.3× by the quantile; the fitted polynomials
 * themselves are good to 1.3e−7), and the grid's symmetry: n(1−u) = −n(u) to within the same error.
 */
class InverseNormalTest {

    static final double TOLERANCE = 4e-7;

    @Test
    void everyGridPointWithinTolerance() {
        NormalDistribution normal = new NormalDistribution(0, 1);
        int n = 1 << 23;
        double worst = 0;
        double worstU = 0;
        for (int k = 0; k < n; k++) {
            double ud = (k + 0.5) * 0x1.0p-23;
            float u = (float) ud; // exact: 24 significant bits
            double ref = normal.inverseCumulativeProbability(ud);
            double rel = Math.abs(JavaKernels.inverseNormal(u) - ref) / Math.abs(ref);
            if (!(rel <= worst)) {
                worst = rel;
                worstU = ud;
            }
        }
        System.out.printf("inverse normal: max relative error %.3g at u = %s%n", worst, worstU);
        assertTrue(worst <= TOLERANCE, "max relative error " + worst + " at u = " + worstU);
        // the tails: the smallest and the largest u give about -5.29 and +5.29
        float lo = JavaKernels.inverseNormal(0x1.0p-24f);
        float hi = JavaKernels.inverseNormal(1f - 0x1.0p-24f);
        assertTrue(Math.abs(lo + 5.294704084854597) < 5.3 * TOLERANCE, "n(2^-24) = " + lo);
        assertTrue(Math.abs(hi - 5.294704084854597) < 5.3 * TOLERANCE, "n(1 - 2^-24) = " + hi);
    }
}
