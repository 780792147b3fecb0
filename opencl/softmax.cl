/*
 * soma softmax / log-softmax over the rows of a row-major rows x cols matrix, forward and backward.
 *
 * Build options: -DLOG=0|1 (log-softmax), -DWG=<work-group size, a power of two> for the *_group
 * kernels, plus the prelude's REAL / ACC / SOMA_FP64.
 *
 *   *_group: one work-group of WG items per row (GPUs and other non-CPU devices); global size
 *            rows*WG, local size WG.
 *   the split kernels: CPU devices at precision exact (see there).
 *   *_rows: CPU devices at precision fast, one float16 work-item per row (at the end).
 *
 * Forward: m = row max; cnt = number of entries equal to m, rest = sum of e^(x_j - m) over the
 * others, in ACC (Kahan-compensated when ACC=float); y = e^(x - m) * (1/(cnt + rest)) or
 * (x - m) - lse with lse = log1p(rest) when cnt = 1 (a dominant entry keeps full accuracy), else
 * log(cnt + rest). Special rows: a NaN anywhere makes the row NaN; k entries of +inf give 1/k
 * there and 0 elsewhere (log: -log k and -inf); an all -inf row gives 0 (log: -inf).
 * Backward: softmax dx = y (dy - sum_j dy_j y_j); log-softmax dx = dy - e^y sum_j dy_j.
 * y may be x and dx may be dy (each element is read and written by the same work-item).
 * The split kernels sum in the order of dev.soma.cpu.JavaKernels and give bit-identical results
 * with ACC=double; the _group kernels sum in a tree (agreement to rounding of the ACC sum), the
 * _rows kernels in 16 Kahan-compensated lanes joined by exact two-sums.
 */
#ifndef LOG
#error "softmax.cl needs -DLOG=0|1"
#endif
#ifndef WG
#define WG 64
#endif

/* max that keeps NaN (fmax would drop it) */
static inline ACC soma_maxnan(ACC m, ACC v) {
    return (v > m || SOMA_ISNAN(v)) ? v : m;
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
    return soma_exp_hls(d, SOMA_ISINF(d) ? 0.0f : lo, 0); /* x = -inf, or x - m beyond -FLT_MAX: lo is NaN */
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
    return SOMA_ISINF(d) ? d - lse : (d - lse) + lo; /* x = -inf, or x - m beyond -FLT_MAX: lo is NaN */
#endif
}

