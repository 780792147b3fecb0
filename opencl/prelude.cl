/*
 * soma shared prelude: put by the host after the generated SOMA_ACT_* definitions and in front of
 * every family file (activations.cl, softmax.cl, ...).
 *
 * Build options it expects:
 *   -DREAL=float       element type of the buffers
 *   -DACC=double|float internal compute type (double when the device has cl_khr_fp64)
 *   -DSOMA_FP64=1|0    whether ACC is double
 *
 * Everything is computed in ACC with the catalogue's stable forms and rounded once to REAL. With
 * ACC=double the helpers below perform exactly the operations of dev.soma.cpu.JavaMath, so
 * soma_exp / soma_log (and everything built only from them and + - * / sqrt) are bit-identical to
 * the Java backend: FP_CONTRACT is off (no fused multiply-add), and double +, -, *, /, sqrt are
 * correctly rounded in OpenCL C.
 */
#pragma OPENCL FP_CONTRACT OFF

#ifndef REAL
#define REAL float
#endif
#ifndef SOMA_FP64
#define SOMA_FP64 0
#endif
#ifndef ACC
#if SOMA_FP64
#define ACC double
#else
#define ACC float
#endif
#endif

#if SOMA_FP64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
/* a literal in ACC precision */
#define K(c) c
#else
#define K(c) c##f
#endif

#define SOMA_INF ((ACC) INFINITY)
#define SOMA_NAN ((ACC) NAN)
/* isnan / isinf as plain comparisons: POCL's vectoriser has no vector form of the double isnan/isinf
 * calls and then runs the whole kernel one work-item at a time */
#define SOMA_ISNAN(a) ((a) != (a))
#define SOMA_ISINF(a) ((a) == SOMA_INF || (a) == -SOMA_INF)
/* |a| by clearing the sign bit: POCL sometimes leaves a fabs call un-inlined and then cannot vectorise */
#if SOMA_FP64
#define SOMA_FABS(a) as_double(as_long((double) (a)) & 0x7fffffffffffffffL)
#define SOMA_COPYSIGN(a, b) as_double((as_long((double) (a)) & 0x7fffffffffffffffL) \
        | (as_long((double) (b)) & (long) 0x8000000000000000UL))
#else
#define SOMA_COPYSIGN(a, b) copysign(a, b)
#define SOMA_FABS(a) fabs(a)
#endif

/* x = 2^e m, m in (sqrt(1/2), sqrt2], for a positive normal float x: declares the exponent e and
 * f = (m - 1)/(m + 1), so that log x = e ln2 + 2 atanh f (soma_logf and soma_noise_log) */
#define SOMA_LOG_REDUCE(x, e, f) \
    const int bits_ = as_int(x); \
    const float m0_ = as_float((bits_ & 0x7fffff) | 0x3f800000); \
    const int big_ = m0_ > 0x1.6a09e6p0f; \
    const float m_ = big_ ? m0_ * 0.5f : m0_; \
    const int e = ((bits_ >> 23) & 0xff) - 127 + (big_ ? 1 : 0); \
    const float f = (m_ - 1.0f) / (m_ + 1.0f)

/* log of a positive normal float from + - * / and the exponent bits, in float (soma_log at precision
 * fast; noisy ReLU's noise has its own fma form, soma_noise_log) */
static inline float soma_logf(float x) {
    SOMA_LOG_REDUCE(x, e, f);
    const float s = f * f;
    const float p = 0x1.555556p-2f + s * (0x1.99999ap-3f + s * (0x1.24924ap-3f + s * (0x1.c71c72p-4f
            + s * 0x1.745d18p-4f)));
    const float lm = 2.0f * f + 2.0f * f * (s * p);
    return ((float) e * 0x1.7f7d1cp-20f + lm) + (float) e * 0x1.62e4p-1f;
}

/* erf after FDLIBM s_erf.c (its erfc tail beyond 1.25), branch-free: the interval's coefficients are selected
 * and one rational evaluated in the interval's variable (x^2; |x|-1; 1/x^2). In ACC: JavaMath.erfRatio at precision exact,
 * the same coefficients rounded to float at fast. */
#define SOMA_ERSEL(a, b, c, d) (i1 ? (a) : (i2 ? (b) : (i3 ? (c) : (d))))
static inline ACC soma_erf_ratio(ACC t, int i1, int i2, int i3) {
    ACC n = SOMA_ERSEL(K(0.0), K(0.0), K(-9.81432934416914548592e+00), K(0.0));
    n = n * t + SOMA_ERSEL(K(0.0), K(-2.16637559486879084300e-03), K(-8.12874355063065934246e+01), K(-4.83519191608651397019e+02));
    n = n * t + SOMA_ERSEL(K(0.0), K(3.54783043256182359371e-02), K(-1.84605092906711035994e+02), K(-1.02509513161107724954e+03));
    n = n * t + SOMA_ERSEL(K(-2.37630166566501626084e-05), K(-1.10894694282396677476e-01), K(-1.62396669462573470355e+02), K(-6.37566443368389627722e+02));
    n = n * t + SOMA_ERSEL(K(-5.77027029648944159157e-03), K(3.18346619901161753674e-01), K(-6.23753324503260060396e+01), K(-1.60636384855821916062e+02));
    n = n * t + SOMA_ERSEL(K(-2.84817495755985104766e-02), K(-3.72207876035701323847e-01), K(-1.05586262253232909814e+01), K(-1.77579549177547519889e+01));
    n = n * t + SOMA_ERSEL(K(-3.25042107247001499370e-01), K(4.14856118683748331666e-01), K(-6.93858572707181764372e-01), K(-7.99283237680523006574e-01));
    n = n * t + SOMA_ERSEL(K(1.28379167095512558561e-01), K(-2.36211856075265944077e-03), K(-9.86494403484714822705e-03), K(-9.86494292470009928597e-03));
    ACC d = SOMA_ERSEL(K(0.0), K(0.0), K(-6.04244152148580987438e-02), K(0.0));
    d = d * t + SOMA_ERSEL(K(0.0), K(0.0), K(6.57024977031928170135e+00), K(-2.24409524465858183362e+01));
    d = d * t + SOMA_ERSEL(K(0.0), K(1.19844998467991074170e-02), K(1.08635005541779435134e+02), K(4.74528541206955367215e+02));
    d = d * t + SOMA_ERSEL(K(-3.96022827877536812320e-06), K(1.36370839120290507362e-02), K(4.29008140027567833386e+02), K(2.55305040643316442583e+03));
    d = d * t + SOMA_ERSEL(K(1.32494738004321644526e-04), K(1.26171219808761642112e-01), K(6.45387271733267880336e+02), K(3.19985821950859553908e+03));
    d = d * t + SOMA_ERSEL(K(5.08130628187576562776e-03), K(7.18286544141962662868e-02), K(4.34565877475229228821e+02), K(1.53672958608443695994e+03));
    d = d * t + SOMA_ERSEL(K(6.50222499887672944485e-02), K(5.40397917702171048937e-01), K(1.37657754143519042600e+02), K(3.25792512996573918826e+02));
    d = d * t + SOMA_ERSEL(K(3.97917223959155352819e-01), K(1.06420880400844228286e-01), K(1.96512716674392571292e+01), K(3.03380607434824582924e+01));
    d = d * t + K(1.0);
    return n / d;
}
#undef SOMA_ERSEL

