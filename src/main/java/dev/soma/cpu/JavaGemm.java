package dev.soma.cpu;

import dev.soma.Activation;
import dev.soma.ActivationFunction;
import dev.soma.Broadcast;

import java.util.concurrent.ForkJoinPool;

/**
 * Single-precision GEMM in pure Java with the activation fused into the epilogue: the dense layer's
 * {@code y = f(x·Wᵀ + b)} and the general ONNX {@code Gemm}.
 *
 * <p>How it is fast without the Vector API: C2's superword pass vectorises a counted loop over
 * {@code float[]} only when every array in it is indexed by the loop variable itself (same index, no
 * per-array offset on arrays that are stored to). So the right-hand matrix is packed, per block of
 * {@code KC × NC}, into one private {@code float[]} per k row ({@code bp[kk][j] = op(B)[pc+kk][jc+j]},
 * which also transposes {@code W} for {@code transB}), and four rows of the result are accumulated in
 * four private row arrays. The micro-kernel ({@link #r4k2}) streams over {@code j}, updating 4 result rows
 * with 2 k steps per pass: per 16-lane vector it does 2 loads of B, 4 loads and 4 stores of the
 * accumulators and 8 FMAs, each loaded B vector used four times. That shape was measured to be the
 * largest C2 (JDK 17) still vectorises; 4×3, 6×2, 8×1, 2×4 and 1×8 fall back to scalar code. The
 * accumulator rows ({@code 4 × NC}) stay in L1, the packed panel ({@code KC × NC}) in L2, and the
 * A operand is read as scalars (8 per pass), so it needs no packing.
 *
 * <p>Parallelism: the result is cut into tasks of (a range of rows) × (a block of {@code NC} columns);
 * each task packs its own part of B, so with column blocks only (the usual case) every element of B is
 * packed exactly once. A single row (or single column) of output takes a matrix–vector path that
 * streams the matrix once: dot products over the rows of {@code W} with lane-wise partial sums
 * (vectorised), or axpy over the rows of {@code B}.
 *
 * <p>Accumulation is in float, in k order within each {@code KC} block; blocks of {@code KC} are added
 * into y one after the other, as in reference SGEMM. Nothing is skipped: a zero in A still multiplies
 * B, so NaN and infinity propagate.
 */
public final class JavaGemm {


    /** Rows of the result per micro-kernel pass. */
    private static final int MR = 4;
    /** Widest column block (inner loop length). */
    static final int NC = 512;
    /** Deepest k block: the packed panel is at most KC × NC floats (1 MiB), half the L2 of a core. */
    static final int KC = 512;
    /** Lane-wise partial sums per row in the dot-product (matrix–vector) path. */
    private static final int LANES = 128;
    /** Below this many flops (2·M·N·K) everything runs on the calling thread. */
    static final long PARALLEL_FLOPS = 1L << 21;

    private JavaGemm() {
    }

    /** Per-thread scratch, grown on demand and reused: packed B rows, accumulator rows, lane sums. */
    private static final class Scratch {
        float[][] bp = new float[0][];
        int bpWidth;
        final float[][] acc = new float[MR][];
        final float[][] lanes = new float[MR][];

        float[][] panel(int kc, int nc) {
            if (bp.length < kc || bpWidth < nc) {
                int w = Math.max(bpWidth, nc);
                float[][] p = new float[Math.max(bp.length, kc)][];
                for (int i = 0; i < p.length; i++) {
                    p[i] = new float[w];
                }
                bp = p;
                bpWidth = w;
            }
            return bp;
        }

        float[][] acc(int nc) {
            if (acc[0] == null || acc[0].length < nc) {
                for (int r = 0; r < MR; r++) {
                    acc[r] = new float[nc];
                }
            }
            return acc;
        }

