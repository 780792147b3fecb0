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

#if SOMA_FP64

/* e^x for x in [-708, 709] (0 below, +inf above; NaN gives NaN): Cody-Waite reduction, Taylor degree 12,
 * scale by 2^k from the exponent bits. Same operations as JavaMath.exp. */
static inline double soma_exp(double x) {
    double a = x < -708.0 ? -708.0 : (x > 709.0 ? 709.0 : x);
    double kd = a * 0x1.71547652b82fep0 + 0x1.8p52;
    long k = as_long(kd);
    kd = kd - 0x1.8p52;
    double r = (a - kd * 0x1.62e42feep-1) - kd * 0x1.a39ef35793c76p-33;
    double p = 1.0 + r * (1.0 + r * (0x1.0p-1 + r * (0x1.5555555555555p-3 + r * (0x1.5555555555555p-5
            + r * (0x1.1111111111111p-7 + r * (0x1.6c16c16c16c17p-10 + r * (0x1.a01a01a01a01ap-13
            + r * (0x1.a01a01a01a01ap-16 + r * (0x1.71de3a556c734p-19 + r * (0x1.27e4fb7789f5cp-22
            + r * (0x1.ae64567f544e4p-26 + r * 0x1.1eed8eff8d898p-29)))))))))));
    double e = p * as_double((k + 1023L) << 52);
    return x < -708.0 ? 0.0 : (x > 709.0 ? (double) INFINITY : e);
}

/* log of a positive normal double from + - * / and the exponent bits (JavaMath.log). */
static inline double soma_log(double x) {
    long bits = as_long(x);
    long e = (long) (((ulong) bits >> 52) & 0x7ffUL) - 1023L;
    double m = as_double((bits & 0xfffffffffffffL) | 0x3ff0000000000000L);
    if (m > 0x1.6a09e667f3bcdp0) {
        m = m * 0.5;
        e = e + 1;
    }
    double f = (m - 1.0) / (m + 1.0);
    double s = f * f;
    double p = 0x1.5555555555555p-2 + s * (0x1.999999999999ap-3 + s * (0x1.2492492492492p-3
            + s * (0x1.c71c71c71c71cp-4 + s * (0x1.745d1745d1746p-4 + s * (0x1.3b13b13b13b14p-4
            + s * (0x1.1111111111111p-4 + s * (0x1.e1e1e1e1e1e1ep-5 + s * (0x1.af286bca1af28p-5
            + s * (0x1.8618618618618p-5 + s * 0x1.642c8590b2164p-5)))))))));
    double lm = 2.0 * f + 2.0 * f * (s * p);
    return (double) e * 0x1.62e42fefa39efp-1 + lm;
}

static inline double soma_tanh(double x) {
    return tanh(x);
}

/* e^(-c*x^2): in double the rounding of x^2 is harmless (JavaKernels does the same) */
static inline double soma_exp_negsq(double x, double c) {
    return soma_exp(-c * (x * x));
}

#else /* ACC = float */

static inline float soma_exp(float x) {
    return exp(x);
}

/* tanh that reaches +-1 exactly: some float libraries (POCL) stop one ulp short of 1 even at inf */
static inline float soma_tanh(float x) {
    return fabs(x) > 9.1f ? copysign(1.0f, x) : tanh(x);
}

/* e^(-c*x^2) for c = 1 or 1/2 with x^2 carried as hi + lo, so the rounding of x^2 (relative
 * 2^-24, amplified by c*x^2 in the exponential) does not cost up to ~100 ulp in the tails */
static inline float soma_exp_negsq(float x, float c) {
    float hi = x * x;
    float lo = fma(x, x, -hi);
    float e = exp(-c * hi);
    return isinf(hi) ? 0.0f : e - e * (c * lo);
}

/* log of a positive normal float from + - * / and the exponent bits. */
static inline float soma_log(float x) {
    int bits = as_int(x);
    int e = ((bits >> 23) & 0xff) - 127;
    float m = as_float((bits & 0x7fffff) | 0x3f800000);
    if (m > 0x1.6a09e6p0f) {
        m = m * 0.5f;
        e = e + 1;
    }
    float f = (m - 1.0f) / (m + 1.0f);
    float s = f * f;
    float p = 0x1.555556p-2f + s * (0x1.99999ap-3f + s * (0x1.24924ap-3f + s * (0x1.c71c72p-4f
            + s * 0x1.745d18p-4f)));
    float lm = 2.0f * f + 2.0f * f * (s * p);
    return (float) e * 0x1.62e430p-1f + lm;
}

#endif

/* 0*inf made a NaN from a non-NaN input: the limit there is 0 */
static inline ACC soma_fix0(ACC r, ACC v) {
    return (isnan(r) && !isnan(v)) ? (ACC) 0 : r;
}

/* sigma(z) = 1/(1+e^-z) without overflow: t = e^-|z|; z >= 0: 1/(1+t), else t/(1+t) */
static inline ACC soma_sig(ACC z) {
    ACC t = soma_exp(-fabs(z));
    return (z >= 0 ? (ACC) 1 : t) / ((ACC) 1 + t);
}