#if SOMA_FP64

/* e^r for |r| <= ln2/2 by Taylor to degree 12 (JavaMath.exp's polynomial) */
static inline double soma_exp_taylor(double r) {
    return 1.0 + r * (1.0 + r * (0x1.0p-1 + r * (0x1.5555555555555p-3 + r * (0x1.5555555555555p-5
            + r * (0x1.1111111111111p-7 + r * (0x1.6c16c16c16c17p-10 + r * (0x1.a01a01a01a01ap-13
            + r * (0x1.a01a01a01a01ap-16 + r * (0x1.71de3a556c734p-19 + r * (0x1.27e4fb7789f5cp-22
            + r * (0x1.ae64567f544e4p-26 + r * 0x1.1eed8eff8d898p-29)))))))))));
}

/* e^x for x in [-708, 709] (0 below, +inf above; NaN gives NaN): Cody-Waite reduction, Taylor degree 12,
 * scale by 2^k from the exponent bits. Same operations as JavaMath.exp. */
static inline double soma_exp(double x) {
    double a = x < -708.0 ? -708.0 : (x > 709.0 ? 709.0 : x);
    double kd = a * 0x1.71547652b82fep0 + 0x1.8p52;
    long k = as_long(kd);
    kd = kd - 0x1.8p52;
    double r = (a - kd * 0x1.62e42feep-1) - kd * 0x1.a39ef35793c76p-33;
    double p = soma_exp_taylor(r);
    double e = p * as_double((k + 1023L) << 52);
    return x < -708.0 ? 0.0 : (x > 709.0 ? (double) INFINITY : e);
}

/* log of a positive normal double from + - * / and the exponent bits (JavaMath.log); selects, no
 * branch, so that POCL vectorises it across work-items */
static inline double soma_log(double x) {
    long bits = as_long(x);
    long e = (long) (((ulong) bits >> 52) & 0x7ffUL) - 1023L;
    double m = as_double((bits & 0xfffffffffffffL) | 0x3ff0000000000000L);
    int big = m > 0x1.6a09e667f3bcdp0;
    m = big ? m * 0.5 : m;
    e = big ? e + 1 : e;
    double f = (m - 1.0) / (m + 1.0);
    double s = f * f;
    double p = 0x1.5555555555555p-2 + s * (0x1.999999999999ap-3 + s * (0x1.2492492492492p-3
            + s * (0x1.c71c71c71c71cp-4 + s * (0x1.745d1745d1746p-4 + s * (0x1.3b13b13b13b14p-4
            + s * (0x1.1111111111111p-4 + s * (0x1.e1e1e1e1e1e1ep-5 + s * (0x1.af286bca1af28p-5
            + s * (0x1.8618618618618p-5 + s * 0x1.642c8590b2164p-5)))))))));
    double lm = 2.0 * f + 2.0 * f * (s * p);
    return (double) e * 0x1.62e42fefa39efp-1 + lm;
}

/* e^x - 1 with full relative accuracy (JavaMath.expm1): soma_exp's reduction x = k ln2 + r, q = e^r - 1
 * by Taylor to r^13, then 2^k q + (2^k - 1); q itself where k = 0 (keeps -0). -inf gives -1. */
static inline double soma_expm1(double x) {
    double a = x < -708.0 ? -708.0 : (x > 709.0 ? 709.0 : x);
    double kd = a * 0x1.71547652b82fep0 + 0x1.8p52;
    long k = as_long(kd);
    kd = kd - 0x1.8p52;
    double r = (a - kd * 0x1.62e42feep-1) - kd * 0x1.a39ef35793c76p-33;
    double q = r * (1.0 + r * (0x1.0p-1 + r * (0x1.5555555555555p-3 + r * (0x1.5555555555555p-5
            + r * (0x1.1111111111111p-7 + r * (0x1.6c16c16c16c17p-10 + r * (0x1.a01a01a01a01ap-13
            + r * (0x1.a01a01a01a01ap-16 + r * (0x1.71de3a556c734p-19 + r * (0x1.27e4fb7789f5cp-22
            + r * (0x1.ae64567f544e4p-26 + r * (0x1.1eed8eff8d898p-29 + r * 0x1.6124613a86d09p-33))))))))))));
    double t = as_double((k + 1023L) << 52);
    double e = t * q + (t - 1.0);
    return x > 709.0 ? (double) INFINITY : (kd == 0.0 ? q : e);
}

/* e^(hi + lo) for |lo| < 1 where hi - k ln2 is exact (hi a multiple of 2^-40 below 2^10): lo joins
 * after the reduction, so the rounding of hi + lo costs nothing (JavaMath.expHiLo) */
static inline double soma_exp_hl(double hi, double lo) {
    double x = hi + lo;
    double a = x < -708.0 ? -708.0 : (x > 709.0 ? 709.0 : x);
    double kd = a * 0x1.71547652b82fep0 + 0x1.8p52;
    long k = as_long(kd);
    kd = kd - 0x1.8p52;
    double r = ((hi - kd * 0x1.62e42feep-1) - kd * 0x1.a39ef35793c76p-33) + lo;
    double p = soma_exp_taylor(r);
    double e = p * as_double((k + 1023L) << 52);
    return x < -708.0 ? 0.0 : (x > 709.0 ? (double) INFINITY : e);
}

/* log(1 + x) for x in [0, 1] (NaN gives NaN), JavaMath.log1pUnit: log1p x = 2 atanh f with
 * f = x/(2+x) below sqrt2 - 1, else ln2 + 2 atanh f, f = (x-1)/(x+3); |f| <= 0.1716 */
