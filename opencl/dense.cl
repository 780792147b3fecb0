/*
 * soma GEMM with a fused epilogue: y = f(alpha * op(A) op(B) + beta * C), float32 row-major; the
 * dense layer y = act(x W^T + b) is TRANS_B=1 with a ROW C. Concatenated after activations.cl, whose
 * soma_act is the epilogue's f.
 *
 * Build options (besides the prelude's REAL / ACC / SOMA_FP64 and activations.cl's ACT / DERIV):
 *   -DTRANS_A=0|1 -DTRANS_B=0|1   op(A) = A or A^T, op(B) = B or B^T (of the kernel's own operands)
 *   -DC_MODE=0..4                 C: none, scalar, row (1 x N), column (M x 1), full (M x N)
 *   -DSWAP_OUT=0|1                soma_gemm_nn only: it computes y^T and stores it transposed
 *   tile sizes: NT_RM / NT_RN / NT_LX / NT_WG / NT_VW, NN_RM / NN_RV, GPU_WG / GPU_R / GPU_TK (chosen per
 *   device by the tuner, Tuner.java)
 *
 * Accumulation is in float (fma, k ascending within each lane; the k-vectorised kernels keep 16
 * partial sums per dot product and add them pairwise at the end); the epilogue is in ACC:
 * r = alpha * acc (+ beta * c, only when there is a C), rounded to REAL, then soma_act in ACC, then
 * rounded to REAL again (so the fused result equals the unfused dense-then-activation bit for bit).
 * Nothing is skipped: a zero in A still multiplies B, so NaN and infinity propagate. Loads never
 * leave the buffers: edge blocks clamp their row / column indices (computing a few duplicates that
 * are not stored) or shift their column window back inside the matrix.
 *
 * Every kernel has the same arguments:
 *   a, b, c, y, M, N, K, alpha, beta, p0, p1, slopes, nslopes, seed
 * where M x N is the true result (y's shape) and c / slopes are any buffer when unused. y may be c
 * (FULL): each element of C is read only by the work-item that writes the same element of y.
 */

/* -DSOMA_GEMM_KERNEL=1..5 builds only that kernel (nt, nn, simple, tiled, gemv: the host knows which
 * one it launches), so that each program compiles one copy of the inlined activation; 0 builds all */
#ifndef SOMA_GEMM_KERNEL
#define SOMA_GEMM_KERNEL 0
#endif
#define SOMA_GEMM_WANTS(k) (SOMA_GEMM_KERNEL == 0 || SOMA_GEMM_KERNEL == (k))
#ifndef TRANS_A
#define TRANS_A 0
#endif
#ifndef TRANS_B
#define TRANS_B 0
#endif
#ifndef C_MODE
#define C_MODE 0
#endif
#ifndef SWAP_OUT
#define SWAP_OUT 0
#endif

#define SOMA_GEMM_ARGS global const float* a, global const float* b, global const REAL* c, global REAL* y, \
        const uint M, const uint N, const uint K, const float alpha, const float beta, \
        const float p0, const float p1, global const float* slopes, const uint nslopes, const ulong seed

/* C's element for (row, col) of the M x N result (0 without C) */
static inline REAL soma_gemm_c(global const REAL* c, const uint N, const uint row, const uint col) {
#if C_MODE == 1
    return c[0];
#elif C_MODE == 2
    return c[col];
#elif C_MODE == 3
    return c[row];
#elif C_MODE == 4
    return c[(ulong) row * N + col];
#else
    return (REAL) 0;
#endif
}

/* the pre-activation from the float accumulator and C's element cv (unused without C), rounded to
   REAL first, as dense-then-activation would: fused and unfused give the same bits, and the
   activation sees the value a user could inspect */
static inline ACC soma_gemm_pre(const REAL cv, const float acc, const float alpha, const float beta) {
    ACC r = (ACC) alpha * (ACC) acc;
#if C_MODE != 0
    r = r + (ACC) beta * (ACC) cv;
#endif
    return (ACC) (REAL) r;
}

