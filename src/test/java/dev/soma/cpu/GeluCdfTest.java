package dev.soma.cpu;

import dev.soma.Activation;

import org.apache.commons.math3.special.Erf;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link JavaKernels#geluCdf} (Φ, the standard normal distribution, as the pure-Java gelu and gelu′
 * compute it: Φ(−|v|) = t·Q(t)·e^−v²/2, t = 6/(6+|v|), and the prelude's {@code soma_gelu_fn} /
 * {@code soma_gelu_d}) against Commons Math's {@code Erf.erfc} on every 1024th float of
 * [−√220, √220] (the range where gelu and gelu′ are neither 0 nor 1 nor x), and against 17-digit
 * mpmath values down to the far tail.
 *
 * <p>Tolerance 1.2e-13 relative (the bound, not the measurement): t·Q(t) within 3.3e-15 of
 * Φ(−a)·e^(a²/2), with t rounded as the code rounds it and Q's double coefficients by fma Horner
 * (scripts/fit-gelu.py, checked at 50 digits on 2001 points); e^−a²/2 within 8e-14
 * ({@link JavaKernels#expNegSq}: its bound, ExpNegSqTest), a²/2 exact for a float a; two products
 * (2.2e-16); Φ = 1 − q for v &gt; 0 adds at most the same relative error (q ≤ ½ ≤ Φ) and 1.1e-16.
 * That is 8.4e-14 for ours; Commons Math's erfc is within 3.3e-14 of mpmath over this range
 * (measured at 40 digits on 3000 points; it is a continued fraction whose error grows in the tail),
 * so 1.2e-13 for the difference. Measured: 4.5e-14 against mpmath, 6.6e-14 against Commons Math. The
 * mpmath points have the tolerance of ours alone (1e-13). Either is 10^5 times below a float
 * ulp: gelu and gelu′ round to the exact value's float except within 1e-13 of a rounding midpoint.
 * A perturbed coefficient shows as far more (Q's constant term times 1 + 1e-12: 1.9e-12 at v = −14.7, and
 * gelu(−Float.MIN_VALUE) rounds the wrong way).
 */
class GeluCdfTest {

    private static final double TOL = 1.2e-13;
    private static final double TOL_MPMATH = 1e-13;
    private static final double SQRT1_2 = 0x1.6a09e667f3bcdp-1;
    private static final float A = (float) Math.sqrt(220);

    private static double reference(double v) {
        return 0.5 * Erf.erfc(-v * SQRT1_2);
    }

    @Test
    void relativeErrorAgainstCommonsMath() {
        double worst = 0;
        float worstAt = 0;
        int top = Float.floatToIntBits(A);
        for (int bits = 0; bits <= top; bits += 1024) {
            for (float v : new float[] {Float.intBitsToFloat(bits), -Float.intBitsToFloat(bits)}) {
                double e = Math.abs(JavaKernels.geluCdf(v) / reference(v) - 1);
                if (!(e <= worst)) {
                    worst = e;
                    worstAt = v;
                }
            }
        }
        if (!(worst <= TOL)) {
            fail("geluCdf relative error " + worst + " at v = " + worstAt + " > " + TOL);
        }
    }

    /** Φ(v) by mpmath 1.3 at 40 digits ({@code mp.erfc(-v/mp.sqrt(2))/2}), rounded to 17 digits. */
    private static final double[][] TAIL = {
            {-14.8125, 6.081550612014844e-50},
            {-14.5, 6.0574947644152208e-48},
            {-14.0, 7.7935368191928003e-45},
            {-13.0, 6.1171643995498797e-39},
            {-12.5, 3.7325642988777134e-36},
            {-11.0, 1.9106595744986757e-28},
            {-10.0, 7.6198530241605261e-24},
            {-9.0, 1.1285884059538406e-19},
            {-8.0, 6.2209605742717841e-16},
            {-6.5, 4.0160005838591178e-11},
            {-5.0, 2.8665157187919391e-7},
            {-3.0, 1.3498980316300945e-3},
            {-2.0, 2.2750131948179207e-2},
            {-1.0, 1.5865525393145705e-1},
            {-0.75, 2.266273523768682e-1},
            {-0.25, 4.0129367431707628e-1},
    };

    @Test
    void tailAgainstMpmath() {
        for (double[] c : TAIL) {
            double e = Math.abs(JavaKernels.geluCdf(c[0]) / c[1] - 1);
            if (!(e <= TOL_MPMATH)) {
                fail("geluCdf(" + c[0] + ") relative error " + e + " > " + TOL_MPMATH);
            }
            // and 1 − Φ(−v) = Φ(v) for the positive side, to 1.1e-16 plus q's error relative to 1
            assertEquals(1 - c[1], JavaKernels.geluCdf(-c[0]), 1.2e-16 + c[1] * TOL_MPMATH, "Φ(" + -c[0] + ")");
        }
    }

    @Test
    void specialValues() {
        assertEquals(1.0, JavaKernels.geluCdf(Double.POSITIVE_INFINITY));
        assertEquals(0.0, JavaKernels.geluCdf(Double.NEGATIVE_INFINITY));
        assertEquals(Double.NaN, JavaKernels.geluCdf(Double.NaN));
        // beyond a²/2 = 110 the exponential is clamped: Φ(−a) stays at most e^−110
        double q = JavaKernels.geluCdf(-1e30);
        assertEquals(true, q >= 0 && q <= Math.exp(-110), "Φ(−1e30) = " + q);
    }

    /**
     * gelu's blocked passes perform geluCdf's operations: on the same grid the kernel's gelu is
     * (float) (v·geluCdf(v)) bit for bit, so the bound above is the kernel's.
     */
    @Test
    void kernelUsesTheseOperations() {
        int top = Float.floatToIntBits(A);
        int n = 2 * (top / 1024 + 1);
        float[] x = new float[n];
        for (int i = 0, bits = 0; bits <= top; bits += 1024) {
            x[i++] = Float.intBitsToFloat(bits);
            x[i++] = -Float.intBitsToFloat(bits);
        }
        float[] y = new float[n];
        JavaKernels.elementwise(Activation.GELU, false, x, y, 0, n);
        for (int i = 0; i < n; i++) {
            float expected = (float) (x[i] * JavaKernels.geluCdf(x[i]));
            if (Float.floatToRawIntBits(y[i]) != Float.floatToRawIntBits(expected)) {
                fail("gelu(" + x[i] + ") = " + y[i] + ", v·geluCdf(v) gives " + expected);
            }
        }
    }

    /**
     * Around 0 the exact gelu(v) = v/2 + v²/√(2π)·(1 + …) lies just beyond the midpoint v/2 (in
     * magnitude for v &gt; 0, just inside it for v &lt; 0) when v is a subnormal with an odd last bit;
     * the computed Φ(±0) = ½(1 + δ), δ the fit's error at t = 1, must put it on the same side: it
     * does as δ &lt; 0 (q = ½(1 + δ) below ½ for v ≤ 0, 1 − q above ½ for v &gt; 0).
     */
    @Test
    void subnormalMidpointsRoundCorrectly() {
        float m = Float.MIN_VALUE;
        float[] x = {m, -m, 3 * m, -3 * m, 0x1.000002p-126f, -0x1.000002p-126f};
        float[] expected = {m, -0f, 2 * m, -m, 0x1.000004p-127f, -0x1.0p-127f};
        float[] y = new float[x.length];
        JavaKernels.elementwise(Activation.GELU, false, x, y, 0, x.length);
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(y[i]), "gelu(" + x[i] + ") = " + y[i]);
        }
    }
}