/* log(1 + r), r >= 0. Double: from soma_log only (bit-identical to JavaMath.log1p) */
static inline ACC soma_log1p(ACC r) {
#if SOMA_FP64
    const double u = 1.0 + r;
    return u == 1.0 ? r : soma_log(u) * (r / (u - 1.0));
#else
    /* soma_log1pu covers [0, 1]; above, 1 + r rounds by at most 2^-24 relative and log(1 + r) >= ln 2 */
    const float u = soma_log1pu(r > 1.0f ? 0.0f : r);
    const float w = soma_log(1.0f + r);
    return r > 1.0f ? w : u;
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
    if (SOMA_ISNAN(m)) {
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

/*
 * The split path, for CPU devices. A CPU OpenCL compiler vectorises across work-items, never a loop
 * inside one, so the per-row kernels above run their exponentials one lane at a time. Here each
 * exponential is its own work-item (element-wise, vectorised) and only cheap operations stay in
 * per-row loops:
 *   soma_softmax_rowmax : stat[r] = max of row r (NaN kept)                       one item per row
 *   soma_softmax_exp    : e[i] = e^(x_i - m), or 2 (no e^ is) where x_i == m         2-D: column, row
 *                         (beyond x_i - m < -110 the term is below double's reach of the sum: e^-110)
 *   soma_softmax_rowsum : cnt, rest from e (in index order, as JavaKernels);
 *                         scale[r] = 1/(cnt+rest), or lse, or the +inf share       one item per row
 *   soma_softmax_finish : y from x, e, stat, scale, with the special rows           2-D: column, row
 * (2-D ranges, so that no work-item divides by cols: integer division does not vectorise)
 * The sums run in the same order as the Java path (dev.soma.cpu.JavaKernels.softmaxRows).
 */
#define SOMA_AT_MAX ((ACC) 2)

kernel void soma_softmax_rowmax(global const REAL* x, global ACC* stat, const uint rows, const uint cols) {
    const uint row = get_global_id(0);
    if (row >= rows) {
        return;
    }
    const size_t o = (size_t) row * cols;
    /* four independent chains: the max is exact, so their order does not matter */
    ACC m0 = -SOMA_INF, m1 = -SOMA_INF, m2 = -SOMA_INF, m3 = -SOMA_INF;
    uint j = 0;
    for (; j + 4 <= cols; j += 4) {
        m0 = soma_maxnan(m0, (ACC) x[o + j]);
        m1 = soma_maxnan(m1, (ACC) x[o + j + 1]);
        m2 = soma_maxnan(m2, (ACC) x[o + j + 2]);
        m3 = soma_maxnan(m3, (ACC) x[o + j + 3]);
    }
    for (; j < cols; j++) {
        m0 = soma_maxnan(m0, (ACC) x[o + j]);
    }
    stat[row] = soma_maxnan(soma_maxnan(m0, m1), soma_maxnan(m2, m3));
}

kernel void soma_softmax_exp(global const REAL* x, global const ACC* stat, global ACC* e, const uint rows,
                             const uint cols) {
    const uint col = get_global_id(0);
    const uint row = get_global_id(1);
    if (col >= cols || row >= rows) {
        return;
    }
    const size_t i = (size_t) row * cols + col;
    const ACC m = stat[row];
    const ACC v = (ACC) x[i];
#if SOMA_FP64
    /* the vectorising polynomial JavaKernels.softmaxRows uses too: e^-(m - x), m - x exact, >= 0 */
    const ACC t = soma_expneg_sq(soma_jmin(m - v, 110.0));
#else
    const ACC t = soma_exp_diff(v, m);
#endif
    e[i] = (v == m || SOMA_ISNAN(m) || SOMA_ISINF(m)) ? SOMA_AT_MAX : t;
}

kernel void soma_softmax_rowsum(global const REAL* x, global const ACC* stat, global const ACC* e,
                                global ACC* scale, const uint rows, const uint cols) {
    const uint row = get_global_id(0);
    if (row >= rows) {
        return;
    }
    const size_t o = (size_t) row * cols;
    const ACC m = stat[row];
    if (SOMA_ISNAN(m) || m == -SOMA_INF) {
        scale[row] = m;
    } else if (m == SOMA_INF) {
        uint k = 0;
        for (uint j = 0; j < cols; j++) {
            k += (x[o + j] == INFINITY) ? 1 : 0;
        }
        scale[row] = soma_inf_share((ACC) k);
    } else {
        /* four interleaved partial sums (j mod 4) combined pairwise: four independent add chains,
           in the order JavaKernels.softmaxRows uses too */
        ACC r0 = 0, r1 = 0, r2 = 0, r3 = 0;
        ACC c0 = 0, c1 = 0, c2 = 0, c3 = 0;
        uint cnt = 0;
        uint j = 0;
        for (; j + 4 <= cols; j += 4) {
            const ACC t0 = e[o + j], t1 = e[o + j + 1], t2 = e[o + j + 2], t3 = e[o + j + 3];
            cnt += (t0 == SOMA_AT_MAX) + (t1 == SOMA_AT_MAX) + (t2 == SOMA_AT_MAX) + (t3 == SOMA_AT_MAX);
            SOMA_SUM_ADD(r0, c0, t0 == SOMA_AT_MAX ? (ACC) 0 : t0);
            SOMA_SUM_ADD(r1, c1, t1 == SOMA_AT_MAX ? (ACC) 0 : t1);
            SOMA_SUM_ADD(r2, c2, t2 == SOMA_AT_MAX ? (ACC) 0 : t2);
            SOMA_SUM_ADD(r3, c3, t3 == SOMA_AT_MAX ? (ACC) 0 : t3);
        }
        for (; j < cols; j++) { /* the tail continues chains 0, 1, 2 in turn, as j mod 4 says */
            const ACC t = e[o + j];
            const ACC a = t == SOMA_AT_MAX ? (ACC) 0 : t;
            cnt += (t == SOMA_AT_MAX);
            if ((j & 3) == 0) {
                SOMA_SUM_ADD(r0, c0, a);
            } else if ((j & 3) == 1) {
                SOMA_SUM_ADD(r1, c1, a);
            } else {
                SOMA_SUM_ADD(r2, c2, a);
            }
        }
        const ACC rest = (r0 + r1) + (r2 + r3);
#if LOG
        scale[row] = soma_lse((ACC) cnt, rest);
#else
        scale[row] = (ACC) 1 / ((ACC) cnt + rest);
#endif
    }
}

kernel void soma_softmax_finish(global const REAL* x, global const ACC* stat, global const ACC* scale,
                                global const ACC* e, global REAL* y, const uint rows, const uint cols) {
    const uint col = get_global_id(0);
    const uint row = get_global_id(1);
    if (col >= cols || row >= rows) {
        return;
    }
    const size_t i = (size_t) row * cols + col;
    const ACC m = stat[row];
    const ACC s = scale[row];
    const REAL out = LOG ? (REAL) (-INFINITY) : (REAL) 0;
    REAL r;
    if (SOMA_ISNAN(m)) {
        r = (REAL) NAN;
    } else if (m == SOMA_INF) {
        r = (x[i] == INFINITY) ? (REAL) s : out;
    } else if (m == -SOMA_INF) {
        r = out;
    } else {
#if LOG
        r = (REAL) soma_log_out((ACC) x[i], m, s);
#else
        const ACC t = e[i];
        r = (REAL) ((t == SOMA_AT_MAX ? (ACC) 1 : t) * s);
#endif
    }
    y[i] = r;
}

/* backward, split: stat[r] = sum_j term(y_j, dy_j) per row, then dx element-wise */
kernel void soma_softmax_backward_rowsum(global const REAL* y, global const REAL* dy, global ACC* stat,
                                         const uint rows, const uint cols) {
    const uint row = get_global_id(0);
    if (row >= rows) {
        return;
    }
    const size_t o = (size_t) row * cols;
    ACC s = 0;
    ACC comp = 0;
    for (uint j = 0; j < cols; j++) {
        SOMA_SUM_ADD(s, comp, soma_softmax_term((ACC) y[o + j], (ACC) dy[o + j]));
    }
    stat[row] = s;
}

kernel void soma_softmax_backward_finish(global const REAL* y, global const REAL* dy, global const ACC* stat,
                                         global REAL* dx, const uint rows, const uint cols) {
    const uint col = get_global_id(0);
    const uint row = get_global_id(1);
    if (col >= cols || row >= rows) {
        return;
    }
    const size_t i = (size_t) row * cols + col;
    dx[i] = soma_softmax_dx((ACC) y[i], (ACC) dy[i], stat[row]);
}

#if !SOMA_FP64
/*
 * The vector path, for CPU devices at precision fast: one work-item per row, 16 lanes at a time in
 * explicit float16 (a CPU compiler does not vectorise a loop inside a work-item, but it does compile
 * float16 arithmetic to vector instructions). A row (16 KiB at 4,096 wide) stays in the L1 cache
 * across its passes, so memory sees x read once and y written once:
 *   1. m = row max (NaN kept); the special rows (m NaN or infinite) leave to a scalar loop;
 *   2. per lane: cnt (entries equal to m) and rest = sum of e^(x - m) over the others, Kahan-
 *      compensated; softmax stores e^(x - m) in y;
 *   3. the lanes combine by a tree of exact two-sums; softmax scales y by 1/(cnt + rest), log-
 *      softmax writes (x - m) - lse.
 * The last (cols mod 16) entries go through the same float16 code, padded with -inf (no effect on
 * the max, e^-inf = 0). The sums do not follow the Java path's order (precision fast only).
 */

/* e^r - 1 - r over r^2, soma_expm1_tail's polynomial on 16 lanes, each step one fma (this vector
 * path is precision fast only) */
static inline float16 soma_expm1_tail16(float16 r) {
    return fma(fma(fma(fma(fma(fma(0x1.a01a02p-16f, r, 0x1.a01a02p-13f), r, 0x1.6c16c2p-10f), r, 0x1.111112p-7f),
            r, 0x1.555556p-5f), r, 0x1.555556p-3f), r, 0x1.0p-1f);
}

/* e^(x - m) for x <= m, m finite (x may be -inf): x - m carried as hi + lo (TwoSum) and lo added
 * after the reduction of hi, as soma_exp_hls, with fma.
 * Softmax: 0 below -87.34 (e^-87.34 < 2^-126 and k >= -126 above it, so one scale 2^k suffices):
 * a term below 2^-126 changes neither 1/(cnt + rest) (cnt >= 1) nor an output, which is below
 * float's normal range then (where the accuracy bar lets outputs flush to zero).
 * Log-softmax: 0 below -104, and the terms are returned times 2^64 (SOMA_LOG_TERM_SCALE; the row's
 * sum is scaled back once). Its max entry's output is -log1p(rest) ~ -rest, so terms far below 2^-126
 * can add up to a normal output (a row [0, 0, 1, 88.72] gives -1.39e-38, a normal float); scaled,
 * they stay normal and are summed exactly as before, only without the subnormal arithmetic.
 * The dropped lanes compute e^-80 and discard it: at the floor itself the term would be subnormal.
 * On x86 without flush-to-zero (POCL) each vector instruction that makes or reads a subnormal costs a
 * microcode assist: softmax over rows spanning more than 87 (masked attention's -10000, say) ran
 * about 4 times slower before, log-softmax 2 to 3 times. */
#define SOMA_LOG_TERM_SCALE 64
#if LOG
#define SOMA_EXP_FLOOR -104.0f
#else
#define SOMA_EXP_FLOOR -87.34f
#endif
static inline float16 soma_exp_diff16(float16 x, float m) {
    const float16 d = x - m;
    const float16 bb = d - x;
    const float16 lo = (x - (d - bb)) + (-m - bb);
    const int16 under = d < SOMA_EXP_FLOOR; /* also x = -inf, where lo is NaN */
    const float16 a = select(d, (float16) -80.0f, under);
    float16 kd = fma(a, 0x1.715476p0f, 0x1.8p23f);
    const int16 k = as_int16(kd) - 0x4b400000;
    kd = kd - 0x1.8p23f;
    const float16 r = fma(-kd, SOMA_LN2_LO, fma(-kd, SOMA_LN2_HI, a)) + select(lo, (float16) 0.0f, under);
    const float16 p = 1.0f + fma(r * r, soma_expm1_tail16(r), r);
#if LOG
    const float16 e = p * as_float16((k + SOMA_LOG_TERM_SCALE + 127) << 23); /* k >= -150: a normal scale */
#else
    const float16 e = p * as_float16((k + 127) << 23);
#endif
    return select(e, (float16) 0.0f, under);
}
#undef SOMA_EXP_FLOOR

/* the n < 16 entries at p, padded with fill */
static inline float16 soma_load_tail16(global const REAL* p, uint n, float fill) {
    float b[16];
    for (uint l = 0; l < 16; l++) {
        b[l] = l < n ? (float) p[l] : fill;
    }
    return vload16(0, b);
}

static inline void soma_store_tail16(global REAL* p, uint n, float16 v) {
    float b[16];
    vstore16(v, 0, b);
    for (uint l = 0; l < n; l++) {
        p[l] = (REAL) b[l];
    }
}

#define SOMA_MAXNAN16(m, v) select((m), (v), ((v) > (m)) | ((v) != (v)))

/* a + b = s + e exactly, lane by lane */
#define SOMA_TWO_SUM(T, a, b, s, e) do { (s) = (a) + (b); const T bb_ = (s) - (a); \
        (e) = ((a) - ((s) - bb_)) + ((b) - bb_); } while (0)

/* sum of the 16 lanes of s minus those of c (Kahan: each lane's sum is s - c), with the rounding
 * errors of the tree collected and added at the end */
static inline float soma_lane_sum16(float16 s, float16 c) {
    float8 s8, e8;
    SOMA_TWO_SUM(float8, s.lo, s.hi, s8, e8);
    e8 = e8 - (c.lo + c.hi);
    float4 s4, e4;
    SOMA_TWO_SUM(float4, s8.lo, s8.hi, s4, e4);
    e4 = e4 + (e8.lo + e8.hi);
    float2 s2, e2;
    SOMA_TWO_SUM(float2, s4.lo, s4.hi, s2, e2);
    e2 = e2 + (e4.lo + e4.hi);
    float s1, e1;
    SOMA_TWO_SUM(float, s2.lo, s2.hi, s1, e1);
    e1 = e1 + (e2.lo + e2.hi);
    return s1 + e1;
}

kernel void soma_softmax_rows(global const REAL* x, global REAL* y, const uint rows, const uint cols) {
    const uint row = get_global_id(0);
    if (row >= rows || cols == 0) {
        return;
    }
    const size_t o = (size_t) row * cols;
    global const REAL* xr = x + o;
    global REAL* yr = y + o;
    const uint full = cols & ~15u;
    const uint tail = cols - full;

    float16 m16 = (float16) (-INFINITY);
    for (uint j = 0; j < full; j += 16) {
        const float16 v = vload16(0, xr + j);
        m16 = SOMA_MAXNAN16(m16, v);
    }
    if (tail != 0) {
        const float16 v = soma_load_tail16(xr + full, tail, -INFINITY);
        m16 = SOMA_MAXNAN16(m16, v);
    }
    const float8 m8 = SOMA_MAXNAN16(m16.lo, m16.hi);
    const float4 m4 = SOMA_MAXNAN16(m8.lo, m8.hi);
    const float2 m2 = SOMA_MAXNAN16(m4.lo, m4.hi);
    const float m = soma_maxnan(m2.lo, m2.hi);

    const REAL out = LOG ? (REAL) (-INFINITY) : (REAL) 0;
    if (SOMA_ISNAN(m)) {
        for (uint j = 0; j < cols; j++) {
            yr[j] = (REAL) NAN;
        }
        return;
    }
    if (m == -INFINITY) {
        for (uint j = 0; j < cols; j++) {
            yr[j] = out;
        }
        return;
    }
    if (m == INFINITY) {
        uint k = 0;
        for (uint j = 0; j < cols; j++) {
            k += xr[j] == INFINITY ? 1 : 0;
        }
        const REAL in = (REAL) soma_inf_share((float) k);
        for (uint j = 0; j < cols; j++) {
            yr[j] = xr[j] == INFINITY ? in : out; /* in place: each entry read before it is written */
        }
        return;
    }

    float16 s16 = 0.0f;
    float16 c16 = 0.0f;
    int16 cnt16 = 0;
    for (uint j = 0; j < cols; j += 16) {
        const float16 v = j < full ? vload16(0, xr + j) : soma_load_tail16(xr + j, tail, -INFINITY);
        const float16 e = soma_exp_diff16(v, m);
        const int16 at = v == m;
        cnt16 -= at; /* a true lane is -1 */
        const float16 t = select(e, (float16) 0.0f, at) - c16;
        const float16 u = s16 + t;
        c16 = (u - s16) - t;
        s16 = u;
#if !LOG
        if (j < full) {
            vstore16(e, 0, yr + j);
        } else {
            soma_store_tail16(yr + j, tail, e);
        }
#endif
    }
#if LOG
    const float rest = soma_lane_sum16(s16, c16) * 0x1.0p-64f; /* SOMA_LOG_TERM_SCALE */
#else
    const float rest = soma_lane_sum16(s16, c16);
#endif
    const int8 n8 = cnt16.lo + cnt16.hi;
    const int4 n4 = n8.lo + n8.hi;
    const int2 n2 = n4.lo + n4.hi;
    const float cnt = (float) (n2.lo + n2.hi);

#if LOG
    const float lse = soma_lse(cnt, rest);
    for (uint j = 0; j < cols; j += 16) {
        const float16 v = j < full ? vload16(0, xr + j) : soma_load_tail16(xr + j, tail, -INFINITY);
        const float16 d = v - m;
        const float16 bb = d - v;
        const float16 lo = (v - (d - bb)) + (-m - bb);
        const float16 r = select((d - lse) + lo, d - lse, d == -INFINITY); /* also x - m beyond -FLT_MAX */
        if (j < full) {
            vstore16(r, 0, yr + j);
        } else {
            soma_store_tail16(yr + j, tail, r);
        }
    }
#else
    const float inv = 1.0f / (cnt + rest);
    /* a term below thr would give an output below the normal range: 0 instead (computing it would
     * cost a microcode assist per vector on x86 without flush-to-zero: a row spanning [-100, 0] ran
     * 1.7 times slower) */
    const float thr = 0x1.0p-126f * (cnt + rest);
    for (uint j = 0; j < cols; j += 16) {
        if (j < full) {
            const float16 e = vload16(0, yr + j);
            vstore16(select(e, (float16) 0.0f, e < thr) * inv, 0, yr + j);
        } else {
            const float16 e = soma_load_tail16(yr + j, tail, 0.0f);
            soma_store_tail16(yr + j, tail, select(e, (float16) 0.0f, e < thr) * inv);
        }
    }
#endif
}
/* e^x on 16 lanes, soma_exp's operations: 0 below -104, +inf above 89, NaN gives NaN */
static inline float16 soma_exp16(float16 x) {
    const float16 a = select(select(x, (float16) 89.0f, x > 89.0f), (float16) -104.0f, x < -104.0f);
    float16 kd = a * 0x1.715476p0f + 0x1.8p23f;
    const int16 k = as_int16(kd) - 0x4b400000;
    kd = kd - 0x1.8p23f;
    const float16 r = (a - kd * SOMA_LN2_HI) - kd * SOMA_LN2_LO;
    const float16 p = 1.0f + (r + r * (r * soma_expm1_tail16(r)));
    return p * as_float16(((k >> 1) + 127) << 23) * as_float16(((k - (k >> 1)) + 127) << 23);
}

/* backward, one float16 work-item per row: s = sum_j term(y_j, dy_j) (Kahan per lane), then dx */
kernel void soma_softmax_backward_rows(global const REAL* y, global const REAL* dy, global REAL* dx,
                                       const uint rows, const uint cols) {
    const uint row = get_global_id(0);
    if (row >= rows || cols == 0) {
        return;
    }
    const size_t o = (size_t) row * cols;
    global const REAL* yr = y + o;
    global const REAL* dyr = dy + o;
    global REAL* dxr = dx + o;
    const uint full = cols & ~15u;
    const uint tail = cols - full;
    float16 s16 = 0.0f;
    float16 c16 = 0.0f;
    for (uint j = 0; j < cols; j += 16) {
        const float16 yv = j < full ? vload16(0, yr + j) : soma_load_tail16(yr + j, tail, 0.0f);
        const float16 dyv = j < full ? vload16(0, dyr + j) : soma_load_tail16(dyr + j, tail, 0.0f);
#if LOG
        const float16 t = dyv - c16;
#else
        const float16 t = dyv * yv - c16;
#endif
        const float16 u = s16 + t;
        c16 = (u - s16) - t;
        s16 = u;
    }
    const float s = soma_lane_sum16(s16, c16);
    for (uint j = 0; j < cols; j += 16) {
        const float16 yv = j < full ? vload16(0, yr + j) : soma_load_tail16(yr + j, tail, 0.0f);
        const float16 dyv = j < full ? vload16(0, dyr + j) : soma_load_tail16(dyr + j, tail, 0.0f);
#if LOG
        const float16 r = dyv - soma_exp16(yv) * s;
#else
        const float16 r = yv * (dyv - s);
#endif
        if (j < full) {
            vstore16(r, 0, dxr + j);
        } else {
            soma_store_tail16(dxr + j, tail, r);
        }
    }
}
#endif