static inline double soma_log1pu(double x) {
    int big = x > 0x1.a827999fcef32p-2;
    double f = (x - (big ? 1.0 : 0.0)) / (x + (big ? 3.0 : 2.0)); /* x - 0 = x: the same values */
    double s = f * f;
    double p = 0x1.5555555555555p-2 + s * (0x1.999999999999ap-3 + s * (0x1.2492492492492p-3
            + s * (0x1.c71c71c71c71cp-4 + s * (0x1.745d1745d1746p-4 + s * (0x1.3b13b13b13b14p-4
            + s * (0x1.1111111111111p-4 + s * (0x1.e1e1e1e1e1e1ep-5 + s * (0x1.af286bca1af28p-5
            + s * 0x1.8618618618618p-5))))))));
    double lm = 2.0 * f + 2.0 * f * (s * p);
    return (big ? 0x1.62e42fefa39efp-1 : 0.0) + lm;
}

/* tanh x = -m/(2+m), m = expm1(-2|x|), with the sign of x (keeps -0; +-inf give +-1) */
static inline double soma_tanh(double x) {
    double m = soma_expm1(-2.0 * SOMA_FABS(x));
    return SOMA_COPYSIGN(-m / (2.0 + m), x);
}

/* atan after Cephes atan.c, branch-free: |x| > tan(3pi/8): pi/2 + atan(-1/|x|); |x| > 0.66:
 * pi/4 + atan((|x|-1)/(|x|+1)); else atan |x|, by the rational x + x z P(z)/Q(z), z = x^2 */
static inline double soma_atan(double x) {
    double ax = SOMA_FABS(x);
    int big = ax > 0x1.3504f333f9de6p1;
    int mid = ax > 0.66;
    double t = (big ? -1.0 : (mid ? ax - 1.0 : ax)) / (big ? ax : (mid ? ax + 1.0 : 1.0));
    double y0 = big ? 0x1.921fb54442d18p0 : (mid ? 0x1.921fb54442d18p-1 : 0.0);
    double c = big ? 6.123233995736765886130e-17 : (mid ? 3.061616997868382943065e-17 : 0.0);
    double z = t * t;
    double pz = (((-8.750608600031904122785e-1 * z - 1.615753718733365076637e1) * z
            - 7.500855792314704667340e1) * z - 1.228866684490136173410e2) * z - 6.485021904942025371773e1;
    double qz = ((((z + 2.485846490142306297962e1) * z + 1.650270098316988542046e2) * z
            + 4.328810604912902668951e2) * z + 4.853903996359136964868e2) * z + 1.945506571482613964425e2;
    double w = z * pz / qz;
    return SOMA_COPYSIGN(y0 + ((t * w + t) + c), x);
}

/* gd x = 2 atan(tanh(x/2)) from one expm1 and two divisions (JavaMath.gd): m = expm1(-|x|),
 * tanh(|x|/2) = -m/(2+m); beyond |x| > 1.5, atan(tanh(|x|/2)) = pi/4 + atan(-e^-|x|), e^-|x| = 1 + m
 * (atan's own reduction (t-1)/(t+1) for t > 0.66, done exactly); then soma_atan's rational */
static inline double soma_gd(double x) {
    double ax = SOMA_FABS(x);
    double m = soma_expm1(-ax);
    int mid = ax > 1.5;
    double t = (mid ? -(1.0 + m) : -m) / (mid ? 1.0 : 2.0 + m);
    double y0 = mid ? 0x1.921fb54442d18p-1 : 0.0;
    double c = mid ? 3.061616997868382943065e-17 : 0.0;
    double z = t * t;
    double pz = (((-8.750608600031904122785e-1 * z - 1.615753718733365076637e1) * z
            - 7.500855792314704667340e1) * z - 1.228866684490136173410e2) * z - 6.485021904942025371773e1;
    double qz = ((((z + 2.485846490142306297962e1) * z + 1.650270098316988542046e2) * z
            + 4.328810604912902668951e2) * z + 4.853903996359136964868e2) * z + 1.945506571482613964425e2;
    double w = z * pz / qz;
    return SOMA_COPYSIGN(2.0 * (y0 + ((t * w + t) + c)), x);
}


/* erfc(ax) ~ e^(-z^2-0.5625) e^((z-ax)(z+ax) + R/S) / ax for ax in [1.25, 28], z = ax with the low 32
 * bits cleared (z^2 exact), as one exponential of hi + lo; inv = 1/ax */
static inline double soma_erfc_tail(double axt, double inv, double ratio) {
    double z = as_double(as_long(axt) & (long) 0xffffffff00000000UL);
    return soma_exp_hl(-z * z - 0.5625, (z - axt) * (z + axt) + ratio) * inv;
}

static inline double soma_erf(double x) {
    double ax = SOMA_FABS(x);
    int i1 = ax < 0.84375;
    int i2 = ax < 1.25;
    int i3 = ax < 0x1.6db6db6db6db7p1;
    double axt = ax > 28.0 ? 28.0 : ax;
    double inv = 1.0 / axt;
    double t = i1 ? ax * ax : (i2 ? ax - 1.0 : inv * inv);
    double ratio = soma_erf_ratio(t, i1, i2, i3);
    double tail = soma_erfc_tail(axt, inv, ratio);
    double r = i2 ? 8.45062911510467529297e-01 + ratio : (ax >= 6.0 ? 1.0 : 1.0 - tail);
    return i1 ? x + x * ratio : SOMA_COPYSIGN(r, x);
}

/* e^(-c*x^2): in double the rounding of x^2 is harmless (JavaKernels does the same) */
static inline double soma_exp_negsq(double x, double c) {
    return soma_exp(-c * (x * x));
}

#else /* ACC = float */

/* soma's float elementary functions (precision fast): + - * / and exponent bits only, no vendor
 * exp/erf/..., so that every device gives the same bits (FP_CONTRACT is off; the host asks for
 * correctly rounded / where the device offers it). Branch-free: every arm is computed, then selected. */

/* x = k ln2 + r, |r| <= ln2/2, for |x| <= 150: k by the 1.5*2^23 rounding trick; ln2 split so that
 * k * LN2_HI is exact (15 + 8 bits) and x - k LN2_HI is exact (Sterbenz) */