static inline float soma_gemm_slope(global const float* slopes, const uint nslopes, const uint col) {
#if ACT == SOMA_ACT_PRELU
    return slopes[nslopes == 1 ? 0 : col];
#else
    return 0.0f;
#endif
}

/* the final value of element (row, col) of the M x N result from its float accumulator and C's
   element cv */
static inline REAL soma_gemm_value(const REAL cv, const uint N, const uint row, const uint col, const float acc,
                                   const float alpha, const float beta, const float p0, const float p1,
                                   global const float* slopes, const uint nslopes, const ulong seed) {
    return (REAL) soma_act(soma_gemm_pre(cv, acc, alpha, beta), p0, p1, soma_gemm_slope(slopes, nslopes, col),
                           (ulong) row * N + col, seed);
}

/* the same with everything it calls inlined (soma_act too: with several call sites in a program,
   LLVM's cost model stops just short of inlining it, and POCL vectorises across work-items only
   code without calls) */
static inline __attribute__((always_inline, flatten)) REAL soma_gemm_value_inlined(
        const REAL cv, const uint N, const uint row, const uint col, const float acc, const float alpha,
        const float beta, const float p0, const float p1, global const float* slopes, const uint nslopes,
        const ulong seed) {
    return (REAL) soma_act(soma_gemm_pre(cv, acc, alpha, beta), p0, p1, soma_gemm_slope(slopes, nslopes, col),
                           (ulong) row * N + col, seed);
}

/* stores element (row, col) of the M x N result from its float accumulator */
static inline void soma_gemm_store(global const REAL* c, global REAL* y, const uint M, const uint N,
                                   const uint row, const uint col, const float acc, const float alpha,
                                   const float beta, const float p0, const float p1,
                                   global const float* slopes, const uint nslopes, const ulong seed) {
    y[(ulong) row * N + col] = soma_gemm_value(soma_gemm_c(c, N, row, col), N, row, col, acc, alpha, beta, p0, p1,
                                               slopes, nslopes, seed);
}

static inline float soma_hsum4(const float4 v) {
    const float2 s2 = v.lo + v.hi;
    return s2.x + s2.y;
}

static inline float soma_hsum8(const float8 v) {
    return soma_hsum4(v.lo + v.hi);
}

static inline float soma_hsum16(const float16 v) {
    return soma_hsum8(v.lo + v.hi);
}

/* ---------------------------------------------------------------------------------------------- *
 * CPU, op(A) = A (M x K), op(B) = B^T with B N x K: both operands k-contiguous (x W^T). A work-item
 * computes an NT_RM x NT_RN block of dot products, each with a floatNT_VW accumulator over k (float16
 * by default): per NT_VW k it loads NT_RM + NT_RN vectors and does NT_RM * NT_RN fmas.
 *
 * A work-group of wg = NT_LX * ly work-items (1-D local range; ly must divide NT_RN, wg <= NT_WG)
 * computes a tile of tr = ly * NT_RM rows x tc = NT_LX * NT_RN columns, work-item lid the block
 * (lid / NT_LX, lid % NT_LX) of it. Range: dim 0 tile columns * wg, dim 1 tile rows.
 *
 * The epilogue (C, the rounding, the activation, the store) runs on the whole tile: the work-items
 * leave their dot products in local memory and, after a barrier, work-item lid takes the elements
 * t * wg + lid of the tile (row-major; t = 0 .. NT_RM * NT_RN - 1), so that neighbouring work-items
 * take neighbouring columns. A region without loops (the t loop is unrolled) and with addresses that
 * are a uniform base plus the local id: POCL, which vectorises across work-items only such code, then
 * runs the epilogue 8 or 16 elements at a time as the separate activation kernel does (inside the
 * dot-product region, which has the k loop, it runs one element at a time). (Cutting the epilogue
 * into several regions by barriers does not pay: values common to them, like the address of C's
 * row, then live across barriers, which POCL keeps per work-item in memory, and the accesses built
 * from them become gathers and scatters.)
 * ---------------------------------------------------------------------------------------------- */
