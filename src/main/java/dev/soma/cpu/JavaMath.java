package dev.soma.cpu;

/**
 * The double-precision elementary functions the pure-Java kernels need and {@link Math} lacks or
 * computes too slowly: {@link #exp} (the same operation sequence as {@code soma_exp} in
 * {@code opencl/prelude.cl}, so both backends get bit-identical results), {@link #erf} (after
 * FDLIBM's {@code s_erf.c}, below 1 ulp), and {@link #log} (the noise generator's
 * logarithm, also mirrored operation for operation in the prelude).
 *
 * <p>All methods are strict IEEE double arithmetic (Java 17 has no other), so the results do not
 * depend on the JVM or the CPU.
 */
public final class JavaMath {

    private JavaMath() {
    }

    private static final double INV_LN2 = 0x1.71547652b82fep0;
    private static final double LN2_HI = 0x1.62e42feep-1;     // 32 significant bits: k*LN2_HI is exact
    private static final double LN2_LO = 0x1.a39ef35793c76p-33;
    private static final double SHIFT = 0x1.8p52;              // adding it rounds to an integer

    // 1/n! for n = 2..12
    private static final double E2 = 0x1.0p-1;
    private static final double E3 = 0x1.5555555555555p-3;
    private static final double E4 = 0x1.5555555555555p-5;
    private static final double E5 = 0x1.1111111111111p-7;
    private static final double E6 = 0x1.6c16c16c16c17p-10;
    private static final double E7 = 0x1.a01a01a01a01ap-13;
    private static final double E8 = 0x1.a01a01a01a01ap-16;
    private static final double E9 = 0x1.71de3a556c734p-19;
    private static final double E10 = 0x1.27e4fb7789f5cp-22;
    private static final double E11 = 0x1.ae64567f544e4p-26;
    private static final double E12 = 0x1.1eed8eff8d898p-29;

    /**
     * e^x to about 1 ulp of double for x in [-708, 709]; below that range it gives 0 and above it
     * +∞ (e^-708 ≈ 3e-308: no float result the kernels make from it changes; ±∞ give the exact
     * limits 0 and +∞). NaN gives NaN. Cody–Waite reduction
     * x = k·ln2 + r, |r| ≤ ln2/2, then the Taylor polynomial of degree 12 (truncation error below
     * 2^-58 relative) and a scale by 2^k built from the exponent bits.
     */
    public static double exp(double x) {
        double a = x < -708.0 ? -708.0 : (x > 709.0 ? 709.0 : x);
        double kd = a * INV_LN2 + SHIFT;
        long k = Double.doubleToRawLongBits(kd);
        kd = kd - SHIFT;
        double r = (a - kd * LN2_HI) - kd * LN2_LO;
        double p = 1.0 + r * (1.0 + r * (E2 + r * (E3 + r * (E4 + r * (E5 + r * (E6 + r * (E7 + r * (E8
                + r * (E9 + r * (E10 + r * (E11 + r * E12)))))))))));
        double e = p * Double.longBitsToDouble((k + 1023L) << 52);
        return x < -708.0 ? 0.0 : (x > 709.0 ? Double.POSITIVE_INFINITY : e);
    }

    private static final double LOG_SQRT2 = 0x1.6a09e667f3bcdp0;
    private static final double LN2 = 0x1.62e42fefa39efp-1;
    private static final double L3 = 0x1.5555555555555p-2;
    private static final double L5 = 0x1.999999999999ap-3;
    private static final double L7 = 0x1.2492492492492p-3;
    private static final double L9 = 0x1.c71c71c71c71cp-4;
    private static final double L11 = 0x1.745d1745d1746p-4;
    private static final double L13 = 0x1.3b13b13b13b14p-4;
    private static final double L15 = 0x1.1111111111111p-4;
    private static final double L17 = 0x1.e1e1e1e1e1e1ep-5;
    private static final double L19 = 0x1.af286bca1af28p-5;
    private static final double L21 = 0x1.8618618618618p-5;
    private static final double L23 = 0x1.642c8590b2164p-5;