#define SOMA_LN2_HI 0x1.62e4p-1f
#define SOMA_LN2_LO 0x1.7f7d1cp-20f
#define SOMA_REDUCE(a, kd, k, r) \
    float kd = fma((a), 0x1.715476p0f, 0x1.8p23f); \
    const int k = as_int(kd) - 0x4b400000; \
    kd = kd - 0x1.8p23f; \
    const float r = fma(-kd, SOMA_LN2_LO, fma(-kd, SOMA_LN2_HI, (a)))

/* e^r - 1 - r over r^2 for |r| <= ln2/2: Taylor to r^8 (remainder < 2^-30 relative) */
static inline float soma_expm1_tail(float r) {
    return fma(fma(fma(fma(fma(fma(0x1.a01a02p-16f, r, 0x1.a01a02p-13f), r, 0x1.6c16c2p-10f), r, 0x1.111112p-7f),
            r, 0x1.555556p-5f), r, 0x1.555556p-3f), r, 0x1.0p-1f);
}

/* 2^k for k in [-252, 254], as the product of two normal powers of two */
#define SOMA_SCALE(p, k) ((p) * as_float((((k) >> 1) + 127) << 23) * as_float((((k) - ((k) >> 1)) + 127) << 23))

/* e^x: 0 below -104 (the float result flushes there anyway), +inf above 89, NaN gives NaN; within
 * 1 ulp (1 + (r + r^2 q): one rounding of a sum whose small part is good to 2^-26) */
static inline float soma_exp(float x) {
    const float a = x < -104.0f ? -104.0f : (x > 89.0f ? 89.0f : x);
    SOMA_REDUCE(a, kd, k, r);
    const float p = 1.0f + fma(r * r, soma_expm1_tail(r), r);
    return SOMA_SCALE(p, k);
}

/* e^(hi + lo) 2^s for |lo| <= 2: lo joins after the reduction of hi, so the rounding of hi + lo costs
 * nothing (hi - k ln2 is exact for |hi| >= 1); s = 24 keeps a result down to 2^-150 normal (the caller
 * multiplies, then scales back by 2^-24 exactly);
 * lo = -0.0f (not +0) where there is none: r + -0 folds away */
static inline float soma_exp_hls(float hi, float lo, int s) {
    const float x = hi + lo;
    const float a = x < -104.0f ? -104.0f : (x > 89.0f ? 89.0f : x);
    float kd = fma(a, 0x1.715476p0f, 0x1.8p23f);
    const int k = as_int(kd) - 0x4b400000 + s;
    kd = kd - 0x1.8p23f;
    const float r = fma(-kd, SOMA_LN2_LO, fma(-kd, SOMA_LN2_HI, hi)) + lo;
    const float p = 1.0f + fma(r * r, soma_expm1_tail(r), r);
    const float e = SOMA_SCALE(p, k); /* +inf above 89 by itself */
    return x < -104.0f ? 0.0f : e;
}

/* e^(hi + lo) for hi + lo <= 0 (|lo| <= 2, as soma_exp_hls), for outputs that may flush where they are
 * below the normal range: 0 below -87.5 (e^x < 2^-126 there), and 2^k (k >= -126) from the exponent bits
 * in one multiply instead of SOMA_SCALE's two; within 1 ulp down to 2^-126 */
static inline float soma_exp_neg_ftz(float hi, float lo) {
    const float x = hi + lo;
    const float a = x < -87.5f ? -87.5f : x;
    float kd = fma(a, 0x1.715476p0f, 0x1.8p23f);
    const int k = as_int(kd) - 0x4b400000;
    kd = kd - 0x1.8p23f;
    const float r = fma(-kd, SOMA_LN2_LO, fma(-kd, SOMA_LN2_HI, hi)) + lo;
    const float p = 1.0f + fma(r * r, soma_expm1_tail(r), r);
    const float e = p * as_float((k + 127) << 23);
    return x < -87.5f ? 0.0f : e;
}

/* soma_exp_hls for hi + lo <= 0 with s = 0 or 24 (silu, mish): 2^(k+s) in one multiply, k + s clamped at
 * -127 (a zero scale: with s = 0 results below 2^-126 flush, where the callers' outputs are below the
 * normal range or e is lost beside 1); with s = 24 every result down to 2^-150 keeps its bits as in
 * soma_exp_hls */
static inline float soma_exp_neg_hls(float hi, float lo, int s) {
    const float x = hi + lo;
    const float a = x < -104.0f ? -104.0f : x;
    float kd = fma(a, 0x1.715476p0f, 0x1.8p23f);
    const int k0 = as_int(kd) - 0x4b400000 + s;
    const int k = k0 < -127 ? -127 : k0;
    kd = kd - 0x1.8p23f;
    const float r = fma(-kd, SOMA_LN2_LO, fma(-kd, SOMA_LN2_HI, hi)) + lo;
    const float p = 1.0f + fma(r * r, soma_expm1_tail(r), r);
    const float e = p * as_float((k + 127) << 23);
    return x < -104.0f ? 0.0f : e;
}

/* d (c0 + c1 d + ... + c8 d^8): a derivative next to its root x0, d = x - x0 (the coefficients are
 * fitted by scripts/fit-roots.py; there the derivative's terms cancel, and float would lose every bit) */
#define SOMA_ROOT_POLY(d, c0, c1, c2, c3, c4, c5, c6, c7, c8) ((d) * ((c0) + (d) * ((c1) + (d) * ((c2) \
        + (d) * ((c3) + (d) * ((c4) + (d) * ((c5) + (d) * ((c6) + (d) * ((c7) + (d) * (c8))))))))))

/* the same with fma steps (mish') */
#define SOMA_ROOT_FMA(d, c0, c1, c2, c3, c4, c5, c6, c7, c8) ((d) * fma(fma(fma(fma(fma(fma(fma(fma((c8), (d), (c7)), \
        (d), (c6)), (d), (c5)), (d), (c4)), (d), (c3)), (d), (c2)), (d), (c1)), (d), (c0)))

/* a*b = hi + lo exactly */
#define SOMA_TWO_PROD(a, b, hi, lo) const float hi = (a) * (b); const float lo = fma((a), (b), -hi)

/* e^x - 1 with full relative accuracy: q = e^r - 1, then 2 (2^(k-1) q + (2^(k-1) - 1/2)); q itself
 * where k = 0 (tiny x exact) and x for zeros (keeps -0); -1 below -18 (e^x < ulp(1)/4 there) */