        float[][] lanes() {
            if (lanes[0] == null) {
                for (int r = 0; r < MR; r++) {
                    lanes[r] = new float[LANES];
                }
            }
            return lanes;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * y = f(alpha·op(A)·op(B) + beta·C), row-major float32, op(A) M×K (A is K×M when transA), op(B) K×N
     * (B is N×K when transB — this is the dense layer's x·Wᵀ with W out×in, the PyTorch layout), then the
     * activation f applied element-wise to each parallel task's finished block while it is hot in cache (f may be null:
     * identity). y must not alias a or b; y may be c when cMode is FULL. M, N or K may be 0 (K = 0: y = f(beta·C)).
     * pool: run in parallel over blocks of rows of y (null: on the calling thread).
     *
     * <p>With cMode NONE there is no β term at all (c may be null and is not read). The activation sees
     * each element at its row-major index in y (PReLU's column is {@code index % slopes.length}).
     * Parallel tasks are blocks of columns of y (and of rows as well when there are too few columns).
     *
     * @throws IllegalArgumentException on negative sizes, arrays too short for them, or forbidden aliasing
     */
    public static void gemm(float[] a, boolean transA, float[] b, boolean transB, int m, int n, int k, float alpha,
                            float[] c, Broadcast cMode, float beta, ActivationFunction f, float[] y,
                            ForkJoinPool pool) {
        if (cMode == null) {
            cMode = Broadcast.NONE;
        }
        check(a, b, m, n, k, c, cMode, y);
        if (m == 0 || n == 0) {
            return;
        }
        ActivationFunction act = f == null || (f.activation() == Activation.IDENTITY) ? null : f;
        Plan p = new Plan(a, transA, b, transB, m, n, k, alpha, c, cMode, beta, act, y);
        long flops = 2L * m * n * Math.max(k, 1);
        int threads = pool == null ? 1 : pool.getParallelism();
        if (k == 0) {
            int rowsPer = Math.max(1, (int) Math.min(m, (1L << 16) / n));
            int tasks = (m + rowsPer - 1) / rowsPer;
            Parallel.run(pool, threads > 1 && (long) m * n >= (1L << 16) ? tasks : 1, tasks,
                    (from, to) -> p.onlyC(from * rowsPer, Math.min(m, to * rowsPer)));
            return;
        }
        if (m == 1 || n == 1) {
            // matrix–vector: dot products over rows (W·x) or axpy over rows (x·B)
            boolean dot = m == 1 ? transB : !transA;
            int len = m == 1 ? n : m;
            int grain = dot ? 16 : 256;
            int units = (len + grain - 1) / grain;
            int tasks = threads <= 1 || flops < PARALLEL_FLOPS ? 1 : Math.min(units, threads * 4);
            Parallel.run(pool, tasks, units, (from, to) -> p.vector(dot, from * grain, Math.min(len, to * grain)));
            return;
        }
        // general: tasks are (row chunk) × (column block)
        int nc = Math.min(NC, n);
        int colBlocks = (n + nc - 1) / nc;
        int rowChunks = 1;
        boolean parallel = threads > 1 && flops >= PARALLEL_FLOPS;
        if (parallel) {
            if (colBlocks < 2 * threads) {
                // narrower column blocks down to 256 first (no extra packing), then split rows
                int want = 2 * threads;
                int narrow = Math.max(256, roundUp16((n + want - 1) / want));
                if (narrow < nc) {
                    nc = narrow;
                    colBlocks = (n + nc - 1) / nc;
                }
                if (colBlocks < want) {
                    rowChunks = Math.min((want + colBlocks - 1) / colBlocks, Math.max(1, m / (4 * MR)));
                }
            }
        }
        final int ncF = nc;
        final int cb = colBlocks;
        final int rowsPer = roundUpMR((m + rowChunks - 1) / rowChunks);
        final int rc = (m + rowsPer - 1) / rowsPer;
        int tasks = cb * rc;
        Parallel.run(pool, parallel ? tasks : 1, tasks, (from, to) -> {
            for (int t = from; t < to; t++) {
                int col = t % cb;
                int row = t / cb;
                int jc = col * ncF;
                int r0 = row * rowsPer;
                int r1 = Math.min(m, r0 + rowsPer);
                int w = Math.min(ncF, n - jc);
                p.block(r0, r1, jc, w);
                if (p.f != null) {
                    // the activation on the task's finished block, still in this core's cache: once
                    // per task rather than after each row's last k block, where the activation's
                    // code and the micro-kernel's took turns every few microseconds (GELU cost
                    // about 4 % more that way than as a separate pass over y); one call for the
                    // block, so that gelu runs its passes over the whole block, not row by row
                    JavaKernels.elementwiseRows(p.f, y, r0 * n + jc, r1 - r0, w, n);
                }
            }
        });
    }

    private static int roundUp16(int x) {
        return (x + 15) & ~15;
    }

    private static int roundUpMR(int x) {
        return (x + MR - 1) / MR * MR;
    }

    private static void check(float[] a, float[] b, int m, int n, int k, float[] c, Broadcast cMode, float[] y) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("gemm: negative size " + m + "×" + n + "×" + k);
        }
        need(a, (long) m * k, "a");
        need(b, (long) k * n, "b");
        need(y, (long) m * n, "y");
        long cLen = switch (cMode) {
            case NONE -> 0;
            case SCALAR -> 1;
            case ROW -> n;
            case COLUMN -> m;
            case FULL -> (long) m * n;
        };
        if (cMode != Broadcast.NONE && (long) m * n > 0) {
            need(c, cLen, "c");
        }
        if ((long) m * n > 0) {
            if (y == a && (long) m * k > 0 || y == b && (long) k * n > 0) {
                throw new IllegalArgumentException("gemm: y must not alias a or b");
            }
            if (cMode != Broadcast.NONE && cMode != Broadcast.FULL && c == y) {
                throw new IllegalArgumentException("gemm: y may alias c only when cMode is FULL");
            }
        }
    }

