package dev.soma.cpu;

/**
 * The double-precision elementary functions the pure-Java kernels need and {@link Math} lacks or
 * computes too slowly: {@link #exp} (the same operation sequence as {@code soma_exp} in
 * {@code opencl/prelude.cl}, so both backends get bit-identical results), {@link #erf} and
 * {@link #erfc} (after FDLIBM's {@code s_erf.c}, below 1 ulp), and {@link #log} (the noise generator's
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

    // ---- erf / erfc after FDLIBM s_erf.c (Sun Microsystems, freely distributable) ----
    private static final double ERX = 8.45062911510467529297e-01;
    private static final double EFX = 1.28379167095512586316e-01;
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

    /** erf(|x|) − 1 + … helper: erfc(ax) for ax = |x| in [1.25, 28), the asymptotic rational form. */
    private static double erfcTail(double ax) {
        double s = 1.0 / (ax * ax);
        double r;
        double q;
        if (ax < 1.0 / 0.35) {
            r = RA0 + s * (RA1 + s * (RA2 + s * (RA3 + s * (RA4 + s * (RA5 + s * (RA6 + s * RA7))))));
            q = 1.0 + s * (SA1 + s * (SA2 + s * (SA3 + s * (SA4 + s * (SA5 + s * (SA6 + s * (SA7 + s * SA8)))))));
        } else {
            r = RB0 + s * (RB1 + s * (RB2 + s * (RB3 + s * (RB4 + s * (RB5 + s * RB6)))));
            q = 1.0 + s * (SB1 + s * (SB2 + s * (SB3 + s * (SB4 + s * (SB5 + s * (SB6 + s * SB7))))));
        }
        // z = ax with the low 32 bits cleared, so z*z is exact
        double z = Double.longBitsToDouble(Double.doubleToRawLongBits(ax) & 0xffffffff00000000L);
        return exp(-z * z - 0.5625) * exp((z - ax) * (z + ax) + r / q) / ax;
    }

    /** The error function, below 1 ulp; erf(±∞) = ±1, erf(NaN) = NaN, keeps the sign of ±0. */
    public static double erf(double x) {
        if (x != x) {
            return x;
        }
        double ax = Math.abs(x);
        if (ax < 0.84375) {
            if (ax < 0x1.0p-28) {
                return x + EFX * x;
            }
            double z = x * x;
            double r = PP0 + z * (PP1 + z * (PP2 + z * (PP3 + z * PP4)));
            double s = 1.0 + z * (QQ1 + z * (QQ2 + z * (QQ3 + z * (QQ4 + z * QQ5))));
            return x + x * (r / s);
        }
        if (ax < 1.25) {
            double s = ax - 1.0;
            double p = PA0 + s * (PA1 + s * (PA2 + s * (PA3 + s * (PA4 + s * (PA5 + s * PA6)))));
            double q = 1.0 + s * (QA1 + s * (QA2 + s * (QA3 + s * (QA4 + s * (QA5 + s * QA6)))));
            return x >= 0 ? ERX + p / q : -ERX - p / q;
        }
        if (ax >= 6.0) {
            return x > 0 ? 1.0 : -1.0;
        }
        double r = erfcTail(ax);
        return x > 0 ? 1.0 - r : r - 1.0;
    }

    /** The complementary error function 1 − erf(x) with full relative accuracy for large x. */
    public static double erfc(double x) {
        if (x != x) {
            return x;
        }
        double ax = Math.abs(x);
        if (ax < 0.84375) {
            if (ax < 0x1.0p-56) {
                return 1.0 - x;
            }
            double z = x * x;
            double r = PP0 + z * (PP1 + z * (PP2 + z * (PP3 + z * PP4)));
            double s = 1.0 + z * (QQ1 + z * (QQ2 + z * (QQ3 + z * (QQ4 + z * QQ5))));
            double y = r / s;
            if (x < 0.25) {
                return 1.0 - (x + x * y);
            }
            return 0.5 - (x * y + (x - 0.5));
        }
        if (ax < 1.25) {
            double s = ax - 1.0;
            double p = PA0 + s * (PA1 + s * (PA2 + s * (PA3 + s * (PA4 + s * (PA5 + s * PA6)))));
            double q = 1.0 + s * (QA1 + s * (QA2 + s * (QA3 + s * (QA4 + s * (QA5 + s * QA6)))));
            return x >= 0 ? (1.0 - ERX) - p / q : 1.0 + (ERX + p / q);
        }
        if (ax < 28.0) {
            if (x < 0 && ax >= 6.0) {
                return 2.0;
            }
            double r = erfcTail(ax);
            return x > 0 ? r : 2.0 - r;
        }
        return x > 0 ? 0.0 : 2.0;
    }
}