static inline float soma_expm1(float x) {
    const float a = x < -18.0f ? -18.0f : (x > 89.0f ? 89.0f : x);
    SOMA_REDUCE(a, kd, k, r);
    const float q = fma(r * r, soma_expm1_tail(r), r);
    const float t = as_float((k - 1 + 127) << 23);
    const float e = 2.0f * fma(t, q, t - 0.5f);
    return k == 0 ? (x == 0 ? x : q) : e; /* -0 + +0 is +0: zeros selected */
}

/* e^(-c x^2) for c = 1 or 1/2, with x^2 carried as hi + lo (the rounding of x^2 would cost up to
 * ~100 ulp in the tails): e^(-c hi) (1 - c lo) */
static inline float soma_exp_negsq(float x, float c) {
    const float hi = x * x;
    const float lo = fma(x, x, -hi);
    const float e = soma_exp(-c * hi);
    return SOMA_ISINF(hi) ? 0.0f : e - e * (c * lo);
}

static inline float soma_log(float x) {
    return soma_logf(x);
}

/* log(1 + x) for x in [0, 1] (NaN gives NaN): 2 atanh f, f = x/(2+x) in [0, 1/3], s = f^2 <= 1/9:
 * atanh f = f + f s g(s), g of degree 4 fitted to its minimax error (1e-8 of g; below 0.02 ulp of the
 * result), no split at sqrt2 - 1 and no ln2 term */
static inline float soma_log1pu(float x) {
    const float f = x / (x + 2.0f);
    const float s = f * f;
    const float p = fma(fma(fma(fma(0x1.dc3c5p-4f, s, 0x1.bc6a54p-4f), s, 0x1.24ca6p-3f), s, 0x1.9998cep-3f),
            s, 0x1.555556p-2f);
    const float f2 = 2.0f * f;
    return fma(f2, s * p, f2);
}

/* e^-a for a >= 0 (NaN gives NaN; +inf gives 0) as hi + lo, for the generalised logistic at a != 1 (which
 * multiplies log1p(e^-|x|) by a inside an exponential): a clamped to 104, -a = k ln2 + r with r = rh + rl
 * to ~2^-37 (r0 = -a - k LN2_HI is exact as in SOMA_REDUCE; r0 - rh is exact: Sterbenz, or both multiples
 * of 2^-34 below 2^-10), e^r = 1 + rh + rh^2/2 + rh^3/6 + [rl e^rh + the roundings + r^4 (1/24 + ... +
 * r^5/9!)]: rh^2/2 and rh^3/6 (1/6 as hi + lo) by two-products, the three large sums by fast two-sums,
 * the bracket in float (the r^4 term <= 6.2e-4: its float error ~2^-35 of e^r); times 2^k in two exact
 * steps (k >= -150; results below 2^-126 lose bits, where they cannot matter beside 1). Relative error
 * of hi + lo ~2^-34. */
static inline float2 soma_exp_neg_hilo(float ax) {
    const float a = ax > 104.0f ? 104.0f : ax;
    float kd = fma(-a, 0x1.715476p0f, 0x1.8p23f);
    const int k = as_int(kd) - 0x4b400000;
    kd = kd - 0x1.8p23f;
    const float r0 = fma(-kd, SOMA_LN2_HI, -a);
    const float rh = fma(-kd, SOMA_LN2_LO, r0);
    const float rl = fma(-kd, SOMA_LN2_LO, r0 - rh);
    const float sq = rh * rh;
    const float sql = fma(rh, rh, -sq);
    const float h2 = 0.5f * sq;
    /* r^3/6 as ch + cl: rh^3 = rh (sq + sql) by a two-product, 1/6 as C6 + C6L */
    SOMA_TWO_PROD(rh, sq, c3h, c3l0);
    const float c3l = fma(rh, sql, c3l0);
    SOMA_TWO_PROD(c3h, 0x1.555556p-3f, ch, chl);
    const float cl = fma(c3h, -0x1.555556p-28f, fma(c3l, 0x1.555556p-3f, chl));
    /* r^4 (1/24 + ... + r^5/9!) */
    const float p4 = fma(fma(fma(fma(fma(0x1.71de3ap-19f, rh, 0x1.a01a02p-16f), rh, 0x1.a01a02p-13f), rh,
            0x1.6c16c2p-10f), rh, 0x1.111112p-7f), rh, 0x1.555556p-5f);
    const float s1 = 1.0f + rh;
    const float e1 = rh - (s1 - 1.0f);
    const float s2 = s1 + h2;
    const float e2 = h2 - (s2 - s1);
    const float s3 = s2 + ch;
    const float e3 = ch - (s3 - s2);
    const float lo = fma(sq * sq, p4, ((e1 + e2) + (e3 + cl)) + fma(rl, s3, 0.5f * sql));
    const float h = s3 + lo;
    const float l = lo - (h - s3);
    const float sa = as_float(((k >> 1) + 127) << 23);
    const float sb = as_float(((k - (k >> 1)) + 127) << 23);
    return (float2) (h * sa * sb, l * sa * sb);
}

/* log(1 + u) for u = uh + ul, uh in [0, 1], as hi + lo (with soma_exp_neg_hilo): f = (u - c0)/(u + c1),
 * c0 = 0, c1 = 2 up to sqrt2 - 1, else c0 = 1, c1 = 3 and ln2 (as hi + lo) added, |f| <= 0.1716;
 * numerator and denominator as hi + lo by fast two-sums (|c| >= u, or c = 0), f = fh + fl with the
 * division's remainder by fma; 2 atanh f = 2f + 2f^3/3 + 2f s^2 (1/5 + ... + s^3/11), s = f^2: 2f^3/3
 * by two-products (1/3 as hi + lo), the s^2 term (<= 6.6e-5) in float, its float error and the
 * series' truncation (2f^13/13) ~2^-36 absolute; relative error of hi + lo ~2^-32 */