    private static void need(float[] x, long len, String name) {
        if (x == null) {
            if (len > 0) {
                throw new IllegalArgumentException("gemm: " + name + " is null");
            }
            return;
        }
        if (x.length < len) {
            throw new IllegalArgumentException("gemm: " + name + " has " + x.length + " elements, needs " + len);
        }
    }

    /** One call's operands. */
    private static final class Plan {
        final float[] a;
        final boolean transA;
        final float[] b;
        final boolean transB;
        final int m;
        final int n;
        final int k;
        final float alpha;
        final float[] c;
        final Broadcast cMode;
        final float beta;
        final ActivationFunction f;
        final float[] y;

        Plan(float[] a, boolean transA, float[] b, boolean transB, int m, int n, int k, float alpha, float[] c,
             Broadcast cMode, float beta, ActivationFunction f, float[] y) {
            this.a = a;
            this.transA = transA;
            this.b = b;
            this.transB = transB;
            this.m = m;
            this.n = n;
            this.k = k;
            this.alpha = alpha;
            this.c = c;
            this.cMode = cMode;
            this.beta = beta;
            this.f = f;
            this.y = y;
        }

        /** K = 0: y = f(beta·C) (0 without C) for rows [r0, r1). */
        void onlyC(int r0, int r1) {
            for (int i = r0; i < r1; i++) {
                int off = i * n;
                switch (cMode) {
                    case NONE -> java.util.Arrays.fill(y, off, off + n, 0f);
                    case SCALAR -> java.util.Arrays.fill(y, off, off + n, beta == 1f ? c[0] : beta * c[0]);
                    case COLUMN -> java.util.Arrays.fill(y, off, off + n, beta == 1f ? c[i] : beta * c[i]);
                    case ROW -> scaleInto(c, 0, y, off, n, beta);
                    case FULL -> scaleInto(c, off, y, off, n, beta);
                }
                if (f != null) {
                    JavaKernels.elementwise(f, false, y, y, off, off + n);
                }
            }
        }

        private static void scaleInto(float[] src, int so, float[] dst, int d0, int len, float s) {
            if (s == 1f) {
                if (src != dst || so != d0) {
                    System.arraycopy(src, so, dst, d0, len);
                }
                return;
            }
            for (int j = 0; j < len; j++) {
                dst[d0 + j] = s * src[so + j];
            }
        }

