package dev.soma.cpu;

import org.apache.commons.math3.util.FastMath;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Noisy ReLU's noise is Box–Muller over pairs: r·(cos θ, sin θ) with r = √(−2 log u) on the grid
 * u = (k + ½)·2^−23 and θ in one of eight octants of the angle g·π/4, g = (k + ½)·2^−21. This test
 * checks the pieces of {@link JavaKernels#noisePair} (which the OpenCL prelude mirrors operation for
 * operation; {@code NoisyReluTest} checks that the bits agree and that the draws are N(0,1)) on every
 * value each can take, against Commons Math's {@code FastMath} in double (its own error far below
 * float's), and the assembled pairs against the double formula of the same bits.
 *
 * <p>Tolerances: radius, sine and cosine within 2 float ulp each (measured 1.46, 1.68 and 1.00: the
 * float log's and the polynomials' rounding, see {@code scripts/fit-noise.py}); a normal within
 * 4e−7 relative of the double r·cos or r·sin (the sum of the two relative errors, at most 1.3e−7
 * each, plus the product's rounding 6e−8, with margin).
 */
class BoxMullerTest {

    static final double ULPS = 2.0;
    static final double RELATIVE = 4e-7;

    private static double ulps(float got, double ref) {
        return Math.abs(got - ref) / Math.ulp((float) ref);
    }

    @Test
    void radiusOnEveryGridPoint() {
        double worst = 0;
        double worstU = 0;
        for (int k = 0; k < 1 << 23; k++) {
            double ud = (k + 0.5) * 0x1.0p-23;
            double e = ulps(JavaKernels.noiseRadius((float) ud), FastMath.sqrt(-2 * FastMath.log(ud)));
            if (!(e <= worst)) {
                worst = e;
                worstU = ud;
            }
        }
        System.out.printf("noise radius: max %.3f ulp at u = %s%n", worst, worstU);
        assertTrue(worst <= ULPS, "radius: " + worst + " ulp at u = " + worstU);
        // the extremes: u = 2^-24 gives sqrt(48 ln 2) = 5.768, u = 1 - 2^-24 about sqrt(2^-23) = 3.45e-4
        assertEquals(Math.sqrt(48 * Math.log(2)), JavaKernels.noiseRadius(0x1.0p-24f), 5.77 * 2.4e-7);
        assertEquals(Math.sqrt(-2 * Math.log1p(-0x1.0p-24)), JavaKernels.noiseRadius(1f - 0x1.0p-24f), 3.46e-4 * 2.4e-7);
    }

    @Test
    void sineAndCosineOnEveryGridPoint() {
        double worstS = 0;
        double worstC = 0;
        for (int k = 0; k < 1 << 21; k++) {
            double gd = (k + 0.5) * 0x1.0p-21;
            float g = (float) gd; // exact: 22 significant bits
            float g2 = g * g;
            worstS = Math.max(worstS, ulps(g * JavaKernels.noiseSinPoly(g2), FastMath.sin(gd * Math.PI / 4)));
            worstC = Math.max(worstC, ulps(JavaKernels.noiseCos(g2), FastMath.cos(gd * Math.PI / 4)));
        }
        System.out.printf("noise angle: sin max %.3f ulp, cos max %.3f ulp%n", worstS, worstC);
        assertTrue(worstS <= ULPS, "sin: " + worstS + " ulp");
        assertTrue(worstC <= ULPS, "cos: " + worstC + " ulp");
    }

    /**
     * 200,000 pairs of one key: each equals r·(±cos, ±sin) or r·(±sin, ±cos) of its hash bits as the
     * documented layout reads them, computed in double; and every octant (swap and both signs) occurs.
     */
    @Test
    void pairsAreBoxMullerOfTheirBits() {
        long key = JavaKernels.mix64(42);
        int[] octants = new int[8];
        for (long p = 0; p < 200_000; p++) {
            long z = JavaKernels.mix64(key + (p + 1) * 0x9E3779B97F4A7C15L);
            double u = ((z >>> 41) + 0.5) * 0x1.0p-23;
            double g = ((z & 0x1fffff) + 0.5) * 0x1.0p-21;
            double r = Math.sqrt(-2 * Math.log(u));
            double c = Math.cos(g * Math.PI / 4);
            double s = Math.sin(g * Math.PI / 4);
            int octant = (int) (z >>> 21) & 7;
            octants[octant]++;
            boolean swap = (octant & 1) != 0;
            double n0 = r * (swap ? s : c) * ((octant & 2) != 0 ? -1 : 1);
            double n1 = r * (swap ? c : s) * ((octant & 4) != 0 ? -1 : 1);
            long bits = JavaKernels.noisePair(key, p);
            float got0 = Float.intBitsToFloat((int) bits);
            float got1 = Float.intBitsToFloat((int) (bits >>> 32));
            assertTrue(Math.abs(got0 - n0) <= RELATIVE * Math.abs(n0), "pair " + p + ": first " + got0 + " vs " + n0);
            assertTrue(Math.abs(got1 - n1) <= RELATIVE * Math.abs(n1), "pair " + p + ": second " + got1 + " vs " + n1);
            assertEquals(got0, JavaKernels.noise(42, 2 * p));
            assertEquals(got1, JavaKernels.noise(42, 2 * p + 1));
        }
        for (int o = 0; o < 8; o++) { // 25,000 expected each; 5 standard deviations = 740
            assertTrue(Math.abs(octants[o] - 25_000) < 740, "octant " + o + ": " + octants[o]);
        }
    }
}