static inline float2 soma_log1p_hilo(float uh, float ul) {
    const int big = uh > 0x1.a8279ap-2f;
    const float c0 = big ? -1.0f : 0.0f;
    const float c1 = big ? 3.0f : 2.0f;
    const float nh = c0 + uh;
    const float nl = (uh - (nh - c0)) + ul;
    const float dh = c1 + uh;
    const float dl = (uh - (dh - c1)) + ul;
    const float fh = nh / dh;
    const float fl = (fma(-fh, dh, nh) + fma(-fh, dl, nl)) / dh;
    const float f2 = 2.0f * fh;
    SOMA_TWO_PROD(fh, fh, s, sl);
    /* 2f^3/3 as th + tl: 2f (s + sl) by a two-product, 1/3 as C3 + C3L */
    SOMA_TWO_PROD(f2, s, ah, al0);
    const float al = fma(f2, sl, al0);
    SOMA_TWO_PROD(ah, 0x1.555556p-2f, th, thl);
    const float tl = fma(ah, -0x1.555556p-27f, fma(al, 0x1.555556p-2f, thl));
    /* 2f s^2 (1/5 + s/7 + s^2/9 + s^3/11) */
    const float p = fma(fma(fma(0x1.745d18p-4f, s, 0x1.c71c72p-4f), s, 0x1.24924ap-3f), s, 0x1.99999ap-3f);
    const float ch = big ? 0x1.62e430p-1f : 0.0f;
    const float cl = big ? -0x1.05c610p-29f : 0.0f;
    const float gh = ch + f2;
    const float g2 = gh + th;
    const float gl = fma(ah * s, p, ((f2 - (gh - ch)) + (th - (g2 - gh))) + (fma(2.0f * fl, s, 2.0f * fl) + (cl + tl)));
    const float h = g2 + gl;
    return (float2) (h, gl - (h - g2));
}

/* tanh x = -m/(2+m), m = expm1(-2|x|), with the sign of x (keeps -0; +-inf give +-1) */
static inline float soma_tanh(float x) {
    const float m = soma_expm1(-2.0f * SOMA_FABS(x));
    return SOMA_COPYSIGN(-m / (2.0f + m), x);
}

/* atan of t in [-0.4143, 0.4143] minus t, over t: Cephes atanf's polynomial in z = t^2 */
static inline float soma_atan_poly(float t) {
    const float z = t * t;
    return fma(fma(fma(8.05374449538e-2f, z, -1.38776856032e-1f), z, 1.99777106478e-1f), z, -3.33329491539e-1f) * z * t;
}

/* atan, branch-free: |x| > tan(3pi/8): pi/2 + atan(-1/|x|); |x| > tan(pi/8): pi/4 +
 * atan((|x|-1)/(|x|+1)); else atan |x|; the multiple of pi/4 carried as hi + lo */
static inline float soma_atan(float x) {
    const float ax = SOMA_FABS(x);
    const int big = ax > 0x1.3504f4p1f;
    const int mid = ax > 0x1.a8279ap-2f;
    const float t = (big ? -1.0f : (mid ? ax - 1.0f : ax)) / (big ? ax : (mid ? ax + 1.0f : 1.0f));
    const float y0 = big ? 0x1.921fb6p0f : (mid ? 0x1.921fb6p-1f : 0.0f);
    const float c = big ? -0x1.777a5cp-25f : (mid ? -0x1.777a5cp-26f : 0.0f);
    return SOMA_COPYSIGN(y0 + ((t + soma_atan_poly(t)) + c), x);
}

/* gd x = 2 atan(tanh(x/2)) from one expm1 and one division (as the double version): m = expm1(-|x|),
 * tanh(|x|/2) = -m/(2+m); beyond |x| > 0.8814 (tanh(|x|/2) > tan(pi/8)), atan(tanh(|x|/2)) = pi/4 +
 * atan(-e^-|x|), e^-|x| = 1 + m */
static inline float soma_gd(float x) {
    const float ax = SOMA_FABS(x);
    const float m = soma_expm1(-ax);
    const int mid = ax > 0x1.c34366p-1f;
    const float t = (mid ? -(1.0f + m) : -m) / (mid ? 1.0f : 2.0f + m);
    const float y0 = mid ? 0x1.921fb6p-1f : 0.0f;
    const float c = mid ? -0x1.777a5cp-26f : 0.0f;
    return SOMA_COPYSIGN(2.0f * (y0 + ((t + soma_atan_poly(t)) + c)), x);
}


/* erf, erfc and the normal distribution at precision fast, branch-free with one exponential and
 * one division each (scripts/fit-erf.py fits the coefficients and prints the error bounds):
 *   erfc(a) = e^(-a^2) P(a)/Q(a), a >= 0,
 * with P/Q a rational fitted over the whole range that matters (the kernels in activations.cl fit
 * gelu's Phi(-a) and gelu''s root-free derivative in the same spirit). The
 * exponential: e^-(hi + lo) 2^24 for hi in [0, 104] and |lo| <= ulp(hi) (hi + lo an exact square):
 * k = round(-hi/ln2) by the 1.5*2^23 trick, r = -hi - k ln2 exact by fma for the full-precision
 * float ln2 (k ln2_hi and hi are multiples of 2^-24 or hi < ln2/2), then the low parts; 2^(k+S) is
 * the scale SC: S = 24 keeps it normal down to hi = 104 (a product with a 2^-24-scaled polynomial
 * stays normal as long as the result is), S = 0 needs hi <= 87.65 (k >= -126); the caller evaluates
 * its own polynomial in R. */
#define SOMA_ERF_REDUCE(hi, lo, R, SC, S) \
    float R##_kd = fma((hi), -0x1.715476p0f, 0x1.8p23f); \
    const float SC = as_float((as_int(R##_kd) - (0x4b400000 - 127 - (S))) << 23); \
    R##_kd = R##_kd - 0x1.8p23f; \
    const float R = fma(-R##_kd, 0x1.62e430p-1f, -(hi)) - fma(R##_kd, -0x1.05c610p-29f, (lo))

/* (e^r - 1)/r on |r| <= ln2/2: degree 6, relative error of 1 + r S(r) 1.5e-9 with these float coefficients */
#define SOMA_ERF_EXPM1S(r) fma(fma(fma(fma(fma(fma(0x1.9e8e70p-13f, (r), 0x1.6d95c6p-10f), (r), 0x1.11130cp-7f), \
        (r), 0x1.555482p-5f), (r), 0x1.555554p-3f), (r), 0x1.p-1f), (r), 1.0f)
/* e^r = 1 + r + ... on |r| <= ln2/2: degree 6, relative error 1.8e-8 with these float coefficients */
#define SOMA_ERF_EXP6(r) fma(fma(fma(fma(fma(fma(0x1.6ae6d2p-10f, (r), 0x1.1267e6p-7f), (r), 0x1.555824p-5f), \
        (r), 0x1.555418p-3f), (r), 0x1.fffffcp-2f), (r), 1.0f), (r), 1.0f)
/* degree 5, relative error 9.4e-8 (derivatives) */
#define SOMA_ERF_EXP5(r) fma(fma(fma(fma(fma(0x1.0fa7cap-7f, (r), 0x1.573ae2p-5f), (r), 0x1.555a6ep-3f), \
        (r), 0x1.fffdc4p-2f), (r), 0x1.fffff6p-1f), (r), 1.0f)