    /**
     * Natural logarithm of a positive normal double, from +, −, ×, ÷ and the exponent bits only:
     * x = 2^e·m with m in [√½, √2), log m = 2·atanh(f), f = (m−1)/(m+1), summed to f^23. A few ulp;
     * used by the noise generator, where what matters is that the OpenCL prelude does exactly the
     * same operations ({@code soma_log}). Not defined for zero, subnormals, negatives, ∞ or NaN.
     */
    public static double log(double x) {
        long bits = Double.doubleToRawLongBits(x);
        long e = ((bits >>> 52) & 0x7ffL) - 1023L;
        double m = Double.longBitsToDouble((bits & 0xfffffffffffffL) | 0x3ff0000000000000L);
        if (m > LOG_SQRT2) {
            m = m * 0.5;
            e = e + 1;
        }
        double f = (m - 1.0) / (m + 1.0);
        double s = f * f;
        double p = L3 + s * (L5 + s * (L7 + s * (L9 + s * (L11 + s * (L13 + s * (L15 + s * (L17 + s * (L19
                + s * (L21 + s * L23)))))))));
        double lm = 2.0 * f + 2.0 * f * (s * p);
        return (double) e * LN2 + lm;
    }

    /**
     * log(1 + r) for r ≥ 0 from {@link #log} only (Goldberg: log(u)·r/(u−1), u = 1 + r rounded), a few
     * ulp; mirrored by {@code soma_log1p} in {@code opencl/softmax.cl}.
     */
    public static double log1p(double r) {
        double u = 1.0 + r;
        return u == 1.0 ? r : log(u) * (r / (u - 1.0));
    }

    /** 1/13!, the last Taylor coefficient of {@link #expm1}. */
    private static final double E13 = 0x1.6124613a86d09p-33;

    /**
     * e^x − 1 with full relative accuracy (a few ulp), branch-free; mirrored by {@code soma_expm1}. The
     * reduction of {@link #exp}, q = e^r − 1 by Taylor to r^13, then 2^k·q + (2^k − 1), or q itself
     * where k = 0 (so −0 stays −0). −∞ gives −1, +∞ gives +∞, NaN gives NaN.
     */
    public static double expm1(double x) {
        double a = x < -708.0 ? -708.0 : (x > 709.0 ? 709.0 : x);
        double kd = a * INV_LN2 + SHIFT;
        long k = Double.doubleToRawLongBits(kd);
        kd = kd - SHIFT;
        double r = (a - kd * LN2_HI) - kd * LN2_LO;
        double q = r * (1.0 + r * (E2 + r * (E3 + r * (E4 + r * (E5 + r * (E6 + r * (E7 + r * (E8
                + r * (E9 + r * (E10 + r * (E11 + r * (E12 + r * E13))))))))))));
        double t = Double.longBitsToDouble((k + 1023L) << 52);
        double e = t * q + (t - 1.0);
        return x > 709.0 ? Double.POSITIVE_INFINITY : (kd == 0.0 ? q : e);
    }

    /**
     * e^(hi + lo) for |lo| &lt; 1 where hi − k·ln2 is exact (hi a multiple of 2^−40 below 2^10): lo is
     * added after the reduction, so the rounding of hi + lo costs nothing. Mirrored by
     * {@code soma_exp_hl}.
     */
    static double expHiLo(double hi, double lo) {
        double x = hi + lo;
        double a = x < -708.0 ? -708.0 : (x > 709.0 ? 709.0 : x);
        double kd = a * INV_LN2 + SHIFT;
        long k = Double.doubleToRawLongBits(kd);
        kd = kd - SHIFT;
        double r = ((hi - kd * LN2_HI) - kd * LN2_LO) + lo;
        double p = 1.0 + r * (1.0 + r * (E2 + r * (E3 + r * (E4 + r * (E5 + r * (E6 + r * (E7 + r * (E8
                + r * (E9 + r * (E10 + r * (E11 + r * E12)))))))))));
        double e = p * Double.longBitsToDouble((k + 1023L) << 52);
        return x < -708.0 ? 0.0 : (x > 709.0 ? Double.POSITIVE_INFINITY : e);
    }