        /** The result block rows [r0, r1) × columns [jc, jc + nc). */
        void block(int r0, int r1, int jc, int nc) {
            Scratch s = SCRATCH.get();
            float[][] acc = s.acc(nc);
            float[] c0 = acc[0];
            float[] c1 = acc[1];
            float[] c2 = acc[2];
            float[] c3 = acc[3];
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                float[][] bp = s.panel(kc, nc);
                if (transB) {
                    packTransposed(b, k, pc, kc, jc, nc, bp);
                } else {
                    for (int kk = 0; kk < kc; kk++) {
                        System.arraycopy(b, (pc + kk) * n + jc, bp[kk], 0, nc);
                    }
                }
                boolean first = pc == 0;
                for (int i = r0; i < r1; i += MR) {
                    int rows = Math.min(MR, r1 - i);
                    for (int r = 0; r < rows; r++) {
                        java.util.Arrays.fill(acc[r], 0, nc, 0f);
                    }
                    if (rows == MR) {
                        // A(i + r, pc + kk) at ak + r·rs + kk·ks
                        int rs = transA ? 1 : k;
                        int ks = transA ? m : 1;
                        int ak = transA ? pc * m + i : i * k + pc;
                        int kk = 0;
                        for (; kk + 2 <= kc; kk += 2) {
                            int o = ak + kk * ks;
                            int o1 = o + ks;
                            r4k2(a[o], a[o1], a[o + rs], a[o1 + rs], a[o + 2 * rs], a[o1 + 2 * rs],
                                    a[o + 3 * rs], a[o1 + 3 * rs], bp[kk], bp[kk + 1], c0, c1, c2, c3, nc);
                        }
                        if (kk < kc) {
                            int o = ak + kk * ks;
                            r4k1(a[o], a[o + rs], a[o + 2 * rs], a[o + 3 * rs], bp[kk], c0, c1, c2, c3, nc);
                        }
                    } else {
                        for (int r = 0; r < rows; r++) {
                            int ks = transA ? m : 1;
                            int o = transA ? pc * m + i + r : (i + r) * k + pc;
                            float[] cr = acc[r];
                            int kk = 0;
                            for (; kk + 2 <= kc; kk += 2) {
                                r1k2(a[o + kk * ks], a[o + (kk + 1) * ks], bp[kk], bp[kk + 1], cr, nc);
                            }
                            if (kk < kc) {
                                r1k1(a[o + kk * ks], bp[kk], cr, nc);
                            }
                        }
                    }
                    for (int r = 0; r < rows; r++) {
                        store(acc[r], i + r, jc, nc, first);
                    }
                }
            }
        }

        /** Writes one finished accumulator row into y (first k block: with alpha and C; later: adds). */
        private void store(float[] acc, int row, int jc, int nc, boolean first) {
            int off = row * n + jc;
            float[] y = this.y;
            float al = alpha;
            if (!first) {
                if (al == 1f) {
                    for (int j = 0; j < nc; j++) {
                        y[off + j] += acc[j];
                    }
                } else {
                    for (int j = 0; j < nc; j++) {
                        y[off + j] += al * acc[j];
                    }
                }
            } else {
                epilogue(acc, 0, off, nc, cMode == Broadcast.ROW ? jc : off, constantC(row), cMode == Broadcast.ROW || cMode == Broadcast.FULL);
            }
        }

        /** beta·C for a constant broadcast (scalar, or this row's column entry); unused otherwise. */
        private float constantC(int index) {
            return switch (cMode) {
                case SCALAR -> beta == 1f ? c[0] : beta * c[0];
                case COLUMN -> beta == 1f ? c[index] : beta * c[index];
                default -> 0f;
            };
        }

