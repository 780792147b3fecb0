/*
 * soma softmax / log-softmax over the rows of a row-major rows x cols matrix, forward and backward.
 *
 * Build options: -DLOG=0|1 (log-softmax), -DWG=<work-group size, a power of two> for the *_group
 * kernels, plus the prelude's REAL / ACC / SOMA_FP64.
 *
 *   *_item : one work-item per row (CPU devices); global size >= rows.
 *   *_group: one work-group of WG items per row (GPUs); global size rows*WG, local size WG.
 *
 * Forward: m = row max; cnt = number of entries equal to m, rest = sum of e^(x_j - m) over the
 * others, in ACC (Kahan-compensated when ACC=float); y = e^(x - m) * (1/(cnt + rest)) or
 * (x - m) - lse with lse = log1p(rest) when cnt = 1 (a dominant entry keeps full accuracy), else
 * log(cnt + rest). Special rows: a NaN anywhere makes the row NaN; k entries of +inf give 1/k
 * there and 0 elsewhere (log: -log k and -inf); an all -inf row gives 0 (log: -inf).
 * Backward: softmax dx = y (dy - sum_j dy_j y_j); log-softmax dx = dy - e^y sum_j dy_j.
 * y may be x and dx may be dy (each element is read and written by the same work-item).
 * The _item kernels sum in the order of dev.soma.cpu.JavaKernels and give bit-identical results
 * with ACC=double; the _group kernels sum in a tree (agreement to rounding of the ACC sum).
 */
#ifndef LOG
#error "softmax.cl needs -DLOG=0|1"
#endif
#ifndef WG
#define WG 64
#endif

/* max that keeps NaN (fmax would drop it) */
static inline ACC soma_maxnan(ACC m, ACC v) {
    return (v > m || isnan(v)) ? v : m;
}

/* the 1/k (or -log k) given to each +inf entry of a row with k of them */
static inline ACC soma_inf_share(ACC k) {
#if LOG
    return (ACC) 0 - soma_log(k);
#else
    return (ACC) 1 / k;
#endif
}

/* e^(x - m) for x <= m. With ACC=float x - m is carried as hi + lo (TwoSum), so its rounding
 * (relative |x - m| 2^-24, up to ~40 ulp at x - m = -80) does not reach the exponential */
static inline ACC soma_exp_diff(ACC x, ACC m) {
#if SOMA_FP64
    return soma_exp(x - m);
#else
    const float d = x - m;
    const float bb = d - x;
    const float lo = (x - (d - bb)) + (-m - bb);
    const float e = exp(d);
    return isinf(x) ? e : e + e * lo;
#endif
}

/* (x - m) - lse, the log-softmax output, with the same hi + lo for x - m when ACC=float */
static inline ACC soma_log_out(ACC x, ACC m, ACC lse) {
#if SOMA_FP64
    return (x - m) - lse;
#else
    const float d = x - m;
    const float bb = d - x;
    const float lo = (x - (d - bb)) + (-m - bb);
    return isinf(x) ? d - lse : (d - lse) + lo;
#endif
}

/* log(1 + r), r >= 0. Double: from soma_log only (bit-identical to JavaMath.log1p) */
static inline ACC soma_log1p(ACC r) {
#if SOMA_FP64
    const double u = 1.0 + r;
    return u == 1.0 ? r : soma_log(u) * (r / (u - 1.0));
#else
    return log1p(r);
#endif
}

/* log of the row sum cnt + rest, where cnt counts the entries equal to the max (each e^0 = 1) and
 * rest sums the others: log1p(rest) when cnt = 1 keeps full accuracy for a dominant entry */
static inline ACC soma_lse(ACC cnt, ACC rest) {
    return cnt == (ACC) 1 ? soma_log1p(rest) : soma_log(cnt + rest);
}

/* one step of the row sum: plain in double, Kahan-compensated in float (65,536-wide rows) */
#if SOMA_FP64
#define SOMA_SUM_ADD(sum, comp, term) do { (sum) += (term); } while (0)
#else
#define SOMA_SUM_ADD(sum, comp, term) do { const float y_ = (term) - (comp); const float t_ = (sum) + y_; \
        (comp) = (t_ - (sum)) - y_; (sum) = t_; } while (0)
#endif

kernel void soma_softmax_item(global const REAL* x, global REAL* y, const uint rows, const uint cols) {
    const uint row = get_global_id(0);
    if (row >= rows || cols == 0) {
        return;
    }
    const size_t o = (size_t) row * cols;
    ACC m = -SOMA_INF;
    for (uint j = 0; j < cols; j++) {
        m = soma_maxnan(m, (ACC) x[o + j]);
    }
    if (isnan(m)) {
        for (uint j = 0; j < cols; j++) {
            y[o + j] = (REAL) NAN;
        }
    } else if (m == SOMA_INF) {
        uint k = 0;
        for (uint j = 0; j < cols; j++) {
            k += (x[o + j] == INFINITY) ? 1 : 0;
        }
        const REAL in = (REAL) soma_inf_share((ACC) k);
        const REAL out = LOG ? (REAL) (-INFINITY) : (REAL) 0;
        for (uint j = 0; j < cols; j++) {
            y[o + j] = (x[o + j] == INFINITY) ? in : out;
        }
    } else if (m == -SOMA_INF) {
        for (uint j = 0; j < cols; j++) {
            y[o + j] = LOG ? (REAL) (-INFINITY) : (REAL) 0;
        }
    } else {
        ACC rest = 0;
        ACC comp = 0;
        uint cnt = 0;
        for (uint j = 0; j < cols; j++) {
            const ACC v = (ACC) x[o + j];
            if (v == m) {
                cnt++;
            } else {
                SOMA_SUM_ADD(rest, comp, soma_exp_diff(v, m));
            }
        }
#if LOG
        const ACC lse = soma_lse((ACC) cnt, rest);
        for (uint j = 0; j < cols; j++) {
            y[o + j] = (REAL) soma_log_out((ACC) x[o + j], m, lse);
        }
#else
        const ACC inv = (ACC) 1 / ((ACC) cnt + rest);
        for (uint j = 0; j < cols; j++) {
            y[o + j] = (REAL) (soma_exp_diff((ACC) x[o + j], m) * inv);
        }
#endif
    }
}