#ifndef NT_RM
#define NT_RM 4
#endif
#ifndef NT_RN
#define NT_RN 4
#endif
#ifndef NT_LX
#define NT_LX 16
#endif
#ifndef NT_WG
#define NT_WG 64
#endif
#ifndef NT_FULL_N
#define NT_FULL_N 0
#endif
/* vector width of the k loop (4, 8 or 16 lanes): floatNT_VW accumulators and loads */
#ifndef NT_VW
#define NT_VW 16
#endif
#define SOMA_CAT_(x, y) x##y
#define SOMA_CAT(x, y) SOMA_CAT_(x, y)
#define NT_VEC SOMA_CAT(float, NT_VW)
#define NT_VLOAD SOMA_CAT(vload, NT_VW)
#define NT_HSUM SOMA_CAT(soma_hsum, NT_VW)
/* which elements of the tile the epilogue stores. The predicate costs: if-converted around the
   whole activation it adds mask work and register pressure to every copy (about 10 % for GELU,
   more than the separate pass saves), so it is dropped wherever it can be. Columns: not at all
   when the host says that the tiles cover N exactly (NT_FULL_N). Rows: a row past M is done as a
   duplicate of row M - 1 instead (the same tile entry, C element and index, so the same bits,
   stored by the same work-item, which also owns that element); not when C is full, as y may be C
   there: the duplicate would read the element its owner has already overwritten. */
#if NT_FULL_N
#define NT_COL_OK(col) 1
#else
#define NT_COL_OK(col) ((col) < N)
#endif
#if C_MODE == 4
#define NT_ROW_OK(row) ((row) < M)
#else
#define NT_ROW_OK(row) 1
#endif