        /**
         * y[yo + j] = alpha·acc[ao + j] + (beta·c[co + j] | cc | nothing) for j in [0, len).
         * {@code vecC}: C varies along j (read at co); otherwise a constant cc when cMode is SCALAR/COLUMN.
         */
        private void epilogue(float[] acc, int ao, int yo, int len, int co, float cc, boolean vecC) {
            float[] y = this.y;
            float al = alpha;
            float be = beta;
            if (cMode == Broadcast.NONE) {
                if (al == 1f) {
                    System.arraycopy(acc, ao, y, yo, len);
                } else {
                    for (int j = 0; j < len; j++) {
                        y[yo + j] = al * acc[ao + j];
                    }
                }
            } else if (!vecC) {
                if (al == 1f) {
                    for (int j = 0; j < len; j++) {
                        y[yo + j] = acc[ao + j] + cc;
                    }
                } else {
                    for (int j = 0; j < len; j++) {
                        y[yo + j] = al * acc[ao + j] + cc;
                    }
                }
            } else {
                float[] c = this.c;
                if (al == 1f && be == 1f) {
                    for (int j = 0; j < len; j++) {
                        y[yo + j] = acc[ao + j] + c[co + j];
                    }
                } else if (be == 1f) {
                    for (int j = 0; j < len; j++) {
                        y[yo + j] = al * acc[ao + j] + c[co + j];
                    }
                } else if (al == 1f) {
                    for (int j = 0; j < len; j++) {
                        y[yo + j] = acc[ao + j] + be * c[co + j];
                    }
                } else {
                    for (int j = 0; j < len; j++) {
                        y[yo + j] = al * acc[ao + j] + be * c[co + j];
                    }
                }
            }
        }

        /**
         * Matrix–vector: outputs [t0, t1) of the single row (m = 1) or single column (n = 1) of y.
         * {@code dot}: output t = dot(row t of a row-major len×k matrix, x); otherwise output t =
         * Σ_k x[k]·(k-th row of a row-major k×len matrix)[t].
         */
        void vector(boolean dot, int t0, int t1) {
            // the matrix and the vector, as stored
            float[] mat;
            float[] x;
            int len;
            if (m == 1) {
                mat = b;
                x = a;
                len = n;
            } else {
                mat = a;
                x = b;
                len = m;
            }
            Scratch s = SCRATCH.get();
            int cnt = t1 - t0;
            float[] out = s.acc(Math.max(cnt, 1))[0];
            if (dot) {
                dots(mat, x, k, t0, t1, out, s.lanes(), s);
            } else {
                axpys(mat, x, k, len, t0, t1, out, s);
            }
            // C along the vector: per element (ROW for m = 1, COLUMN for n = 1, FULL) or constant
            boolean vecC = cMode == Broadcast.FULL || (m == 1 ? cMode == Broadcast.ROW : cMode == Broadcast.COLUMN);
            float cc = cMode == Broadcast.NONE || vecC ? 0f : (beta == 1f ? c[0] : beta * c[0]);
            epilogue(out, 0, t0, cnt, t0, cc, vecC);
            if (f != null) {
                JavaKernels.elementwise(f, false, y, y, t0, t1);
            }
        }
    }