/* erf x: |x| < 0.6: x + x Q(x^2) (Q: relative error 1.5e-8); else +-(1 - erfc |x|), erfc |x| =
 * e^-(x^2) P/Q with P/Q fitted over |x| in [0.6, 4] (absolute error 7e-9; |x| clamped to 4, where erf
 * rounds to 1). Both computed, then selected; NaN propagates, -0 and +-inf come out right. */
static inline float soma_erf(float x) {
    const float ax = SOMA_FABS(x);
    const float a = ax > 4.0f ? 4.0f : ax; /* NaN stays NaN */
    const float s = a * a;
    const float q = fma(fma(fma(fma(0x1.27adc8p-8f, s, -0x1.b493d0p-6f), s, 0x1.ce11b0p-4f), s, -0x1.8126f2p-2f),
            s, 0x1.06eba8p-3f);
    const float small = fma(x, q, x);
    /* the numerator scaled by 2^-24 (SC carries 2^24) */
    const float tp = fma(fma(0x1.af4862p-27f, a, 0x1.69dbe8p-25f), a, 0x1.000e46p-24f);
    const float tq = fma(fma(fma(0x1.7c05a0p-2f, a, 0x1.46ce42p+0f), a, 0x1.d64218p+0f), a, 1.0f);
    SOMA_ERF_REDUCE(s, 0.0f, r, sc, 24);
    const float e = (tp / tq) * (SOMA_ERF_EXP6(r) * sc);
    const float big = SOMA_COPYSIGN(1.0f - e, x);
    return ax < 0.6f ? small : big;
}

#endif

/* 0*inf made a NaN from a non-NaN input: the limit there is 0 */
static inline ACC soma_fix0(ACC r, ACC v) {
    return (SOMA_ISNAN(r) && !SOMA_ISNAN(v)) ? (ACC) 0 : r;
}

/* sigma(z) = 1/(1+e^-z) without overflow: t = e^-|z|; z >= 0: 1/(1+t), else t/(1+t) */
static inline ACC soma_sig(ACC z) {
    ACC t = soma_exp(-SOMA_FABS(z));
    return (z >= 0 ? (ACC) 1 : t) / ((ACC) 1 + t);
}

/* sigma'(z) = t/(1+t)^2 */
static inline ACC soma_sigd(ACC z) {
    ACC t = soma_exp(-SOMA_FABS(z));
    ACC u = (ACC) 1 + t;
    return t / (u * u);
}

/* sigma(x) and sigma'(x) of the SIGMOID entry itself (outputs in [0,1]): with ACC=double the same
 * operations as JavaKernels.sigmoidBlocked (e^-min(|x|,110) by a degree-10 polynomial for e^-a/256,
 * fma Horner, squared 8 times; max/min with Java's NaN semantics); with ACC=float soma_sig / soma_sigd */
#if SOMA_FP64
static inline double soma_jmin(double a, double b) {
    return (SOMA_ISNAN(a) || SOMA_ISNAN(b)) ? a + b : (a <= b ? a : b);
}
static inline double soma_jmax(double a, double b) {
    return (SOMA_ISNAN(a) || SOMA_ISNAN(b)) ? a + b : (a >= b ? a : b);
}
static inline double soma_expneg_sq(double a) {
    /* e^-a, a in [0, 110]: JavaKernels.expNegSq's operations (degree-10 polynomial in a by fma
     * Horner, squared 8 times); fma is correctly rounded like Math.fma: the same bits */
    double p = fma(0x1.e74b7cff26cbep-103, a, -0x1.6c1b39e1d3bf6p-91);
    p = fma(p, a, 0x1.9fbe5e6a06281p-80);
    p = fma(p, a, -0x1.a0168aa087aa4p-69);
    p = fma(p, a, 0x1.6c16ac973f057p-58);
    p = fma(p, a, -0x1.111110c4a9361p-47);
    p = fma(p, a, 0x1.5555555412f74p-37);
    p = fma(p, a, -0x1.5555555552a1fp-27);
    p = fma(p, a, 0x1.fffffffffffb8p-18);
    p = fma(p, a, -0x1.0p-8);
    p = fma(p, a, 1.0);
    p = p * p;
    p = p * p;
    p = p * p;
    p = p * p;
    p = p * p;
    p = p * p;
    p = p * p;
    p = p * p;
    return p;
}
static inline double soma_sigmoid_fn(double v) {
    const double t = soma_expneg_sq(soma_jmin(SOMA_FABS(v), 110.0));
    return soma_jmax(t, soma_jmin(soma_jmax(v * 0x1.0p1000, 0.0), 1.0)) / (1.0 + t);
}
static inline double soma_sigmoid_d(double v) {
    const double t = soma_expneg_sq(soma_jmin(SOMA_FABS(v), 110.0));
    const double w = 1.0 + t;
    return t / (w * w);
}

/* gelu and gelu' with ACC=double (precision exact): the operations of JavaKernels.gelu, geluQ, cdfOf,
 * geluOf, geluMask and geluDOf in their order (fma where Java has Math.fma, soma_jmin/jmax for
 * Math.min/max), so the same bits. Phi(-a) = q = t Q(t) e, a = |x|, t = 6/(6+a), e = e^-min(x^2/2, 110)
 * (x^2/2 exact for a float x); Q of degree 17 in t - 0.64 (scripts/fit-gelu.py); Phi(x) = max(q, [x > 0] - q);
 * phi(x) = e [x^2/2 < inf]/sqrt(2 pi); gelu's x clamped to -DBL_MAX so that gelu(-inf) = +0, gelu''s to
 * [-15, 15] (e is clamped at e^-110 beyond |x| = 14.83) so that gelu'(-inf) = +0, gelu'(+inf) = 1; no select
 * on data (POCL vectorises it) */