    private static final double SQRT2_M1 = 0x1.a827999fcef32p-2;

    /**
     * log(1 + x) for x in [0, 1] (NaN gives NaN), a few ulp, branch-free; mirrored by
     * {@code soma_log1pu}: 2·atanh f with f = x/(2+x) up to √2 − 1, else ln2 + 2·atanh f with
     * f = (x−1)/(x+3), so |f| ≤ 0.1716 and the series to f^21 suffices.
     */
    public static double log1pUnit(double x) {
        boolean big = x > SQRT2_M1;
        double f = (big ? x - 1.0 : x) / (big ? x + 3.0 : x + 2.0);
        double s = f * f;
        double p = L3 + s * (L5 + s * (L7 + s * (L9 + s * (L11 + s * (L13 + s * (L15 + s * (L17 + s * (L19
                + s * L21))))))));
        double lm = 2.0 * f + 2.0 * f * (s * p);
        return (big ? LN2 : 0.0) + lm;
    }

    /** tanh x = −m/(2+m), m = expm1(−2|x|), with the sign of x; mirrored by {@code soma_tanh}. */
    public static double tanh(double x) {
        double m = expm1(-2.0 * Math.abs(x));
        return Math.copySign(-m / (2.0 + m), x);
    }

    private static final double T3P8 = 0x1.3504f333f9de6p1;     // tan(3π/8) = 1 + √2
    private static final double PIO2 = 0x1.921fb54442d18p0;
    private static final double PIO4 = 0x1.921fb54442d18p-1;
    private static final double MOREBITS = 6.123233995736765886130e-17;
    private static final double MOREBITS2 = 3.061616997868382943065e-17;
    private static final double AP0 = -8.750608600031904122785e-1;
    private static final double AP1 = 1.615753718733365076637e1;   // subtracted
    private static final double AP2 = 7.500855792314704667340e1;   // subtracted
    private static final double AP3 = 1.228866684490136173410e2;   // subtracted
    private static final double AP4 = 6.485021904942025371773e1;   // subtracted
    private static final double AQ0 = 2.485846490142306297962e1;
    private static final double AQ1 = 1.650270098316988542046e2;
    private static final double AQ2 = 4.328810604912902668951e2;
    private static final double AQ3 = 4.853903996359136964868e2;
    private static final double AQ4 = 1.945506571482613964425e2;

    /**
     * atan after Cephes {@code atan.c}, branch-free; mirrored by {@code soma_atan}: |x| &gt; tan(3π/8):
     * π/2 + atan(−1/|x|); |x| &gt; 0.66: π/4 + atan((|x|−1)/(|x|+1)); else atan |x|; the rational
     * t + t·z·P(z)/Q(z), z = t², then the sign of x.
     */
    public static double atan(double x) {
        double ax = Math.abs(x);
        boolean big = ax > T3P8;
        boolean mid = ax > 0.66;
        double t = (big ? -1.0 : (mid ? ax - 1.0 : ax)) / (big ? ax : (mid ? ax + 1.0 : 1.0));
        double y0 = big ? PIO2 : (mid ? PIO4 : 0.0);
        double c = big ? MOREBITS : (mid ? MOREBITS2 : 0.0);
        double z = t * t;
        double pz = (((AP0 * z - AP1) * z - AP2) * z - AP3) * z - AP4;
        double qz = ((((z + AQ0) * z + AQ1) * z + AQ2) * z + AQ3) * z + AQ4;
        double w = z * pz / qz;
        return Math.copySign(y0 + ((t * w + t) + c), x);
    }