/* tree reductions over the WG partials in scratch; all items must call them (they hold barriers) */
static inline ACC soma_reduce_max(local ACC* scratch, const uint lid, ACC v) {
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint s = WG / 2; s > 0; s >>= 1) {
        if (lid < s) {
            scratch[lid] = soma_maxnan(scratch[lid], scratch[lid + s]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const ACC r = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

static inline ACC soma_reduce_sum(local ACC* scratch, const uint lid, ACC v) {
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint s = WG / 2; s > 0; s >>= 1) {
        if (lid < s) {
            scratch[lid] = scratch[lid] + scratch[lid + s];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const ACC r = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

kernel void soma_softmax_group(global const REAL* x, global REAL* y, const uint rows, const uint cols) {
    local ACC scratch[WG];
    const uint row = get_group_id(0);
    const uint lid = get_local_id(0);
    if (row >= rows || cols == 0) {
        return; /* the whole group leaves: no barrier is skipped by only some items */
    }
    const size_t o = (size_t) row * cols;
    ACC m = -SOMA_INF;
    for (uint j = lid; j < cols; j += WG) {
        m = soma_maxnan(m, (ACC) x[o + j]);
    }
    m = soma_reduce_max(scratch, lid, m);
    if (isnan(m)) {
        for (uint j = lid; j < cols; j += WG) {
            y[o + j] = (REAL) NAN;
        }
    } else if (m == SOMA_INF) {
        ACC k = 0;
        for (uint j = lid; j < cols; j += WG) {
            k += (x[o + j] == INFINITY) ? (ACC) 1 : (ACC) 0;
        }
        k = soma_reduce_sum(scratch, lid, k);
        const REAL in = (REAL) soma_inf_share(k);
        const REAL out = LOG ? (REAL) (-INFINITY) : (REAL) 0;
        for (uint j = lid; j < cols; j += WG) {
            y[o + j] = (x[o + j] == INFINITY) ? in : out;
        }
    } else if (m == -SOMA_INF) {
        for (uint j = lid; j < cols; j += WG) {
            y[o + j] = LOG ? (REAL) (-INFINITY) : (REAL) 0;
        }
    } else {
        ACC rest = 0;
        ACC comp = 0;
        ACC cnt = 0;
        for (uint j = lid; j < cols; j += WG) {
            const ACC v = (ACC) x[o + j];
            if (v == m) {
                cnt += (ACC) 1;
            } else {
                SOMA_SUM_ADD(rest, comp, soma_exp_diff(v, m));
            }
        }
        rest = soma_reduce_sum(scratch, lid, rest);
        cnt = soma_reduce_sum(scratch, lid, cnt);
#if LOG
        const ACC lse = soma_lse(cnt, rest);
        for (uint j = lid; j < cols; j += WG) {
            y[o + j] = (REAL) soma_log_out((ACC) x[o + j], m, lse);
        }
#else
        const ACC inv = (ACC) 1 / (cnt + rest);
        for (uint j = lid; j < cols; j += WG) {
            y[o + j] = (REAL) (soma_exp_diff((ACC) x[o + j], m) * inv);
        }
#endif
    }
}

/* one backward term: softmax y(dy - s) with s = sum dy*y; log-softmax dy - e^y s with s = sum dy */
static inline REAL soma_softmax_dx(ACC yv, ACC dyv, ACC s) {
#if LOG
    return (REAL) (dyv - soma_exp(yv) * s);
#else
    return (REAL) (yv * (dyv - s));
#endif
}

static inline ACC soma_softmax_term(ACC yv, ACC dyv) {
#if LOG
    return dyv;
#else
    return dyv * yv;
#endif
}

kernel void soma_softmax_backward_item(global const REAL* y, global const REAL* dy, global REAL* dx,
                                       const uint rows, const uint cols) {
    const uint row = get_global_id(0);
    if (row >= rows || cols == 0) {
        return;
    }
    const size_t o = (size_t) row * cols;
    ACC s = 0;
    ACC comp = 0;
    for (uint j = 0; j < cols; j++) {
        SOMA_SUM_ADD(s, comp, soma_softmax_term((ACC) y[o + j], (ACC) dy[o + j]));
    }
    for (uint j = 0; j < cols; j++) {
        dx[o + j] = soma_softmax_dx((ACC) y[o + j], (ACC) dy[o + j], s);
    }
}

kernel void soma_softmax_backward_group(global const REAL* y, global const REAL* dy, global REAL* dx,
                                        const uint rows, const uint cols) {
    local ACC scratch[WG];
    const uint row = get_group_id(0);
    const uint lid = get_local_id(0);
    if (row >= rows || cols == 0) {
        return;
    }
    const size_t o = (size_t) row * cols;
    ACC s = 0;
    ACC comp = 0;
    for (uint j = lid; j < cols; j += WG) {
        SOMA_SUM_ADD(s, comp, soma_softmax_term((ACC) y[o + j], (ACC) dy[o + j]));
    }
    s = soma_reduce_sum(scratch, lid, s);
    for (uint j = lid; j < cols; j += WG) {
        dx[o + j] = soma_softmax_dx((ACC) y[o + j], (ACC) dy[o + j], s);
    }
}
