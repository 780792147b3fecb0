/*
 * soma element-wise activations, forward (DERIV=0) and derivative (DERIV=1).
 *
 * Build options: -DACT=<SOMA_ACT_* id> -DDERIV=0|1 plus the prelude's REAL / ACC / SOMA_FP64.
 * One program per (ACT, DERIV); the formula is chosen here at compile time.
 *
 * Every formula matches dev.soma.cpu.JavaKernels operation for operation (computed in ACC, rounded
 * once to REAL). Special values: NaN in gives NaN out everywhere (no fmax/fmin: they drop NaN);
 * +-inf gives the mathematical limit; relu(-0) = +0; identity-like functions keep -0.
 *
 * Flushed tails (precision fast, SOMA_FLUSHED): an x86 CPU without flush-to-zero (POCL) takes a
 * microcode assist of about a hundred cycles for each vector instruction that makes or reads a
 * subnormal float. Where a result is below the normal range over a whole band of inputs that
 * networks produce (gelu for |x| > 13.146246, gelu' 13.341882, gelu_tanh 10.100636 and 10.235, erf'
 * 9.351862: the last floats whose result is normal, from mpmath), the kernel computes at that
 * threshold instead and returns the flushed result: -0 or +0 on the vanishing side, and on the other
 * x or 1, which is the rounded true value there. Every normal result is still computed; below the
 * normal range the accuracy contract already lets a device flush (a result within 2^-126 of a
 * subnormal reference counts as exact). Before, gelu, gelu_tanh and erf' ran 5 to 9 times slower on
 * POCL over such inputs. The functions whose tails underflow only beyond |x| = 87 (sigmoid, silu,
 * mish, ...) are left as they are.
 */
#ifndef ACT
#error "activations.cl needs -DACT=<SOMA_ACT_* id>"
#endif
#ifndef DERIV
#error "activations.cl needs -DDERIV=0|1"
#endif
/* r where flush is 0, fl where it is 1 (r finite there). Not a select: LLVM turns a select between an
 * expensive value and a constant into a branch, then computes that value in its arm from the unclamped
 * argument (which equals the clamped one there), and POCL's if-converted loop then runs that code on
 * every lane, subnormals included. fma(r, 1, -0) = r exactly, -0 included; r 0 + fl = fl up to the sign
 * of a flushed zero (-0 where r < 0, as the kernels' flushed values are) */
#define SOMA_FLUSHED(flush, r, fl) fma((r), (flush) ? 0.0f : 1.0f, (flush) ? (fl) : -0.0f)
#ifndef SOMA_P0_ONE
#define SOMA_P0_ONE 0
#endif
/* elements per work-item of soma_activation (1-D range; PReLU's 2-D range always takes one) */
#ifndef SOMA_ITEMS
#define SOMA_ITEMS 1
#endif

/* noisy ReLU of v with scale p0 and noise n: w = v + p0 n, then max(0, w) (f) or [w > 0] (f'), NaN kept */
static inline ACC soma_noisy(const ACC v, const float p0, const float n) {
#if SOMA_FP64
    const ACC w = v + (ACC) p0 * (ACC) n; /* the product is exact in double */
#else
    const ACC w = fma((ACC) p0, (ACC) n, v); /* one rounding */
#endif
#if DERIV
    return w > 0 ? (ACC) 1 : (SOMA_ISNAN(w) ? w : (ACC) 0);
#else
    return w > 0 ? w : (SOMA_ISNAN(w) ? w : (ACC) 0);
#endif
}

/* The formula of (ACT, DERIV) for one element v: slope = PReLU's slope for this element (ignored
 * otherwise), index = the element's global index and seed = noisy ReLU's seed (its noise is
 * soma_noise(seed, index); both ignored otherwise). Used by soma_activation below and by fused
 * kernels that concatenate this file after the prelude. */
