/*
 * soma element-wise activations, forward (DERIV=0) and derivative (DERIV=1).
 *
 * Build options: -DACT=<SOMA_ACT_* id> -DDERIV=0|1 plus the prelude's REAL / ACC / SOMA_FP64.
 * One program per (ACT, DERIV); the formula is chosen here at compile time.
 *
 * Every formula matches dev.soma.cpu.JavaKernels operation for operation (computed in ACC, rounded
 * once to REAL). Special values: NaN in gives NaN out everywhere (no fmax/fmin: they drop NaN);
 * +-inf gives the mathematical limit; relu(-0) = +0; identity-like functions keep -0.
 */
#ifndef ACT
#error "activations.cl needs -DACT=<SOMA_ACT_* id>"
#endif
#ifndef DERIV
#error "activations.cl needs -DDERIV=0|1"
#endif

/* The formula of (ACT, DERIV) for one element v: slope = PReLU's slope for this element (ignored
 * otherwise), index = the element's global index and seed = noisy ReLU's seed (its noise is
 * soma_noise(seed, index); both ignored otherwise). Used by soma_activation below and by fused
 * kernels that concatenate this file after the prelude. */
static inline ACC soma_act(const ACC v, const float p0, const float p1, const float slope,
                           const ulong index, const ulong seed) {
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
    const ACC f = soma_exp(-a * soma_sp(-v));
#if DERIV
    r = a * f * soma_sig(-v);
#else
    r = f;
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
#if DERIV
    r = K(0x1.20dd750429b6dp0) * soma_exp_negsq(v, K(1.0));
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
#if DERIV
    r = (w > 0 && w < 1) ? a : (SOMA_ISNAN(w) ? w : zero);
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
    const ACC w = v + (ACC) p0 * (ACC) soma_noise(seed, index);
#if DERIV
    r = w > 0 ? one : (SOMA_ISNAN(w) ? w : zero);
#else
    r = w > 0 ? w : (SOMA_ISNAN(w) ? w : zero);
#endif

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
#if DERIV
    r = v > 0 ? one : soma_exp(v / a);
#else
    r = v > 0 ? v : a * soma_expm1(v / a);
#endif

#elif ACT == SOMA_ACT_SOFTPLUS
    const ACC b = (ACC) p0;
#if DERIV
    r = soma_sig(b * v);
#else
    /* max(x,0) + log1p(e^-|bx|)/b: exact everywhere, no cut-over */
    const ACC z = b * v;
    r = (v > 0 ? v : zero) + soma_log1pu(soma_exp(-SOMA_FABS(z))) / b;
#endif

#elif ACT == SOMA_ACT_LOG_SIGMOID
#if DERIV
    r = soma_sig(-v);
#else
    r = (v < 0 ? v : zero) - soma_log1pu(soma_exp(-SOMA_FABS(v)));
#endif

#elif ACT == SOMA_ACT_GELU
#if DERIV
    /* 0 at -inf and 1 at +inf (the formula gives inf*0 there) */
    const ACC cdf = K(0.5) * soma_erfc(-v * K(0x1.6a09e667f3bcdp-1));
    const ACC pdf = K(0x1.9884533d43651p-2) * soma_exp_negsq(v, K(0.5));
    r = SOMA_ISINF(v) ? (v > 0 ? one : zero) : cdf + v * pdf;
#else
    /* 0.5*x*erfc(-x/sqrt2): full relative accuracy for x << 0 */
    r = soma_fix0(K(0.5) * v * soma_erfc(-v * K(0x1.6a09e667f3bcdp-1)), v);
#endif

#elif ACT == SOMA_ACT_GELU_TANH
    /* 0.5x(1+tanh u) = x*sigma(2u), u = sqrt(2/pi)*x*(1 + 0.044715x^2) */
#if DERIV
    /* 0 / 1 beyond |x| > 1e4 (selected: no branch, so POCL vectorises) */
    const ACC x2 = v * v;
    const ACC z = K(2.0) * (K(0x1.9884533d43651p-1) * v * (one + K(0.044715) * x2));
    /* s + 2x u' s(1-s) over one denominator: (n w + 2x u' t)/w^2, n = z >= 0 ? 1 : t (one division:
     * two get paired into <2 x double> by clang's SLP vectoriser, and POCL's work-item vectoriser
     * then gives up on the kernel) */
    const ACC t = soma_exp(-SOMA_FABS(z));
    const ACC w = one + t;
    const ACC nw = (z >= 0 ? one : t) * w;
    const ACC du = K(0x1.9884533d43651p-1) * (one + K(0.134145) * x2);
    const ACC rr = (nw + K(2.0) * v * du * t) / (w * w);
    r = SOMA_FABS(v) > K(1e4) ? (v > 0 ? one : zero) : rr;
#else
    const ACC x2 = v * v;
    const ACC z = K(2.0) * (K(0x1.9884533d43651p-1) * v * (one + K(0.044715) * x2));
    r = soma_fix0(v * soma_sig(z), v);
#endif

#elif ACT == SOMA_ACT_SILU
    const ACC z = soma_fix0((ACC) p0 * v, v);
#if DERIV
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
    const ACC e = soma_exp(-SOMA_FABS(v));
    const ACC m = e * (e + K(2.0));
    const ACC qn = m + K(2.0);
    const ACC a = one + K(2.0) * e;
    const ACC qp = a + K(2.0) * e * e;
    /* select the operands, not two results: two parallel formulas get paired into <2 x double> by
     * clang's SLP vectoriser, and POCL's work-item vectoriser then gives up on the whole kernel */
    const int neg = v <= 0;
    const ACC num = neg ? m : a;
    const ACC q = neg ? qn : qp;
#if DERIV
    const ACC w = neg ? v * e : v * (e * e);
    const ACC rr = num / q + K(4.0) * w * (one + e) / (q * q);
    r = SOMA_ISINF(v) ? (v > 0 ? one : zero) : rr;
#else
    const ACC tt = num / q;
    r = neg ? soma_fix0(v * tt, v) : v * tt;
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
#else
    const uint gid = get_global_id(0);
    if (gid >= n) {
        return;
    }
    const float slope = 0.0f;
#endif
    y[gid] = (REAL) soma_act((ACC) x[gid], p0, p1, slope, index0 + (ulong) gid, seed);
}