    /**
     * out[t - t0] = Σ_k mat[t·k + kk]·x[kk] for t in [t0, t1): four rows at a time, each accumulated in
     * LANES lane-wise partial sums (vectorised), then summed. C2 (JDK 17) vectorises no loop that reads
     * an array at an offset index, so the chunks of x and of the rows are first copied (arraycopy, itself
     * vectorised) into scratch rows indexed from 0.
     */
    private static void dots(float[] mat, float[] x, int k, int t0, int t1, float[] out, float[][] lanes,
                             Scratch sc) {
        int chunks = (k + LANES - 1) / LANES;
        float[][] buf = sc.panel(4 + chunks, LANES);
        float[] w0 = buf[0];
        float[] w1 = buf[1];
        float[] w2 = buf[2];
        float[] w3 = buf[3];
        for (int q = 0; q < chunks; q++) {
            int k0 = q * LANES;
            System.arraycopy(x, k0, buf[4 + q], 0, Math.min(LANES, k - k0));
        }
        float[] s0 = lanes[0];
        float[] s1 = lanes[1];
        float[] s2 = lanes[2];
        float[] s3 = lanes[3];
        int first = Math.min(k, LANES);
        int t = t0;
        for (; t + 4 <= t1; t += 4) {
            int o0 = t * k;
            for (int q = 0; q < chunks; q++) {
                int k0 = q * LANES;
                int cnt = Math.min(LANES, k - k0);
                System.arraycopy(mat, o0 + k0, w0, 0, cnt);
                System.arraycopy(mat, o0 + k + k0, w1, 0, cnt);
                System.arraycopy(mat, o0 + 2 * k + k0, w2, 0, cnt);
                System.arraycopy(mat, o0 + 3 * k + k0, w3, 0, cnt);
                if (q == 0) {
                    lanes4Init(w0, w1, w2, w3, buf[4], s0, s1, s2, s3, cnt);
                } else {
                    lanes4(w0, w1, w2, w3, buf[4 + q], s0, s1, s2, s3, cnt);
                }
            }
            out[t - t0] = sum(s0, first);
            out[t - t0 + 1] = sum(s1, first);
            out[t - t0 + 2] = sum(s2, first);
            out[t - t0 + 3] = sum(s3, first);
        }
        for (; t < t1; t++) {
            int o = t * k;
            for (int q = 0; q < chunks; q++) {
                int k0 = q * LANES;
                int cnt = Math.min(LANES, k - k0);
                System.arraycopy(mat, o + k0, w0, 0, cnt);
                float[] xq = buf[4 + q];
                if (q == 0) {
                    for (int l = 0; l < cnt; l++) {
                        s0[l] = w0[l] * xq[l];
                    }
                } else {
                    for (int l = 0; l < cnt; l++) {
                        s0[l] = Math.fma(w0[l], xq[l], s0[l]);
                    }
                }
            }
            out[t - t0] = sum(s0, first);
        }
    }

    private static void lanes4Init(float[] w0, float[] w1, float[] w2, float[] w3, float[] x,
                                   float[] s0, float[] s1, float[] s2, float[] s3, int cnt) {
        for (int l = 0; l < cnt; l++) {
            float v = x[l];
            s0[l] = w0[l] * v;
            s1[l] = w1[l] * v;
            s2[l] = w2[l] * v;
            s3[l] = w3[l] * v;
        }
    }

    private static void lanes4(float[] w0, float[] w1, float[] w2, float[] w3, float[] x,
                               float[] s0, float[] s1, float[] s2, float[] s3, int cnt) {
        for (int l = 0; l < cnt; l++) {
            float v = x[l];
            s0[l] = Math.fma(w0[l], v, s0[l]);
            s1[l] = Math.fma(w1[l], v, s1[l]);
            s2[l] = Math.fma(w2[l], v, s2[l]);
            s3[l] = Math.fma(w3[l], v, s3[l]);
        }
    }

    /** Σ s[0, cnt) with eight independent partial sums. */
    private static float sum(float[] s, int cnt) {
        float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f, a4 = 0f, a5 = 0f, a6 = 0f, a7 = 0f;
        int l = 0;
        for (; l + 8 <= cnt; l += 8) {
            a0 += s[l];
            a1 += s[l + 1];
            a2 += s[l + 2];
            a3 += s[l + 3];
            a4 += s[l + 4];
            a5 += s[l + 5];
            a6 += s[l + 6];
            a7 += s[l + 7];
        }
        for (; l < cnt; l++) {
            a0 += s[l];
        }
        return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
    }