static inline ACC soma_act(const ACC v, const float p0_arg, const float p1, const float slope,
                           const ulong index, const ulong seed) {
    /* -DSOMA_P0_ONE=1: the host saw the first parameter equal to 1 (silu's b, softplus's b, celu's a,
     * the generalised logistic's a, ... at their defaults), and the compiler folds it away */
    const float p0 = SOMA_P0_ONE ? 1.0f : p0_arg;
    const ACC one = (ACC) 1;
    const ACC zero = (ACC) 0;
    ACC r;

#if ACT == SOMA_ACT_IDENTITY
#if DERIV
    r = SOMA_ISNAN(v) ? v : one;
#else
    r = v;
#endif

#elif ACT == SOMA_ACT_BINARY_STEP
#if DERIV
    r = SOMA_ISNAN(v) ? v : zero;
#else
    r = v >= 0 ? one : (SOMA_ISNAN(v) ? v : zero);
#endif

#elif ACT == SOMA_ACT_SIGMOID
#if DERIV
    r = soma_sigmoid_d(v);
#else
    r = soma_sigmoid_fn(v);
#endif

#elif ACT == SOMA_ACT_GENERALIZED_LOGISTIC
    /* f = exp(-a*sp(-x)); f' = a*f*sigma(-x) */
    const ACC a = (ACC) p0;
#if SOMA_FP64
    const ACC f = soma_exp(-a * soma_sp(-v));
#if DERIV
    r = a * f * soma_sig(-v);
#else
    r = f;
#endif
#else
    /* a = 1: f = sigma(x) and f' = sigma(x) sigma(-x) = sigma'(x), sigmoid's own float forms (one
     * exponential, no log1p). A branch on the uniform a, not a select, so that SOMA_P0_ONE=1 folds it
     * to this arm alone and any other build (fused dense kernels) gives the same bits for a = 1 */
    if (p0 == 1.0f) {
#if DERIV
        return soma_sigd(v);
#else
        return soma_sig(v);
#endif
    }
    /* a != 1: f = e^-L, L = a sp(-x) = a (m + log1p(e)), m = max(-x,0), e = e^-|x|. An absolute error of
     * L is f's relative error, so L is carried as hi + lo: e as eh + el (soma_exp_neg_hilo, relative error
     * ~2^-34), log1p(e) as lh + ll (soma_log1p_hilo, relative error ~2^-32), m + lh by a two-sum (m
     * exact), a times that by a two-product (lo: fma), then soma_exp_hls(-L_hi, -L_lo). Only the log1p
     * term is inexact, so L's error is at most ~L 2^-32, whatever a is: f's relative error is at most
     * ~1.5 2^-24 (soma_exp_hls and the rounding of f) + L 2^-32 (<= 0.35 2^-24 where f is a normal
     * float, L < 87.4), i.e. about 2 ULP for every a, within the 4-ULP bar at any a (until a > 2^100
     * meets an e below 2^-126, where e loses bits). Measured forward max 1.12 ULP for a in 0.25 ... 4096
     * (GeneralizedLogisticAccuracyTest); the float form before this one, with log1p(e) in float, had
     * a 3 2^-24 log1p(e) error: 4.73 ULP at a = 3.9, 105 ULP at a = 64. */
    const float2 eh = soma_exp_neg_hilo(SOMA_FABS(v));
    const float e = eh.x;
    const float2 lg = soma_log1p_hilo(eh.x, eh.y);
    const float m = v < 0 ? -v : 0.0f;
    const float sh = m + lg.x;
    const float sv = sh - m;
    const float sl = ((m - (sh - sv)) + (lg.x - sv)) + lg.y;
    SOMA_TWO_PROD(a, sh, ph, pl0);
    const float pl1 = fma(a, sl, pl0);
    const float pl = SOMA_ISINF(ph) ? 0.0f : pl1; /* x = -inf, or a m beyond the float range: f = 0 */
    const float f = soma_exp_hls(-ph, -pl, 0);
#if DERIV
    r = a * f * ((v <= 0 ? one : e) / (one + e));
#else
    r = f;
#endif
#endif

#elif ACT == SOMA_ACT_TANH
#if DERIV
    /* 4u/(1+u)^2, u = e^-2|x|: no cancellation for large |x| */
    const ACC u = soma_exp(K(-2.0) * SOMA_FABS(v));
    const ACC w = one + u;
    r = K(4.0) * u / (w * w);
#else
    r = soma_tanh(v);
#endif

#elif ACT == SOMA_ACT_ARCTAN
#if DERIV
    /* (1/x)^2 beyond 1e18, where x^2 would overflow a float ACC */
    r = SOMA_FABS(v) > K(1e18) ? (one / v) * (one / v) : one / (one + v * v);
#else
    r = soma_atan(v);
#endif

#elif ACT == SOMA_ACT_GUDERMANNIAN
#if DERIV
    /* sech x = 2u/(1+u^2), u = e^-|x| */
    const ACC u = soma_exp(-SOMA_FABS(v));
    r = K(2.0) * u / (one + u * u);
#else
    r = soma_gd(v);
#endif

#elif ACT == SOMA_ACT_ERF
#if DERIV && SOMA_FP64
    r = K(0x1.20dd750429b6dp0) * soma_exp_negsq(v, K(1.0));
#elif DERIV
    /* (2/sqrt(pi)) e^-(hi + lo), hi + lo = a^2 exactly (the rounding of a^2 would cost up to 100 ulp);
     * the polynomial carries 2/sqrt(pi) 2^-24. +0 beyond |x| = 9.351862 (SOMA_FLUSHED) */
    const float amax = 0x1.2b4274p+3f;
    const float ax = SOMA_FABS(v);
    const int flush = ax > amax;
    const float a = flush ? amax : ax; /* NaN stays NaN */
    const float hi = a * a;
    const float lo = fma(a, a, -hi);
    SOMA_ERF_REDUCE(hi, lo, rr, sc, 24);
    r = SOMA_FLUSHED(flush, fma(fma(fma(fma(fma(0x1.3287c4p-31f, rr, 0x1.834b28p-29f), rr, 0x1.812d06p-27f), rr,
            0x1.20dc32p-25f), rr, 0x1.20dd70p-24f), rr, 0x1.20dd76p-24f) * sc, 0.0f);
#else
    r = soma_erf(v);
#endif

#elif ACT == SOMA_ACT_ALGEBRAIC_SIGMOID
#if DERIV
    /* r^3, r = 1/sqrt(1+x^2): underflows gracefully instead of overflowing (1+x^2)^1.5 */
    const ACC q = one / sqrt(one + v * v);
    r = q * q * q;
#else
    /* x^2 overflows float beyond 1.8e19: the value is +-1 there */
    r = SOMA_FABS(v) > K(1e18) ? SOMA_COPYSIGN(one, v) : v / sqrt(one + v * v);
#endif

#elif ACT == SOMA_ACT_SOFTSIGN
#if DERIV
    const ACC q = one / (one + SOMA_FABS(v));
    r = q * q;
#else
    r = SOMA_ISINF(v) ? SOMA_COPYSIGN(one, v) : v / (one + SOMA_FABS(v));
#endif

#elif ACT == SOMA_ACT_HARD_SIGMOID
    const ACC a = (ACC) p0;
#if SOMA_FP64
    const ACC w = a * v + (ACC) p1; /* a*v is exact in double: one rounding, like fma */
#else
    const ACC w = fma(a, v, (ACC) p1); /* one rounding: no cancellation where w ~ 0 */
#endif
#if DERIV && SOMA_FP64
    r = (w > 0 && w < 1) ? a : (SOMA_ISNAN(w) ? w : zero);
#elif DERIV
    /* 0 < a x + b < 1 decided exactly, also where w rounded onto 0 or 1: fma keeps the sign of a x + b;
     * a x + b - 1 = fma(a, x, u) + ue with b - 1 = u + ue (TwoSum) */
    const float b1 = (ACC) p1;
    const float u = b1 - 1.0f;
    const float bb = u - b1;
    const float ue = (b1 - (u - bb)) + (-1.0f - bb);
    const float d1 = fma(a, v, u) + ue;
    r = (w > 0 && d1 < 0) ? a : (SOMA_ISNAN(w) ? w : zero);
#else
    r = w < 0 ? zero : (w > 1 ? one : w);
#endif

#elif ACT == SOMA_ACT_RELU
#if DERIV
    r = v > 0 ? one : (SOMA_ISNAN(v) ? v : zero);
#else
    r = v > 0 ? v : (SOMA_ISNAN(v) ? v : zero);
#endif

#elif ACT == SOMA_ACT_RELU6
#if DERIV
    r = (v > 0 && v < 6) ? one : (SOMA_ISNAN(v) ? v : zero);
#else
    r = v > 0 ? (v < 6 ? v : K(6.0)) : (SOMA_ISNAN(v) ? v : zero);
#endif

#elif ACT == SOMA_ACT_LEAKY_RELU || ACT == SOMA_ACT_PRELU
#if ACT == SOMA_ACT_PRELU
    const float af = slope;
#else
    const float af = p0;
#endif
    const ACC a = (ACC) af;
#if DERIV
    r = v > 0 ? one : (SOMA_ISNAN(v) ? v : a);
#else
    /* alpha = 0 at -inf: the limit 0 (with the sign alpha*x has for finite x) */
    r = v >= 0 ? v : ((a == 0 && v < 0) ? -a : a * v);
#endif

#elif ACT == SOMA_ACT_THRESHOLDED_RELU
#if DERIV
    r = v > (ACC) p0 ? one : (SOMA_ISNAN(v) ? v : zero);
#else
    r = v > (ACC) p0 ? v : (SOMA_ISNAN(v) ? v : zero);
#endif

#elif ACT == SOMA_ACT_NOISY_RELU
    r = soma_noisy(v, p0, soma_noise(seed, index));

#elif ACT == SOMA_ACT_ELU
    const ACC a = (ACC) p0;
#if DERIV
    r = v > 0 ? one : a * soma_exp(v);
#else
    r = v > 0 ? v : a * soma_expm1(v);
#endif

#elif ACT == SOMA_ACT_SELU
    /* alpha, lambda and lambda*alpha at ACC precision (Activation.SELU_ALPHA / SELU_LAMBDA) */
#if DERIV
    r = v > 0 ? K(1.0507009873554804934193349852946) : K(0x1.c212cc640f03p0) * soma_exp(v);
#else
    r = v > 0 ? K(1.0507009873554804934193349852946) * v : K(0x1.c212cc640f03p0) * soma_expm1(v);
#endif

#elif ACT == SOMA_ACT_CELU
    const ACC a = (ACC) p0;
#if DERIV && !SOMA_FP64
    /* e^(x/a) with x/a as q + lo (lo = (x - q a)/a, the fma residual exact): the rounding of x/a would
     * cost |x/a| ulp */
    const float q = v / a;
    const float ql = SOMA_ISINF(q) ? 0.0f : fma(-q, a, v) / a;
    r = v > 0 ? one : soma_exp_hls(q, ql, 0);
#elif DERIV
    r = v > 0 ? one : soma_exp(v / a);
#else
    r = v > 0 ? v : a * soma_expm1(v / a);
#endif

#elif ACT == SOMA_ACT_SOFTPLUS
    const ACC b = (ACC) p0;
#if SOMA_FP64
    const ACC z = b * v;
    const ACC t = soma_exp(-SOMA_FABS(z));
#else
    /* t = e^-|bx| with bx as hi + lo: its rounding would cost |bx| ulp where bx << 0; t may flush below
     * 2^-126: softplus and sigma(bx) are then below the normal range too, or t is lost beside max(x, 0) */
    SOMA_TWO_PROD(b, v, z, zl0);
    const float zl = (SOMA_P0_ONE || SOMA_ISINF(z) || SOMA_ISNAN(z)) ? 0.0f : zl0;
    const float t = soma_exp_neg_ftz(z < 0 ? z : -z, SOMA_P0_ONE ? -0.0f : (z < 0 ? zl : -zl));
#endif
#if DERIV
    r = (z >= 0 ? one : t) / (one + t); /* sigma(bx) */
#else
    /* max(x,0) + log1p(e^-|bx|)/b: exact everywhere, no cut-over */
    r = (v > 0 ? v : zero) + soma_log1pu(t) / b;
#endif

#elif ACT == SOMA_ACT_LOG_SIGMOID
#if DERIV
    r = soma_sig(-v);
#else
#if SOMA_FP64
    r = (v < 0 ? v : zero) - soma_log1pu(soma_exp(-SOMA_FABS(v)));
#else
    /* e^-|x| may flush below 2^-126: the result is then below the normal range (x > 0) or e is lost beside x */
    r = (v < 0 ? v : zero) - soma_log1pu(soma_exp_neg_ftz(-SOMA_FABS(v), -0.0f));
#endif
#endif

#elif ACT == SOMA_ACT_GELU
#if SOMA_FP64
    /* x Phi(x), Phi(x) + x phi(x) with Phi(-|x|) = t Q(t) e^-(x^2/2): opencl/prelude.cl, soma_gelu_fn */
#if DERIV
    r = soma_gelu_d(v);
#else
    r = soma_gelu_fn(v);
#endif
#else
    /* a = |x|, e = e^(-a^2/2) with a^2/2 = hi + lo exactly (its rounding would cost up to 90 ulp in the
     * tail), times fitted factors (scripts/fit-erf.py); in gelu' their coefficients carry 2^-24 while e
     * carries 2^24, so that every intermediate stays normal while the result is. Flushed beyond
     * |x| = 13.146246 (gelu) and 13.341882 (gelu'): -0 for x < 0; x and 1 for x > 0 (SOMA_FLUSHED) */
    const float ax = SOMA_FABS(v);
    const float amax = DERIV ? 0x1.aaf0b2p+3f : 0x1.a4ae0cp+3f;
    const int flush = ax > amax;
    const float a = flush ? amax : ax; /* NaN stays NaN */
    const float h = 0.5f * a;
    const float hi = h * a;
    const float lo = fma(h, a, -hi);
#if DERIV
    /* gelu'(x) = Phi(x) + x phi(x): for x < 0, e W(a) with W(a) = Phi(-a)/e - a/sqrt(2 pi); for x > 0,
     * 1 - e W(a) (gelu'(x) = 1 - gelu'(-x)). W has the root a0 = 0.7517915 (gelu''s root, where the two
     * terms cancel): W = (a - a0) G(a), G = P/Q fitted (relative error 2.1e-8; a rational in a, whose
     * evaluation loses up to ~4 units of 2^-24 but costs less than gelu's corrected t below), a - a0 from
     * a0 = hi + lo */
    const float gp = fma(fma(fma(fma(-0x1.4f89b8p-31f, a, -0x1.82d108p-28f), a, -0x1.7fe1b4p-26f), a,
            -0x1.8038a2p-25f), a, -0x1.54851ap-25f);
    const float gq = fma(fma(fma(fma(0x1.a48812p-6f, a, 0x1.bd4ceap-3f), a, 0x1.931022p-1f), a, 0x1.64d9e2p+0f), a,
            1.0f);
    const float d = (a - 0x1.80ead2p-1f) - -0x1.a03fd4p-27f;
    SOMA_ERF_REDUCE(hi, lo, rr, sc, 24);
    const float w = ((d * gp) / gq) * (SOMA_ERF_EXP5(rr) * sc);
    r = SOMA_FLUSHED(flush, v < 0 ? w : 1.0f - w, v < 0 ? -0.0f : 1.0f);
#else
    /* gelu(x) = x Phi(x) = max(x, -0) - a Phi(-a): one fma, no select. a Phi(-a) = y e, y = a t R(t),
     * t = 1/(1 + q a), R of degree 9 fitted in t - 1/2 (relative error 2e-8, q = 0.265; a polynomial in |t - 1/2|
     * <= 1/2: its evaluation loses little). t's roundings (of 1 + q a and of the division) move a by up to
     * 2^-23/q, which y would feel 3-fold: the residuals give t = t_true (1 - ep) exactly to first order,
     * i.e. t belongs to a + da, da = ep (1/q + a), and a A(a) = y (1 + (M - a) da), M = phi/Phi(-a) the
     * inverse Mills ratio; (M - a)(1/q + a) = 0.664 + 2.323 t within 7.4%, and the factor joins the
     * exponent. e y = y + y r S(r) (S = (e^r - 1)/r) rounds once. */
    const float den = fma(0x1.0f5c28p-2f, a, 1.0f);
    const float t = 1.0f / den;
    const float u = t - 0.5f; /* exact (t >= 0.22) */
    const float rt = fma(fma(fma(fma(fma(fma(fma(fma(fma(-0x1.285930p-11f, u, 0x1.02169cp-5f), u, -0x1.59cb9cp-6f), u,
            -0x1.241c12p-4f), u, -0x1.1ca8a6p-8f), u, 0x1.577104p-3f), u, 0x1.502a0ep-2f), u, 0x1.82bf3ep-2f), u,
            0x1.404b52p-2f), u, 0x1.977960p-3f);
    const float y = (a * t) * rt;
    const float dl = fma(0x1.0f5c28p-2f, a, 1.0f - den); /* 1 + q a - den; 1 - den is exact */
    const float ep = fma(-t, dl, fma(-t, den, 1.0f));
    SOMA_ERF_REDUCE(hi, lo, r0, sc, 0);
    const float rr = fma(ep, fma(0x1.2954d6p+1f, t, 0x1.53feb2p-1f), r0);
    const float m = v < 0 ? -0.0f : v; /* keeps -0 (and +0), NaN */
    r = SOMA_FLUSHED(flush, fma(-fma(y * rr, SOMA_ERF_EXPM1S(rr), y), sc, flush ? -0.0f : m), m);
#endif
#endif

#elif ACT == SOMA_ACT_GELU_TANH
    /* 0.5x(1+tanh u) = x*sigma(2u), u = sqrt(2/pi)*x*(1 + 0.044715x^2) */
#if SOMA_FP64
    const ACC x2 = v * v;
    const ACC z = K(2.0) * (K(0x1.9884533d43651p-1) * v * (one + K(0.044715) * x2));
#if DERIV
    /* s + 2x u' s(1-s) over one denominator: (n w + 2x u' t)/w^2, n = z >= 0 ? 1 : t (one division:
     * two get paired into <2 x double> by clang's SLP vectoriser, and POCL's work-item vectoriser
     * then gives up on the kernel); 0 / 1 beyond |x| > 1e4 (selected: no branch, so POCL vectorises) */
    const ACC t = soma_exp(-SOMA_FABS(z));
    const ACC w = one + t;
    const ACC nw = (z >= 0 ? one : t) * w;
    const ACC du = K(0x1.9884533d43651p-1) * (one + K(0.134145) * x2);
    r = SOMA_FABS(v) > K(1e4) ? (v > 0 ? one : zero) : (nw + K(2.0) * v * du * t) / (w * w);
#else
    r = soma_fix0(v * soma_sig(z), v);
#endif
#else
    /* z = 2u(a), a = |x|, to about 2^-40 as hi + lo (its float rounding would cost |z| ulp in sigma's
     * tail): a^2, 0.044715 a^2, 1 + that (TwoSum) and the products carried as hi + lo. Flushed beyond
     * |x| = 10.100636 (f) and 10.235 (f'): -0 for x < 0; x and 1 for x > 0 (SOMA_FLUSHED) */
    const float amax = DERIV ? 0x1.47851ep+3f : 0x1.43386ap+3f;
    const float ax = SOMA_FABS(v);
    const int flush = ax > amax;
    const float a = flush ? amax : ax; /* NaN stays NaN */
    SOMA_TWO_PROD(a, a, x2, ql);
    SOMA_TWO_PROD(x2, 0x1.6e4e26p-5f, m, ml);
    const float mlo = fma(ql, 0x1.6e4e26p-5f, fma(x2, 0x1.a9003ep-30f, ml)); /* low parts: fma is fine */
    const float w1 = 1.0f + m;
    const float wb = w1 - 1.0f;
    const float wl = ((1.0f - (w1 - wb)) + (m - wb)) + mlo;
    SOMA_TWO_PROD(a, w1, y, yl0);
    const float yl = fma(a, wl, yl0);
    SOMA_TWO_PROD(y, 0x1.988454p0f, zh, zl0);
    const float zl = fma(yl, 0x1.988454p0f, fma(y, -0x1.857936p-25f, zl0));
    /* T = e^-z 2^24 (erf's exponential, opencl/prelude.cl: 2^(k+24) and its polynomial), normal
     * while the results are; W = 2^24 (1 + e^-z) */
    SOMA_ERF_REDUCE(zh, zl, rr, sc, 24);
#if DERIV
    /* x sigma(2u) differentiated: (n w + g t)/w^2, w = 1 + t, t = e^-z, g = 2x u'(x), n = 1 for x >= 0;
     * for x < 0 (sigma = t/w) t (w + g)/w^2. With T and W: (W + g T)/(W w), T (w + g)/(W w) */
    const float ts = SOMA_ERF_EXP5(rr) * sc;
    const float ww = ts + 0x1.0p24f;
    const float w = fma(ts, 0x1.0p-24f, one);
    const float xc = v < 0 ? -a : a;
    const float g = xc * fma(0x1.b6676cp-3f, x2, 0x1.988454p0f); /* 2x sqrt(2/pi) (1 + 3 0.044715 x^2) */
    const float rr2 = (v < 0 ? ts * (w + g) : fma(g, ts, ww)) / (ww * w);
    /* the two terms cancel around the root x0 = -0.7524614: there d P(d), d = x - x0 */
    const float d = (v - -0x1.8142a0p-1f) - 0x1.85a06cp-27f;
    const float near = SOMA_ROOT_POLY(d, 0x1.b8bacep-2f, 0x1.8cd1a2p-2f, -0x1.029616p-6f, -0x1.d2b76cp-4f,
            -0x1.104a90p-6f, 0x1.427270p-6f, 0x1.58c784p-8f, -0x1.38c118p-9f, -0x1.dff87ep-11f);
    r = SOMA_FLUSHED(flush, SOMA_FABS(d) < 0.25f ? near : rr2, v < 0 ? -0.0f : 1.0f);
#else
    /* x sigma(2u): x >= 0: x/(1 + t); x < 0: x t/(1 + t) = x T/W; x T = xs (1 + r S(r)) with xs = x 2^(k+24)
     * (exact) rounds once; x clamped like a */
    const float s1 = SOMA_ERF_EXPM1S(rr);
    const float ww = fma(sc, fma(rr, s1, one), 0x1.0p24f);
    const float xl = flush ? (v < 0 ? -amax : amax) : v;
    const float xs = xl * sc;
    r = SOMA_FLUSHED(flush, (v < 0 ? fma(xs * rr, s1, xs) : xl) / (v < 0 ? ww : ww * 0x1.0p-24f),
                     v < 0 ? -0.0f : v);
#endif
#endif

#elif ACT == SOMA_ACT_SILU
#if SOMA_FP64
    const ACC z = soma_fix0((ACC) p0 * v, v);
#else
    /* z = b x as hi + lo: its rounding would cost |z| ulp in sigma's tail and all bits at the root */
    SOMA_TWO_PROD((float) p0, v, zh0, zl0);
    const float z = soma_fix0(zh0, v);
    const float zl = (SOMA_P0_ONE || SOMA_ISINF(zh0) || SOMA_ISNAN(zh0)) ? 0.0f : zl0;
    const int neg = z < 0;
#endif
#if DERIV && !SOMA_FP64
    /* t = e^-|z|, times 2^24 where z < 0 (ts), as in the forward direction */
    const int sc = neg ? 24 : 0;
    const float down = sc ? 0x1.0p-24f : 1.0f;
    const float ts = soma_exp_neg_hls(neg ? z : -z, SOMA_P0_ONE ? -0.0f : (neg ? zl : -zl), sc);
    const float t = ts * down;
    /* z < 0: sigma = t/w, 1 - sigma = 1/w, f' = t (1 + z + t)/w^2; z >= 0: (w + z t)/w^2 (w = 1 + t): one
     * division, and 1 + z exact where the sum cancels */
    const float w = one + t;
    const float zc = SOMA_P0_ONE ? one + z : (one + z) + zl;
    const float num = neg ? ts * (zc + t) : fma(z, t, w);
    const float rr = num / (w * w) * down;
    /* (1 + z) + t cancels around the root z0 = -1.2784645 (1 + z is exact there; t's rounding costs about
     * 0.2/|d| ulp, 5.2 at |d| = 0.1, measured on every float in [-3, -0.25]): there d P(d), d = z - z0,
     * P of degree 4 on |d| < 0.125 */
    const float d = (z - -0x1.474974p0f) + (zl - 0x1.bdf6fap-27f);
    const float near = d * fma(fma(fma(fma(-0x1.afc9dap-8f, d, -0x1.f2bba8p-7f), d, 0x1.353e4cp-6f), d,
            0x1.2c5634p-3f), d, 0x1.be1410p-3f);
    r = SOMA_ISINF(z) ? (z > 0 ? one : zero) : (SOMA_FABS(d) < 0.125f ? near : rr);
#elif !SOMA_FP64
    /* x t/(1+t), t = e^-|z|, with t scaled by 2^24 where z < 0 (t is subnormal below -87 while x t is
     * not yet) and the product scaled back, exactly, at the end */
    const int sc = neg ? 24 : 0;
    const float down = sc ? 0x1.0p-24f : 1.0f;
    const float ts = soma_exp_neg_hls(neg ? z : -z, SOMA_P0_ONE ? -0.0f : (neg ? zl : -zl), sc);
    const float t = ts * down;
    r = soma_fix0(v * ((neg ? ts : one) / (one + t)) * down, v);
#elif DERIV
    /* 1 / 0 at z = +-inf */
    const ACC t = soma_exp(-SOMA_FABS(z));
    const ACC w = one + t;
    const ACC s = (z >= 0 ? one : t) / w;
    const ACC sm = (z >= 0 ? t : one) / w;
    r = SOMA_ISINF(z) ? (z > 0 ? one : zero) : s * (one + z * sm);
#else
    r = soma_fix0(v * soma_sig(z), v);
#endif

#elif ACT == SOMA_ACT_MISH
    /* T = tanh(softplus x) from one exponential e = e^-|x|; derivative without 1 - T^2 cancellation.
     * x <= 0: m = e(e+2), T = m/(m+2); x > 0: T = (1+2e)/(1+2e+2e^2). Both forms, then a select. */
#if SOMA_FP64
    const ACC e = soma_exp(-SOMA_FABS(v));
#else
    /* e scaled by 2^24 for x <= 0, where x T ~ x e stays normal after e is subnormal (see silu) */
    const int sc = v <= 0 ? 24 : 0;
    const float down = sc ? 0x1.0p-24f : 1.0f;
    const float es = soma_exp_neg_hls(-SOMA_FABS(v), -0.0f, sc);
    const float e = es * down;
#endif
    const ACC m = e * (e + K(2.0));
    const ACC qn = m + K(2.0);
    const ACC a = one + K(2.0) * e;
    const ACC qp = a + K(2.0) * e * e;
    /* select the operands, not two results: two parallel formulas get paired into <2 x double> by
     * clang's SLP vectoriser, and POCL's work-item vectoriser then gives up on the whole kernel */
    const int neg = v <= 0;
    const ACC num = neg ? m : a;
    const ACC q = neg ? qn : qp;
#if DERIV && SOMA_FP64
    const ACC w = neg ? v * e : v * (e * e);
    const ACC rr = num / q + K(4.0) * w * (one + e) / (q * q);
    r = SOMA_ISINF(v) ? (v > 0 ? one : zero) : rr;
#elif DERIV
    const float ms = fma(es, e, 2.0f * es); /* e(e+2) in one rounding */
    const float w = neg ? v * es : v * (e * e);
    /* over one denominator: one division */
    const float rr = (((neg ? ms : num) * q + 4.0f * w * (one + e)) / (q * q)) * down;
    /* the two terms cancel around the root x0 = -1.1924312: there d P(d), d = x - x0 */
    const float d = (v - -0x1.31432cp0f) - -0x1.a25b08p-29f;
    const float near = SOMA_ROOT_FMA(d, 0x1.115accp-2f, 0x1.a34a26p-3f, 0x1.574f14p-5f, -0x1.4c23bap-6f,
            -0x1.0337e2p-6f, -0x1.b7ce88p-9f, 0x1.1fb944p-10f, 0x1.f8d19ap-11f, 0x1.d65e8ep-13f);
    r = SOMA_ISINF(v) ? (v > 0 ? one : zero) : (SOMA_FABS(d) < 0.5f ? near : rr);
#elif SOMA_FP64
    const ACC tt = num / q;
    r = neg ? soma_fix0(v * tt, v) : v * tt;
#else
    const float ms = fma(es, e, 2.0f * es); /* e(e+2) in one rounding */
    const float tt = (neg ? ms : num) / q;
    r = (neg ? soma_fix0(v * tt, v) : v * tt) * down;
#endif

#elif ACT == SOMA_ACT_HARD_SWISH
#if DERIV
    /* w*(1/6) instead of w/6: w = 2x+3 or x(x+3) is exact in double (at most 49 bits), so w/6 is
     * never within 20 double ulps of a float rounding boundary unless it lies on one, where
     * w*(1/6) is exact too (1/6 is 2^-54 relatively low): the same float as the division */
    r = v < -3 ? zero : (v > 3 ? one : (K(2.0) * v + K(3.0)) * K(0x1.5555555555555p-3));
#else
    r = v <= -3 ? zero : (v >= 3 ? v : v * (v + K(3.0)) * K(0x1.5555555555555p-3));
#endif

#else
#error "activations.cl: unknown ACT"
#endif

    return r;
}