#if SOMA_GEMM_WANTS(1)
kernel void soma_gemm_nt(SOMA_GEMM_ARGS) {
    local float tile[NT_WG * NT_RM * NT_RN];
    {
        const uint lid = (uint) get_local_id(0);
        const uint ly = (uint) get_local_size(0) / NT_LX;
        const uint bx = lid % NT_LX;
        const uint by = lid / NT_LX;
        const uint n0 = (uint) get_group_id(0) * (NT_LX * NT_RN) + bx * NT_RN;
        const uint m0 = (uint) get_group_id(1) * (ly * NT_RM) + by * NT_RM;
        if (n0 < N && m0 < M) {
            const global float* ap[NT_RM];
            const global float* bp[NT_RN];
#pragma unroll
            for (int r = 0; r < NT_RM; r++) {
                ap[r] = a + (size_t) min(m0 + r, M - 1) * K;
            }
#pragma unroll
            for (int j = 0; j < NT_RN; j++) {
                bp[j] = b + (size_t) min(n0 + j, N - 1) * K;
            }
            NT_VEC acc[NT_RM][NT_RN];
#pragma unroll
            for (int r = 0; r < NT_RM; r++) {
#pragma unroll
                for (int j = 0; j < NT_RN; j++) {
                    acc[r][j] = (NT_VEC) 0.0f;
                }
            }
            const uint k16 = K & ~(NT_VW - 1u);
            for (uint k = 0; k < k16; k += NT_VW) {
                NT_VEC av[NT_RM];
#pragma unroll
                for (int r = 0; r < NT_RM; r++) {
                    av[r] = NT_VLOAD(0, ap[r] + k);
                }
#pragma unroll
                for (int j = 0; j < NT_RN; j++) {
                    const NT_VEC bv = NT_VLOAD(0, bp[j] + k);
#pragma unroll
                    for (int r = 0; r < NT_RM; r++) {
                        acc[r][j] = fma(av[r], bv, acc[r][j]);
                    }
                }
            }
            float s[NT_RM][NT_RN];
#pragma unroll
            for (int r = 0; r < NT_RM; r++) {
#pragma unroll
                for (int j = 0; j < NT_RN; j++) {
                    s[r][j] = NT_HSUM(acc[r][j]);
                }
            }
            for (uint k = k16; k < K; k++) {
#pragma unroll
                for (int r = 0; r < NT_RM; r++) {
                    const float av = ap[r][k];
#pragma unroll
                    for (int j = 0; j < NT_RN; j++) {
                        s[r][j] = fma(av, bp[j][k], s[r][j]);
                    }
                }
            }
            local float* tp = tile + by * NT_RM * (NT_LX * NT_RN) + bx * NT_RN;
#pragma unroll
            for (int r = 0; r < NT_RM; r++) {
#pragma unroll
                for (int j = 0; j < NT_RN; j++) {
                    tp[r * (NT_LX * NT_RN) + j] = s[r][j];
                }
            }
        }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    const size_t i = get_local_id(0);
    const uint wg = (uint) get_local_size(0);
    const uint per = NT_RN / (wg / NT_LX);                      /* the tile's columns: per runs of wg */
    const uint row0 = (uint) get_group_id(1) * (wg / NT_LX * NT_RM);
    const uint col0 = (uint) get_group_id(0) * (NT_LX * NT_RN);
#pragma unroll
    for (uint t = 0; t < NT_RM * NT_RN; t++) {
        const uint r = t / per;
        const uint cb = (t - r * per) * wg;                        /* tile column of work-item 0 */
        const uint row = min(row0 + r, M - 1);
        const uint colb = col0 + cb;                               /* its column in y */
        const uint col = colb + (uint) i;
        if (NT_ROW_OK(row0 + r) && NT_COL_OK(col)) {
#if C_MODE == 1
            const REAL cv = c[0];
#elif C_MODE == 2
            const REAL cv = (c + colb)[i];
#elif C_MODE == 3
            const REAL cv = c[row];
#elif C_MODE == 4
            const REAL cv = (c + ((size_t) row * N + colb))[i];
#else
            const REAL cv = (REAL) 0;
#endif
            const float acc = (tile + ((row - row0) * (NT_LX * NT_RN) + cb))[i];
            (y + ((size_t) row * N + colb))[i] = soma_gemm_value_inlined(cv, N, row, col, acc, alpha, beta, p0, p1,
                                                                         slopes, nslopes, seed);
        }
    }
}
#endif

/* ---------------------------------------------------------------------------------------------- *
 * CPU, op(B) = B with B K x Q (q-contiguous), op(A) = A (P x K) or A^T (A K x P). The kernel's
 * result is P x Q; SWAP_OUT=0: P = M, Q = N (y = op(A) B); SWAP_OUT=1: it computes y^T for
 * y = A^T B^T as B A (the host passes B as a, A as b, P = N, Q = M), storing transposed. Needs
 * Q >= 16. A work-item computes NN_RM rows x NN_RV 16-column vectors: acc[r][v] =
 * fma(broadcast A(p+r, k), B[k, window v], acc[r][v]). A window that would reach past Q is shifted
 * back to end at Q; only its lanes inside the work-item's own columns are stored.
 * Range: dim 0 row blocks, dim 1 column blocks (work-items next to each other share the columns
 * of B).
 * ---------------------------------------------------------------------------------------------- */
#ifndef NN_RM
#define NN_RM 6
#endif
#ifndef NN_RV
#define NN_RV 4
#endif

#if SOMA_GEMM_WANTS(2)
kernel void soma_gemm_nn(SOMA_GEMM_ARGS) {
#if SWAP_OUT
    const uint P = N;
    const uint Q = M;
#else
    const uint P = M;
    const uint Q = N;
#endif
    const uint p0r = (uint) get_global_id(0) * NN_RM;
    const uint q0 = (uint) get_global_id(1) * (16 * NN_RV);
    if (p0r >= P || q0 >= Q) {
        return;
    }
    uint win[NN_RV];
#pragma unroll
    for (int v = 0; v < NN_RV; v++) {
        win[v] = min(q0 + 16 * v, Q - 16);
    }
    uint prow[NN_RM];
#pragma unroll
    for (int r = 0; r < NN_RM; r++) {
        prow[r] = min(p0r + r, P - 1);
    }
    float16 acc[NN_RM][NN_RV];
#pragma unroll
    for (int r = 0; r < NN_RM; r++) {
#pragma unroll
        for (int v = 0; v < NN_RV; v++) {
            acc[r][v] = (float16) 0.0f;
        }
    }
#if TRANS_A
    const global float* ak = a;
#else
    const global float* ap[NN_RM];
#pragma unroll
    for (int r = 0; r < NN_RM; r++) {
        ap[r] = a + (size_t) prow[r] * K;
    }
#endif
    const global float* bk = b;
    for (uint k = 0; k < K; k++) {
        float16 bv[NN_RV];
#pragma unroll
        for (int v = 0; v < NN_RV; v++) {
            bv[v] = vload16(0, bk + win[v]);
        }
#pragma unroll
        for (int r = 0; r < NN_RM; r++) {
#if TRANS_A
            const float16 av = (float16) ak[prow[r]];
#else
            const float16 av = (float16) ap[r][k];
#endif
#pragma unroll
            for (int v = 0; v < NN_RV; v++) {
                acc[r][v] = fma(av, bv[v], acc[r][v]);
            }
        }
        bk += Q;
#if TRANS_A
        ak += P;
#endif
    }
#pragma unroll
    for (int r = 0; r < NN_RM; r++) {
        if (p0r + r < P) {
#pragma unroll
            for (int v = 0; v < NN_RV; v++) {
                const uint lo = q0 + 16 * v; /* this vector's own columns: [lo, lo + 16) */
                if (lo < Q) {
                    float lanes[16];
                    vstore16(acc[r][v], 0, lanes);
                    for (uint l = lo - win[v]; l < 16; l++) {
#if SWAP_OUT
                        soma_gemm_store(c, y, M, N, win[v] + l, p0r + r, lanes[l], alpha, beta, p0, p1, slopes,
                                        nslopes, seed);
#else
                        soma_gemm_store(c, y, M, N, p0r + r, win[v] + l, lanes[l], alpha, beta, p0, p1, slopes,
                                        nslopes, seed);
#endif
                    }
                }
            }
        }
    }
}
#endif

/* ---------------------------------------------------------------------------------------------- *
 * Any transposes, one element per work-item, a scalar loop over k: the small shapes the vector
 * kernels do not take (a result narrower than 16 without transB). Dim 0 column, dim 1 row.
 * ---------------------------------------------------------------------------------------------- */
#if TRANS_A
#define SOMA_A(i, k) a[(size_t) (k) * M + (i)]
#else
#define SOMA_A(i, k) a[(size_t) (i) * K + (k)]
#endif
#if TRANS_B
#define SOMA_B(k, j) b[(size_t) (j) * K + (k)]
#else
#define SOMA_B(k, j) b[(size_t) (k) * N + (j)]
#endif

#if SOMA_GEMM_WANTS(3)
kernel void soma_gemm_simple(SOMA_GEMM_ARGS) {
    const uint col = (uint) get_global_id(0);
    const uint row = (uint) get_global_id(1);
    if (col >= N || row >= M) {
        return;
    }
    float s = 0.0f;
    for (uint k = 0; k < K; k++) {
        s = fma(SOMA_A(row, k), SOMA_B(k, col), s);
    }
    soma_gemm_store(c, y, M, N, row, col, s, alpha, beta, p0, p1, slopes, nslopes, seed);
}
#endif

/* ---------------------------------------------------------------------------------------------- *
 * GPUs: the classic local-memory tiled SGEMM, any transposes. A GPU_WG x GPU_WG work-group computes
 * a TM x TN tile (TM = TN = GPU_T = GPU_WG * GPU_R), each work-item a GPU_R x GPU_R block of adjacent
 * rows and columns; the k loop steps by GPU_TK, the group staging op(A)'s TM x GPU_TK and op(B)'s
 * GPU_TK x TN slices in local memory (zero outside the matrices: those products only reach elements
 * that are not stored, or add 0 * 0). Range: dim 0 columns, dim 1 rows, local GPU_WG^2.
 *
 * Local memory, not arithmetic, bounds such a kernel on GPUs: a warp's 32-bit local load costs about
 * what 4 warp FMAs do (32 banks of 4 bytes per compute unit per clock on NVIDIA and AMD). With a
 * work-item's columns adjacent, its GPU_R values of each slice row are one vector load (GPU_R = 2, 4,
 * 8 or 16): per k step 2 vector loads feed GPU_R^2 FMAs (at GPU_R = 4: about 3 clocks of local
 * loads for 4 of FMAs, where 8 scalar loads took 8), the rows' values being the same address for
 * half a warp (a broadcast).
 * ---------------------------------------------------------------------------------------------- */
#ifndef GPU_WG
#define GPU_WG 16
#endif
#ifndef GPU_R
#define GPU_R 4
#endif
#ifndef GPU_TK
#define GPU_TK 16
#endif
#define GPU_T (GPU_WG * GPU_R)
#if GPU_R == 2 || GPU_R == 4 || GPU_R == 8 || GPU_R == 16
#define GPU_VW GPU_R
#else
#define GPU_VW 1
#endif
/* Row padding of the local slices. A k-contiguous operand (A as M x K, or B as N x K: both operands of
 * the dense layer) is staged with consecutive work-items walking down a column of the slice, kk =
 * e % GPU_TK: unpadded, their addresses are GPU_T floats apart, a multiple of the 32 banks, so all 32
 * stores of a warp would hit one bank (16-way conflicts at GPU_TK = 16). A row of GPU_T + 32 / GPU_TK
 * floats spreads them over all 32 banks; the padding is rounded up to a multiple of GPU_VW to keep the
 * rows' vectors aligned (then 2-way at GPU_R = 4, 4-way at 8, on 1 / GPU_R of the traffic the reads
 * have). Mirrored by Tuning.gpuLocalBytes. */
#define GPU_PAD0 (GPU_TK >= 32 ? 1 : 32 / GPU_TK)
#define GPU_PAD ((GPU_PAD0 + GPU_VW - 1) / GPU_VW * GPU_VW)
#define GPU_S (GPU_T + GPU_PAD)
#if GPU_VW == 2
#define GPU_VEC float2
#define GPU_UNPACK(p, v) p[0] = (v).s0; p[1] = (v).s1;
#elif GPU_VW == 4
#define GPU_VEC float4
#define GPU_UNPACK(p, v) p[0] = (v).s0; p[1] = (v).s1; p[2] = (v).s2; p[3] = (v).s3;
#elif GPU_VW == 8
#define GPU_VEC float8
#define GPU_UNPACK(p, v) p[0] = (v).s0; p[1] = (v).s1; p[2] = (v).s2; p[3] = (v).s3; \
    p[4] = (v).s4; p[5] = (v).s5; p[6] = (v).s6; p[7] = (v).s7;
#elif GPU_VW == 16
#define GPU_VEC float16
#define GPU_UNPACK(p, v) p[0] = (v).s0; p[1] = (v).s1; p[2] = (v).s2; p[3] = (v).s3; \
    p[4] = (v).s4; p[5] = (v).s5; p[6] = (v).s6; p[7] = (v).s7; p[8] = (v).s8; p[9] = (v).s9; \
    p[10] = (v).sa; p[11] = (v).sb; p[12] = (v).sc; p[13] = (v).sd; p[14] = (v).se; p[15] = (v).sf;
#endif

#if SOMA_GEMM_WANTS(4)
kernel __attribute__((reqd_work_group_size(GPU_WG, GPU_WG, 1)))
void soma_gemm_tiled(SOMA_GEMM_ARGS) {
    local float as[GPU_TK][GPU_S] __attribute__((aligned(4 * GPU_VW)));
    local float bs[GPU_TK][GPU_S] __attribute__((aligned(4 * GPU_VW)));
    const uint tx = (uint) get_local_id(0);
    const uint ty = (uint) get_local_id(1);
    const uint lid = ty * GPU_WG + tx;
    const uint col0 = (uint) get_group_id(0) * GPU_T;
    const uint row0 = (uint) get_group_id(1) * GPU_T;
    float acc[GPU_R][GPU_R];
    for (int i = 0; i < GPU_R; i++) {
        for (int j = 0; j < GPU_R; j++) {
            acc[i][j] = 0.0f;
        }
    }
    for (uint kt = 0; kt < K; kt += GPU_TK) {
        /* stage: consecutive work-items take consecutive addresses of the operand's layout */
        for (uint e = lid; e < GPU_T * GPU_TK; e += GPU_WG * GPU_WG) {
#if TRANS_A
            const uint i = e % GPU_T, kk = e / GPU_T;      /* A is K x M: m-contiguous */
#else
            const uint kk = e % GPU_TK, i = e / GPU_TK;    /* A is M x K: k-contiguous */
#endif
            const uint gi = row0 + i, gk = kt + kk;
            as[kk][i] = (gi < M && gk < K) ? SOMA_A(gi, gk) : 0.0f;
#if TRANS_B
            const uint kb = e % GPU_TK, j = e / GPU_TK;    /* B is N x K: k-contiguous */
#else
            const uint j = e % GPU_T, kb = e / GPU_T;      /* B is K x N: n-contiguous */
#endif
            const uint gj = col0 + j, gkb = kt + kb;
            bs[kb][j] = (gj < N && gkb < K) ? SOMA_B(gkb, gj) : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int kk = 0; kk < GPU_TK; kk++) {
            float av[GPU_R], bv[GPU_R];
#if GPU_VW > 1
            const GPU_VEC a4 = ((local const GPU_VEC*) as[kk])[ty];
            const GPU_VEC b4 = ((local const GPU_VEC*) bs[kk])[tx];
            GPU_UNPACK(av, a4)
            GPU_UNPACK(bv, b4)
#else
            for (int i = 0; i < GPU_R; i++) {
                av[i] = as[kk][ty * GPU_R + i];
                bv[i] = bs[kk][tx * GPU_R + i];
            }
#endif
            for (int i = 0; i < GPU_R; i++) {
                for (int j = 0; j < GPU_R; j++) {
                    acc[i][j] = fma(av[i], bv[j], acc[i][j]);
                }
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int i = 0; i < GPU_R; i++) {
        const uint row = row0 + ty * GPU_R + i;
        for (int j = 0; j < GPU_R; j++) {
            const uint col = col0 + tx * GPU_R + j;
            if (row < M && col < N) {
                soma_gemm_store(c, y, M, N, row, col, acc[i][j], alpha, beta, p0, p1, slopes, nslopes, seed);
            }
        }
    }
}
#endif

/* ---------------------------------------------------------------------------------------------- *
 * GPUs, a few rows of output with op(B) = B^T (x W^T for a batch of 1 to 4, ClGemm.GEMV_ROWS): a
 * GEMV_WG work-group per output element, its work-items striding over k (coalesced reads of the row
 * of W), partial sums added by a tree in local memory. Range: dim 0 column * GEMV_WG, dim 1 row.
 * ---------------------------------------------------------------------------------------------- */
#ifndef GEMV_WG
#define GEMV_WG 64
#endif

#if SOMA_GEMM_WANTS(5)
kernel __attribute__((reqd_work_group_size(GEMV_WG, 1, 1)))
void soma_gemv_tiled(SOMA_GEMM_ARGS) {
    local float part[GEMV_WG];
    const uint col = (uint) get_group_id(0);
    const uint row = (uint) get_group_id(1);
    const uint lid = (uint) get_local_id(0);
    float s = 0.0f;
    for (uint k = lid; k < K; k += GEMV_WG) {
        s = fma(SOMA_A(row, k), SOMA_B(k, col), s);
    }
    part[lid] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint w = GEMV_WG / 2; w > 0; w >>= 1) {
        if (lid < w) {
            part[lid] += part[lid + w];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0 && col < N && row < M) {
        soma_gemm_store(c, y, M, N, row, col, part[0], alpha, beta, p0, p1, slopes, nslopes, seed);
    }
}
#endif