static inline double soma_gelu_q(double t) {
    double s = t - 0.64;
    double p = fma(0x1.ca618e869c0d0p-9, s, -0x1.1003b33f51a19p-7);
    p = fma(p, s, -0x1.a42e34ff4df12p-7);
    p = fma(p, s, 0x1.1f388a6fa9f42p-6);
    p = fma(p, s, 0x1.5d4a0e4fba290p-5);
    p = fma(p, s, -0x1.b88382e201462p-8);
    p = fma(p, s, -0x1.dccba4828fd60p-4);
    p = fma(p, s, -0x1.1e3643fc539f7p-3);
    p = fma(p, s, 0x1.924daa6603401p-4);
    p = fma(p, s, 0x1.40853172e2fc6p-1);
    p = fma(p, s, 0x1.42c5cea5ad94ap+0);
    p = fma(p, s, 0x1.b99b50d921d5cp+0);
    p = fma(p, s, 0x1.d59496aa35215p+0);
    p = fma(p, s, 0x1.98b7a62041fb2p+0);
    p = fma(p, s, 0x1.2a7b44bd404c4p+0);
    p = fma(p, s, 0x1.7225adb5d96e1p-1);
    p = fma(p, s, 0x1.87337353c2e4fp-2);
    p = fma(p, s, 0x1.5f53b2dbee0b1p-3);
    return p;
}
static inline double soma_gelu_cdf(double v, double q) {
    return soma_jmax(q, soma_jmin(soma_jmax(v * 0x1.0p1000, 0.0), 1.0) - q);
}
static inline double soma_gelu_fn(double v) {
    const double t = 6.0 / (6.0 + SOMA_FABS(v));
    const double q = t * soma_gelu_q(t) * soma_expneg_sq(soma_jmin(0.5 * (v * v), 110.0));
    /* +0 at v = -inf, -0 for every other v */
    const double z = soma_jmax(soma_jmin(v, -0x1.fffffffffffffp1023) + 0x1.fffffffffffffp1023, -1.0) * -0.0;
    return soma_jmax(v, -0x1.fffffffffffffp1023) * soma_gelu_cdf(v, q) + z;
}
static inline double soma_gelu_d(double v) {
    const double t = 6.0 / (6.0 + SOMA_FABS(v));
    const double h = 0.5 * (v * v);
    const double e = soma_expneg_sq(soma_jmin(h, 110.0));
    const double q = t * soma_gelu_q(t) * e;
    const double phi = e * soma_jmin(soma_jmax(0x1.fffffffffffffp1023 - h, 0.0), 1.0) * 0x1.9884533d43651p-2;
    return fma(soma_jmax(soma_jmin(v, 15.0), -15.0), phi, soma_gelu_cdf(v, q));
}
#else
#define soma_sigmoid_fn(v) soma_sig(v)
#define soma_sigmoid_d(v) soma_sigd(v)
#endif

/* softplus(z) = max(z,0) + log1p(e^-|z|), NaN propagates */
static inline ACC soma_sp(ACC z) {
    return (z > 0 ? z : (ACC) 0) + soma_log1pu(soma_exp(-SOMA_FABS(z)));
}

/* ---- noisy relu's counter-based normal noise (dev.soma.cpu.JavaKernels.noise) ---- */

static inline ulong soma_mix64(ulong z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
    return z ^ (z >> 31);
}

/* log of t in (0, 1] (a positive normal float) for the noise: soma_logf's reduction and series with
 * every Horner step and the final sums as fma (JavaKernels.noiseLog) */
static inline float soma_noise_log(float t) {
    SOMA_LOG_REDUCE(t, e, f);
    const float s = f * f;
    const float p = fma(fma(fma(fma(0x1.745d18p-4f, s, 0x1.c71c72p-4f), s, 0x1.24924ap-3f), s, 0x1.99999ap-3f),
            s, 0x1.555556p-2f);
    const float f2 = 2.0f * f;
    const float lm = fma(f2, s * p, f2);
    const float ef = (float) e;
    return fma(ef, 0x1.62e4p-1f, fma(ef, 0x1.7f7d1cp-20f, lm));
}

/* Noisy ReLU's noise, Box-Muller over pairs: elements 2P and 2P+1 take the two normals of pair P,
 * drawn from one 64-bit hash z = mix64(key + (P + 1) phi64), key = mix64(seed): SplitMix64's output
 * P from state key (the + 1 keeps seed 0's first pair off z = 0, the extreme radius). Radius:
 * u = (top 23 bits of z + 1/2) 2^-23 in (0,1) (exact in float), r = sqrt(-2 log u) in [3.5e-4, 5.77].
 * Angle: g = (low 21 bits + 1/2) 2^-21 (exact), (c, s) = (cos, sin)(g pi/4) by polynomials in g^2 (scripts/fit-noise.py), then
 * bit 21 swaps c and s and bits 22 and 23 flip the signs: each of the circle's eight octants with
 * probability 1/8, so the angle is uniform. In float from + - * sqrt fma and soma_noise_log only, with
 * correctly rounded sqrt: the same bits at either precision and on every device, and in Java
 * (JavaKernels.noisePair). Measured on every grid point against double: r 1.46 ulp, s 1.68, c 1.00;
 * each normal within 3.2e-7 relative of r cos or r sin of the same bits. */
static inline float2 soma_noise_pair(ulong key, ulong pair) {
    const ulong z = soma_mix64(key + (pair + 1) * 0x9E3779B97F4A7C15UL);
    const float u = ((float) (int) (z >> 41) + 0.5f) * 0x1.0p-23f;
    const uint lo = (uint) z;
    const float g = ((float) (int) (lo & 0x1fffffu) + 0.5f) * 0x1.0p-21f;
    const float r = sqrt(-2.0f * soma_noise_log(u));
    const float g2 = g * g;
    const float s = g * fma(fma(fma(fma(0x1.4bc2c0p-22f, g2, -0x1.32ca86p-15f), g2, 0x1.466bbap-9f), g2,
            -0x1.4abbcep-4f), g2, 0x1.921fb6p-1f);
    const float c = fma(g2, fma(fma(fma(fma(-0x1.a1e5bep-26f, g2, 0x1.e1ec68p-19f), g2, -0x1.55d3c2p-12f), g2,
            0x1.03c1f0p-6f), g2, -0x1.3bd3ccp-2f), 1.0f);
    const int swap = (lo >> 21) & 1;
    const float a = swap ? s : c;
    const float b = swap ? c : s;
    /* bit 22 and bit 23 of lo moved to the sign bit */
    return (float2) (as_float(as_uint(r * a) ^ ((lo << 9) & 0x80000000u)),
                     as_float(as_uint(r * b) ^ ((lo << 8) & 0x80000000u)));
}

/* n ~ N(0,1) of element index: the pair's first normal for an even index, its second for an odd one */
static inline float soma_noise(ulong seed, ulong index) {
    const float2 n = soma_noise_pair(soma_mix64(seed), index >> 1);
    return (index & 1) ? n.y : n.x;
}