/* x and y may be the same buffer: no restrict */
kernel void soma_activation(global const REAL* x, global REAL* y, const uint n,
                            const float p0, const float p1,
                            global const float* slopes, const uint nslopes,
                            const ulong seed, const ulong index0) {
#if ACT == SOMA_ACT_PRELU
    /* a 2-D range over the rows x nslopes tensor (dimension 0 the column, 1 the row), so that no
       work-item divides by the column count: integer division does not vectorise. The host takes
       the leaky_relu program for a single slope. */
    const uint col = get_global_id(0);
    const uint gid = get_global_id(1) * nslopes + col;
    if (col >= nslopes || gid >= n) {
        return;
    }
    const float slope = slopes[col];
#elif ACT == SOMA_ACT_NOISY_RELU && SOMA_ITEMS % 2 == 0
    /* noisy ReLU, SOMA_ITEMS / 2 pairs per work-item: Box-Muller gives the noise of elements 2P and
       2P + 1 together (soma_noise_pair), so each pair is drawn once. Pair j of work-item lid of group
       g is g * (lsize * SOMA_ITEMS / 2) + j * lsize + lid. The noise's pairs are these local pairs
       because index0 is even (the host passes 0). (On POCL the two elements' accesses become a gather
       and a scatter. Tried and dropped: moving each pair as one 64-bit word halved the vector width,
       twice the instructions per element; a separate unguarded branch for whole groups compiled to
       scalar code.) */
    const uint lsize = (uint) get_local_size(0);
    const uint base = (uint) get_group_id(0) * (lsize * (SOMA_ITEMS / 2)) + (uint) get_local_id(0);
    const ulong key = soma_mix64(seed);
    const float q0 = SOMA_P0_ONE ? 1.0f : p0;
#pragma unroll
    for (uint j = 0; j < SOMA_ITEMS / 2; j++) {
        const uint pr = base + j * lsize;
        const uint e = 2 * pr;
        if (e < n) {
            const float2 nz = soma_noise_pair(key, (index0 >> 1) + (ulong) pr);
            y[e] = (REAL) soma_noisy((ACC) x[e], q0, nz.x);
            if (e + 1 < n) {
                y[e + 1] = (REAL) soma_noisy((ACC) x[e + 1], q0, nz.y);
            }
        }
    }
#elif SOMA_ITEMS > 1
    /* SOMA_ITEMS elements per work-item (the tuner's choice per device): element i of work-item lid
       of group g is g * (lsize * SOMA_ITEMS) + i * lsize + lid, so that at each i neighbouring
       work-items take neighbouring elements (coalesced on GPUs; on CPUs POCL still vectorises across
       work-items: the loop has a constant trip count and is unrolled, its guard a plain predicate) */
    const uint lsize = (uint) get_local_size(0);
    const uint base = (uint) get_group_id(0) * (lsize * SOMA_ITEMS) + (uint) get_local_id(0);
#pragma unroll
    for (uint i = 0; i < SOMA_ITEMS; i++) {
        const uint gid = base + i * lsize;
        if (gid < n) {
            y[gid] = (REAL) soma_act((ACC) x[gid], p0, p1, 0.0f, index0 + (ulong) gid, seed);
        }
    }
#else
    const uint gid = get_global_id(0);
    if (gid >= n) {
        return;
    }
    const float slope = 0.0f;
#endif
#if ACT == SOMA_ACT_PRELU || SOMA_ITEMS == 1
    y[gid] = (REAL) soma_act((ACC) x[gid], p0, p1, slope, index0 + (ulong) gid, seed);
#endif
}