    /**
     * The Gudermannian gd x = 2·atan(tanh(x/2)) from one {@link #expm1} and two divisions; mirrored by
     * {@code soma_gd}: m = expm1(−|x|), tanh(|x|/2) = −m/(2+m); beyond |x| &gt; 1.5
     * atan(tanh(|x|/2)) = π/4 + atan(−e^−|x|), e^−|x| = 1 + m ({@link #atan}'s own reduction
     * (t−1)/(t+1), done exactly); then atan's rational, doubled, with the sign of x.
     */
    public static double gd(double x) {
        double ax = Math.abs(x);
        double m = expm1(-ax);
        boolean mid = ax > 1.5;
        double t = (mid ? -(1.0 + m) : -m) / (mid ? 1.0 : 2.0 + m);
        double y0 = mid ? PIO4 : 0.0;
        double c = mid ? MOREBITS2 : 0.0;
        double z = t * t;
        double pz = (((AP0 * z - AP1) * z - AP2) * z - AP3) * z - AP4;
        double qz = ((((z + AQ0) * z + AQ1) * z + AQ2) * z + AQ3) * z + AQ4;
        double w = z * pz / qz;
        return Math.copySign(2.0 * (y0 + ((t * w + t) + c)), x);
    }

    // ---- erf after FDLIBM s_erf.c (Sun Microsystems, freely distributable; its erfc tail serves erf beyond 1.25) ----
    private static final double ERX = 8.45062911510467529297e-01;
        private static final double PP0 = 1.28379167095512558561e-01;
    private static final double PP1 = -3.25042107247001499370e-01;
    private static final double PP2 = -2.84817495755985104766e-02;
    private static final double PP3 = -5.77027029648944159157e-03;
    private static final double PP4 = -2.37630166566501626084e-05;
    private static final double QQ1 = 3.97917223959155352819e-01;
    private static final double QQ2 = 6.50222499887672944485e-02;
    private static final double QQ3 = 5.08130628187576562776e-03;
    private static final double QQ4 = 1.32494738004321644526e-04;
    private static final double QQ5 = -3.96022827877536812320e-06;
    private static final double PA0 = -2.36211856075265944077e-03;
    private static final double PA1 = 4.14856118683748331666e-01;
    private static final double PA2 = -3.72207876035701323847e-01;
    private static final double PA3 = 3.18346619901161753674e-01;
    private static final double PA4 = -1.10894694282396677476e-01;
    private static final double PA5 = 3.54783043256182359371e-02;
    private static final double PA6 = -2.16637559486879084300e-03;
    private static final double QA1 = 1.06420880400844228286e-01;
    private static final double QA2 = 5.40397917702171048937e-01;
    private static final double QA3 = 7.18286544141962662868e-02;
    private static final double QA4 = 1.26171219808761642112e-01;
    private static final double QA5 = 1.36370839120290507362e-02;
    private static final double QA6 = 1.19844998467991074170e-02;
    private static final double RA0 = -9.86494403484714822705e-03;
    private static final double RA1 = -6.93858572707181764372e-01;
    private static final double RA2 = -1.05586262253232909814e+01;
    private static final double RA3 = -6.23753324503260060396e+01;
    private static final double RA4 = -1.62396669462573470355e+02;
    private static final double RA5 = -1.84605092906711035994e+02;
    private static final double RA6 = -8.12874355063065934246e+01;
    private static final double RA7 = -9.81432934416914548592e+00;
    private static final double SA1 = 1.96512716674392571292e+01;
    private static final double SA2 = 1.37657754143519042600e+02;
    private static final double SA3 = 4.34565877475229228821e+02;
    private static final double SA4 = 6.45387271733267880336e+02;
    private static final double SA5 = 4.29008140027567833386e+02;
    private static final double SA6 = 1.08635005541779435134e+02;
    private static final double SA7 = 6.57024977031928170135e+00;
    private static final double SA8 = -6.04244152148580987438e-02;
    private static final double RB0 = -9.86494292470009928597e-03;
    private static final double RB1 = -7.99283237680523006574e-01;
    private static final double RB2 = -1.77579549177547519889e+01;
    private static final double RB3 = -1.60636384855821916062e+02;
    private static final double RB4 = -6.37566443368389627722e+02;
    private static final double RB5 = -1.02509513161107724954e+03;
    private static final double RB6 = -4.83519191608651397019e+02;
    private static final double SB1 = 3.03380607434824582924e+01;
    private static final double SB2 = 3.25792512996573918826e+02;
    private static final double SB3 = 1.53672958608443695994e+03;
    private static final double SB4 = 3.19985821950859553908e+03;
    private static final double SB5 = 2.55305040643316442583e+03;
    private static final double SB6 = 4.74528541206955367215e+02;
    private static final double SB7 = -2.24409524465858183362e+01;