/* sigma'(z) = t/(1+t)^2 */
static inline ACC soma_sigd(ACC z) {
    ACC t = soma_exp(-fabs(z));
    ACC u = (ACC) 1 + t;
    return t / (u * u);
}

/* sigma(x) and sigma'(x) of the SIGMOID entry itself (outputs in [0,1]): with ACC=double the same
 * operations as JavaKernels.sigmoidBlocked (e^-min(|x|,110) by a degree-13 Taylor polynomial at
 * -a/256 squared 8 times; max/min with Java's NaN semantics); with ACC=float soma_sig / soma_sigd */
#if SOMA_FP64
static inline double soma_jmin(double a, double b) {
    return (isnan(a) || isnan(b)) ? a + b : (a <= b ? a : b);
}
static inline double soma_jmax(double a, double b) {
    return (isnan(a) || isnan(b)) ? a + b : (a >= b ? a : b);
}
static inline double soma_expneg_sq(double a) {
    double u = -a * 0x1.0p-8;
    double p = 1.0 + u * (1.0 + u * (0x1.0p-1 + u * (0x1.5555555555555p-3 + u * (0x1.5555555555555p-5
            + u * (0x1.1111111111111p-7 + u * (0x1.6c16c16c16c17p-10 + u * (0x1.a01a01a01a01ap-13
            + u * (0x1.a01a01a01a01ap-16 + u * (0x1.71de3a556c734p-19 + u * (0x1.27e4fb7789f5cp-22
            + u * (0x1.ae64567f544e4p-26 + u * (0x1.1eed8eff8d898p-29 + u * 0x1.6124613a86d09p-33))))))))))));
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
    const double t = soma_expneg_sq(soma_jmin(fabs(v), 110.0));
    return soma_jmax(t, soma_jmin(soma_jmax(v * 0x1.0p1000, 0.0), 1.0)) / (1.0 + t);
}
static inline double soma_sigmoid_d(double v) {
    const double t = soma_expneg_sq(soma_jmin(fabs(v), 110.0));
    const double w = 1.0 + t;
    return t / (w * w);
}
#else
#define soma_sigmoid_fn(v) soma_sig(v)
#define soma_sigmoid_d(v) soma_sigd(v)
#endif

/* softplus(z) = max(z,0) + log1p(e^-|z|), NaN propagates */
static inline ACC soma_sp(ACC z) {
    return (z > 0 ? z : (ACC) 0) + log1p(soma_exp(-fabs(z)));
}

/* ---- noisy relu's counter-based normal noise (dev.soma.cpu.JavaKernels.noise) ---- */

static inline ulong soma_mix64(ulong z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
    return z ^ (z >> 31);
}

/* Acklam's inverse normal CDF for p in (0,1), from + - * / sqrt and soma_log only */
static inline ACC soma_inverse_normal(ACC p) {
    if (p < K(0.02425)) {
        ACC q = sqrt(K(-2.0) * soma_log(p));
        return (((((K(-7.784894002430293e-03) * q + K(-3.223964580411365e-01)) * q + K(-2.400758277161838e+00)) * q
                + K(-2.549732539343734e+00)) * q + K(4.374664141464968e+00)) * q + K(2.938163982698783e+00))
                / ((((K(7.784695709041462e-03) * q + K(3.224671290700398e-01)) * q + K(2.445134137142996e+00)) * q
                + K(3.754408661907416e+00)) * q + K(1.0));
    }
    if (p > K(1.0) - K(0.02425)) {
        ACC q = sqrt(K(-2.0) * soma_log(K(1.0) - p));
        return -(((((K(-7.784894002430293e-03) * q + K(-3.223964580411365e-01)) * q + K(-2.400758277161838e+00)) * q
                + K(-2.549732539343734e+00)) * q + K(4.374664141464968e+00)) * q + K(2.938163982698783e+00))
                / ((((K(7.784695709041462e-03) * q + K(3.224671290700398e-01)) * q + K(2.445134137142996e+00)) * q
                + K(3.754408661907416e+00)) * q + K(1.0));
    }
    ACC q = p - K(0.5);
    ACC r = q * q;
    return (((((K(-3.969683028665376e+01) * r + K(2.209460984245205e+02)) * r + K(-2.759285104469687e+02)) * r
            + K(1.383577518672690e+02)) * r + K(-3.066479806614716e+01)) * r + K(2.506628277459239e+00)) * q
            / (((((K(-5.447609879822406e+01) * r + K(1.615858368580409e+02)) * r + K(-1.556989798598866e+02)) * r
            + K(6.680131188771972e+01)) * r + K(-1.328068155288572e+01)) * r + K(1.0));
}

/* n ~ N(0,1) for (seed, index), rounded to float: z = mix64(mix64(seed) + index*phi64), u in (0,1) */
static inline float soma_noise(ulong seed, ulong index) {
    ulong z = soma_mix64(soma_mix64(seed) + index * 0x9E3779B97F4A7C15UL);
#if SOMA_FP64
    double u = ((double) (z >> 12) + 0.5) * 0x1.0p-52;
#else
    float u = ((float) (uint) (z >> 41) + 0.5f) * 0x1.0p-23f;
#endif
    return (float) soma_inverse_normal(u);
}
