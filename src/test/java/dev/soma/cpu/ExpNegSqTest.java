package dev.soma.cpu;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link JavaKernels#expNegSq} (e^−a for a in [0, 110], behind the pure-Java sigmoid, sigmoid′ and
 * softmax, and the prelude's {@code soma_expneg_sq}) against {@link StrictMath#exp} (fdlibm, within
 * 1 double ulp: 2.2e-16 relative) on a grid of step 2^−10 over [0, 110] and a million random points.
 *
 * <p>Tolerance 1e-13 relative, from the worst case: the polynomial p with its double coefficients
 * is within 1.2e-17 of e^u on [−110/256, 0] (computed at 50 digits); Horner's fma steps round once
 * each, and as |u| ≤ 0.43 the later roundings reach the result shrunk by powers of u: at most about
 * 1.7·2^−53, so p is within 2.0e-16; each of the 8 squarings doubles the relative error so far and
 * adds one rounding (2^−53 = 1.1e-16): 2^8·2.0e-16 + 255·1.1e-16 ≈ 8e-14; the reference adds 2.2e-16.
 * Measured: 5.2e-14. That is still 10^6 times below a float ulp's 6e-8, so sigmoid results round to
 * the same float as the exact value except within 1e-13 of a rounding midpoint. A wrong or dropped
 * coefficient shows as far more (dropping the a^10 term: about 1e-8 at a = 110).
 */
class ExpNegSqTest {

    private static final double TOL = 1e-13;

    @Test
    void relativeErrorWithinBound() {
        double worst = 0;
        double worstAt = 0;
        SplittableRandom r = new SplittableRandom(20261129);
        int grid = 110 << 10;
        for (int i = 0; i <= grid + 1_000_000; i++) {
            double a = i <= grid ? i * 0x1.0p-10 : r.nextDouble() * 110;
            double e = Math.abs(JavaKernels.expNegSq(a) / StrictMath.exp(-a) - 1);
            if (!(e <= worst)) {
                worst = e;
                worstAt = a;
            }
        }
        if (!(worst <= TOL)) {
            fail("expNegSq relative error " + worst + " at a = " + worstAt + " > " + TOL);
        }
    }

    @Test
    void exactAtZero() {
        // σ(±0) = 1/(1+t) must be exactly 1/2, σ′(0) exactly 1/4: t = e^0 = 1 exactly
        assertEquals(1.0, JavaKernels.expNegSq(0.0));
    }
}