    /**
     * out[t - t0] = Σ_kk x[kk]·mat[kk·ld + t] for t in [t0, t1): two rows of mat per pass, each row
     * segment copied first into a scratch row indexed from 0 (see {@link #dots}).
     */
    private static void axpys(float[] mat, float[] x, int k, int ld, int t0, int t1, float[] out, Scratch sc) {
        int cnt = t1 - t0;
        float[][] buf = sc.panel(2, cnt);
        float[] b0 = buf[0];
        float[] b1 = buf[1];
        java.util.Arrays.fill(out, 0, cnt, 0f);
        int kk = 0;
        for (; kk + 2 <= k; kk += 2) {
            System.arraycopy(mat, kk * ld + t0, b0, 0, cnt);
            System.arraycopy(mat, (kk + 1) * ld + t0, b1, 0, cnt);
            r1k2(x[kk], x[kk + 1], b0, b1, out, cnt);
        }
        if (kk < k) {
            System.arraycopy(mat, kk * ld + t0, b0, 0, cnt);
            r1k1(x[kk], b0, out, cnt);
        }
    }

    /** bp[kk][j] = w[(jc + j)·k + pc + kk]: the k×n block of Wᵀ from W (n×k, row-major). */
    private static void packTransposed(float[] w, int k, int pc, int kc, int jc, int nc, float[][] bp) {
        int j = 0;
        // 16 rows of W at a time: 16 sequential read streams, one full cache line written per packed row
        for (; j + 16 <= nc; j += 16) {
            int o = (jc + j) * k + pc;
            for (int kk = 0; kk < kc; kk++) {
                float[] row = bp[kk];
                int q = o + kk;
                row[j + 15] = w[q + 15 * k];
                row[j] = w[q];
                row[j + 1] = w[q + k];
                row[j + 2] = w[q + 2 * k];
                row[j + 3] = w[q + 3 * k];
                row[j + 4] = w[q + 4 * k];
                row[j + 5] = w[q + 5 * k];
                row[j + 6] = w[q + 6 * k];
                row[j + 7] = w[q + 7 * k];
                row[j + 8] = w[q + 8 * k];
                row[j + 9] = w[q + 9 * k];
                row[j + 10] = w[q + 10 * k];
                row[j + 11] = w[q + 11 * k];
                row[j + 12] = w[q + 12 * k];
                row[j + 13] = w[q + 13 * k];
                row[j + 14] = w[q + 14 * k];
            }
        }
        for (; j < nc; j++) {
            int o = (jc + j) * k + pc;
            for (int kk = 0; kk < kc; kk++) {
                bp[kk][j] = w[o + kk];
            }
        }
    }

    // ---- micro-kernels: every array indexed by j alone, so that C2 vectorises them ----

    /** Four accumulator rows += two k steps: c_r[j] += a_r0·b0[j] + a_r1·b1[j], in k order. */
    static void r4k2(float a0, float a1, float e0, float e1, float f0, float f1, float g0, float g1,
                     float[] b0, float[] b1, float[] c0, float[] c1, float[] c2, float[] c3, int n) {
        for (int j = 0; j < n; j++) {
            float v0 = b0[j];
            float v1 = b1[j];
            c0[j] = Math.fma(a1, v1, Math.fma(a0, v0, c0[j]));
            c1[j] = Math.fma(e1, v1, Math.fma(e0, v0, c1[j]));
            c2[j] = Math.fma(f1, v1, Math.fma(f0, v0, c2[j]));
            c3[j] = Math.fma(g1, v1, Math.fma(g0, v0, c3[j]));
        }
    }

    static void r4k1(float a0, float e0, float f0, float g0, float[] b0,
                     float[] c0, float[] c1, float[] c2, float[] c3, int n) {
        for (int j = 0; j < n; j++) {
            float v0 = b0[j];
            c0[j] = Math.fma(a0, v0, c0[j]);
            c1[j] = Math.fma(e0, v0, c1[j]);
            c2[j] = Math.fma(f0, v0, c2[j]);
            c3[j] = Math.fma(g0, v0, c3[j]);
        }
    }

    static void r1k2(float a0, float a1, float[] b0, float[] b1, float[] c0, int n) {
        for (int j = 0; j < n; j++) {
            c0[j] = Math.fma(a1, b1[j], Math.fma(a0, b0[j], c0[j]));
        }
    }

    static void r1k1(float a0, float[] b0, float[] c0, int n) {
        for (int j = 0; j < n; j++) {
            c0[j] = Math.fma(a0, b0[j], c0[j]);
        }
    }
}