    private static final double ERF_I3 = 0x1.6db6db6db6db7p1;   // 1/0.35

    private static double sel(boolean i1, boolean i2, boolean i3, double a, double b, double c, double d) {
        return i1 ? a : (i2 ? b : (i3 ? c : d));
    }

    /**
     * FDLIBM's rational for the interval of |x| (i1: below 0.84375, in t = x²; i2: below 1.25, in
     * t = |x|−1; i3: below 1/0.35, else beyond, in t = 1/x²), branch-free: the interval's coefficients
     * are selected (zero-padded to degree 7 over 8) and one rational is evaluated. Mirrored by
     * {@code soma_erf_ratio}.
     */
    private static double erfRatio(double t, boolean i1, boolean i2, boolean i3) {
        double n = sel(i1, i2, i3, 0.0, 0.0, RA7, 0.0);
        n = n * t + sel(i1, i2, i3, 0.0, PA6, RA6, RB6);
        n = n * t + sel(i1, i2, i3, 0.0, PA5, RA5, RB5);
        n = n * t + sel(i1, i2, i3, PP4, PA4, RA4, RB4);
        n = n * t + sel(i1, i2, i3, PP3, PA3, RA3, RB3);
        n = n * t + sel(i1, i2, i3, PP2, PA2, RA2, RB2);
        n = n * t + sel(i1, i2, i3, PP1, PA1, RA1, RB1);
        n = n * t + sel(i1, i2, i3, PP0, PA0, RA0, RB0);
        double d = sel(i1, i2, i3, 0.0, 0.0, SA8, 0.0);
        d = d * t + sel(i1, i2, i3, 0.0, 0.0, SA7, SB7);
        d = d * t + sel(i1, i2, i3, 0.0, QA6, SA6, SB6);
        d = d * t + sel(i1, i2, i3, QQ5, QA5, SA5, SB5);
        d = d * t + sel(i1, i2, i3, QQ4, QA4, SA4, SB4);
        d = d * t + sel(i1, i2, i3, QQ3, QA3, SA3, SB3);
        d = d * t + sel(i1, i2, i3, QQ2, QA2, SA2, SB2);
        d = d * t + sel(i1, i2, i3, QQ1, QA1, SA1, SB1);
        d = d * t + 1.0;
        return n / d;
    }

    /** erfc(ax) = e^(−z²−0.5625)·e^((z−ax)(z+ax) + R/S)/ax, z = ax with the low 32 bits cleared. */
    private static double erfcTail(double axt, double inv, double ratio) {
        double z = Double.longBitsToDouble(Double.doubleToRawLongBits(axt) & 0xffffffff00000000L);
        return expHiLo(-z * z - 0.5625, (z - axt) * (z + axt) + ratio) * inv;
    }

    /** The error function, a few ulp, branch-free (mirrored by {@code soma_erf}); erf(±∞) = ±1, NaN gives NaN, keeps −0. */
    public static double erf(double x) {
        double ax = Math.abs(x);
        boolean i1 = ax < 0.84375;
        boolean i2 = ax < 1.25;
        boolean i3 = ax < ERF_I3;
        double axt = ax > 28.0 ? 28.0 : ax;
        double inv = 1.0 / axt;
        double t = i1 ? ax * ax : (i2 ? ax - 1.0 : inv * inv);
        double ratio = erfRatio(t, i1, i2, i3);
        double tail = erfcTail(axt, inv, ratio);
        double r = i2 ? ERX + ratio : (ax >= 6.0 ? 1.0 : 1.0 - tail);
        return i1 ? x + x * ratio : Math.copySign(r, x);
    }
}
