package dev.soma.opencl;

import dev.soma.Activation;
import dev.soma.ActivationFunction;
import dev.soma.Broadcast;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;

/**
 * SGEMM on an OpenCL device with the activation fused into the epilogue ({@code dense.cl}).
 *
 * <p>Two kernel families. On CPU devices (POCL and the like), which vectorise across work-items
 * only for kernels without inner loops, the kernels use explicit {@code float16} vectors with
 * register blocking inside each work-item: {@code soma_gemm_nt} for op(A)·Bᵀ (both operands
 * k-contiguous: the dense layer x·Wᵀ), {@code soma_gemm_nn} for op(A)·B (B n-contiguous; it also
 * takes Aᵀ·Bᵀ by computing (B·A)ᵀ), and {@code soma_gemm_simple} for the thin leftovers. Everywhere
 * else the classic local-memory tiled kernel {@code soma_gemm_tiled}, and for a few rows of output
 * (batch sizes up to {@value #GEMV_ROWS}, transB) a work-group per output element
 * ({@code soma_gemv_tiled}), for a single row without transB a work-item per column
 * ({@code soma_gemm_simple}). The system property
 * {@value #KERNELS_PROPERTY} ({@code auto}, {@code cpu}, {@code gpu}) forces a family, so that both
 * can be tested on one device.
 */
final class ClGemm {

    /** System property choosing the kernel family: {@code auto} (by device category), {@code cpu} or {@code gpu}. */
    static final String KERNELS_PROPERTY = "soma.gemmKernels";
    static final String DENSE = "dense.cl";
    /** The kernels of dense.cl, numbered from 1 as its SOMA_GEMM_KERNEL option counts them. */
    private static final java.util.List<String> KERNELS = java.util.List.of("", "soma_gemm_nt", "soma_gemm_nn",
            "soma_gemm_simple", "soma_gemm_tiled", "soma_gemv_tiled");

    /*
     * soma_gemm_nt's register block, group size and vector width, and the tiled kernel's work-group
     * side, elements per work-item and k step, come from the backend's Tuning (defaults, or what the
     * tuner stored for the device).
     */
    /** Register block of soma_gemm_nn: rows × 16-column vectors per work-item. */
    static final int NN_RM = 12;
    static final int NN_RV = 2;
    /**
     * Up to this many rows of output (a batch of up to 4 through x·Wᵀ) GPUs take soma_gemv_tiled, a
     * work-group per output element, rather than the tiled kernel: a 64-row tile would do 16 to 64 times
     * the products needed and give the device only N / 64 work-groups, where this gives it M·N and reads
     * each row of W M times, from cache after the first (reasoned, not measured: no GPU at hand).
     */
    static final int GEMV_ROWS = 4;

    private ClGemm() {
    }

    /**
     * y = f(alpha·op(A)·op(B) + beta·C), float32 row-major. op(A) is M×K (A is K×M when transA), op(B) is
     * K×N (B is N×K when transB: the dense layer x·Wᵀ with W out×in). C by {@code mode} (NONE: no C term
     * at all; SCALAR 1×1; ROW 1×N; COLUMN M×1; FULL M×N). f null = identity, else applied to each
     * accumulator before it is stored (PReLU slope = slopes[col]; noisy ReLU index = row·N + col).
     * Arguments are already validated; M, N, K ≥ 1. y never aliases a or b; y may be c when FULL.
     */
    static void gemm(OpenClBackend be, OpenClBackend.ClTensor a, boolean transA, OpenClBackend.ClTensor b,
                     boolean transB, int m, int n, int k, float alpha, OpenClBackend.ClTensor c, Broadcast mode,
                     float beta, ActivationFunction f, OpenClBackend.ClTensor y) {
        DeviceInfo d = be.device();
        Activation act = f == null ? Activation.IDENTITY : f.activation();
        String common = OpenClBackend.activationOptions(act, false) + " -DC_MODE=" + mode.ordinal();

        String kernel;
        String options;
        cl_mem first = a.mem;
        cl_mem second = b.mem;
        long[] global;
        long[] local;
        boolean gpu = gpuKernels(d);
        Tuning tu = be.tuning();
        if (gpu && m <= GEMV_ROWS && transB) {
            int wg = (int) Math.min(64, Integer.highestOneBit(Math.max(1, d.maxWorkGroupSize())));
            kernel = "soma_gemv_tiled";
            options = common + flags(transA, true, false) + " -DGEMV_WG=" + wg;
            global = new long[] {(long) n * wg, m};
            local = new long[] {wg, 1};
        } else if (gpu && m == 1) {
            // one work-item per column: neighbours read neighbouring elements of each row of B
            int wg = (int) Math.min(64, Integer.highestOneBit(Math.max(1, d.maxWorkGroupSize())));
            kernel = "soma_gemm_simple";
            options = common + flags(transA, false, false);
            global = new long[] {n, 1};
            local = new long[] {wg, 1};
        } else if (gpu) {
            int wg = tu.gpuWg();
            while (wg > 1 && wg * wg > Math.max(1, d.maxWorkGroupSize())) {
                wg /= 2;
            }
            int t = wg * tu.gpuR();
            kernel = "soma_gemm_tiled";
            options = common + flags(transA, transB, false) + " -DGPU_WG=" + wg + " -DGPU_R=" + tu.gpuR()
                    + " -DGPU_TK=" + tu.gpuTk();
            global = new long[] {(long) ceil(n, t) * wg, (long) ceil(m, t) * wg};
            local = new long[] {wg, wg};
        } else if (transB && !transA) {
            // a batch smaller than the register block gets a block of its own height: the epilogue
            // runs on whole tiles, so rows past M would compute the activation on duplicates
            int rm = m == 1 ? 1 : Math.min(m, tu.ntRm());
            int rn = m == 1 ? 8 : tu.ntRn();
            int ntWg = tu.ntWg();
            // work-groups of lx × ly blocks (a 1-D local range of lx·ly): lx by the width alone (one
            // program for every result at least 16 blocks wide), ly <= 4 halved for enough groups;
            // the tile epilogue needs ly | rn (ly a power of two) and lx·ly <= NT_WG
            long bx = ceil(n, rn);
            long by = ceil(m, rm);
            int lx = (int) Math.min(ntWg / 4, Long.highestOneBit(bx));
            int ly = epilogueRows(by, (int) cpuLocal(new long[] {ceil((int) bx, lx), by}, d, 1,
                    Math.min(4, Integer.lowestOneBit(rn)))[1]);
            kernel = "soma_gemm_nt";
            boolean fullN = n % (lx * rn) == 0; // the tiles cover N exactly: no column predicate in the epilogue
            options = common + flags(false, true, false) + " -DNT_RM=" + rm + " -DNT_RN=" + rn + " -DNT_LX=" + lx
                    + " -DNT_WG=" + ntWg + " -DNT_VW=" + tu.ntVw() + " -DNT_FULL_N=" + (fullN ? 1 : 0);
            global = new long[] {(long) ceil((int) bx, lx) * lx * ly, ceil((int) by, ly)};
            local = new long[] {(long) lx * ly, 1};
        } else if (!transB && n >= 16) {
            int rm = m == 1 ? 1 : NN_RM;
            int rv = m == 1 ? matVecVectors(n) : NN_RV;
            kernel = "soma_gemm_nn";
            options = common + flags(transA, false, false) + " -DNN_RM=" + rm + " -DNN_RV=" + rv;
            global = new long[] {ceil(m, rm), ceil(n, 16 * rv)};
            local = cpuLocal(global, d, 16, 1);
        } else if (transA && transB && m >= 16) {
            // y = Aᵀ·Bᵀ = (B·A)ᵀ: B (N×K) as the kernel's plain left operand, A (K×M) as its right one
            int rm = n == 1 ? 1 : NN_RM;
            int rv = n == 1 ? matVecVectors(m) : NN_RV;
            kernel = "soma_gemm_nn";
            options = common + flags(false, false, true) + " -DNN_RM=" + rm + " -DNN_RV=" + rv;
            first = b.mem;
            second = a.mem;
            global = new long[] {ceil(n, rm), ceil(m, 16 * rv)};
            local = cpuLocal(global, d, 16, 1);
        } else {
            kernel = "soma_gemm_simple";
            options = common + flags(transA, transB, false);
            global = new long[] {n, m};
            local = cpuLocal(global, d, 16, 4);
        }
        global[0] = OpenClBackend.roundUp(global[0], (int) local[0]);
        global[1] = OpenClBackend.roundUp(global[1], (int) local[1]);

        options += " -DSOMA_GEMM_KERNEL=" + KERNELS.indexOf(kernel);
        Program p = be.program(options, OpenClBackend.ACTIVATIONS, DENSE);
        float[] slopes = act == Activation.PRELU ? f.slopes() : null;
        cl_mem slopeMem = slopes == null ? null
                : be.createBuffer((long) slopes.length * Sizeof.cl_float, Pointer.to(slopes),
                        CL.CL_MEM_COPY_HOST_PTR);
        try {
            synchronized (be.launchLock()) {
                cl_kernel kn = p.kernel(kernel);
                OpenClBackend.arg(kn, 0, first);
                OpenClBackend.arg(kn, 1, second);
                OpenClBackend.arg(kn, 2, mode == Broadcast.NONE || c == null ? a.mem : c.mem);
                OpenClBackend.arg(kn, 3, y.mem);
                OpenClBackend.uintArg(kn, 4, m);
                OpenClBackend.uintArg(kn, 5, n);
                OpenClBackend.uintArg(kn, 6, k);
                OpenClBackend.floatArg(kn, 7, alpha);
                OpenClBackend.floatArg(kn, 8, beta);
                OpenClBackend.floatArg(kn, 9, f == null ? 0f : f.param(0));
                OpenClBackend.floatArg(kn, 10, f == null ? 0f : f.param(1));
                OpenClBackend.arg(kn, 11, slopeMem == null ? a.mem : slopeMem);
                OpenClBackend.uintArg(kn, 12, slopes == null ? 1 : slopes.length);
                OpenClBackend.ulongArg(kn, 13, f == null ? 0L : f.seed());
                int st = CL.clEnqueueNDRangeKernel(be.queue(), kn, 2, null, global, local, 0, null, null);
                OpenClException.check(st, "clEnqueueNDRangeKernel(" + kernel + ")");
            }
        } finally {
            if (slopeMem != null) {
                CL.clReleaseMemObject(slopeMem); // the queue keeps its own reference until the kernel ran
            }
        }
    }

    /** Whether the local-memory tiled kernel runs: by the device category, unless the property forces a family. */
    static boolean gpuKernels(DeviceInfo d) {
        String v = System.getProperty(KERNELS_PROPERTY, "auto").strip();
        switch (v) {
            case "auto": return d.category() != DeviceInfo.Category.CPU;
            case "cpu": return false;
            case "gpu": return true;
            default: throw new IllegalArgumentException(KERNELS_PROPERTY + "=" + v + ": use auto, cpu or gpu");
        }
    }

    /**
     * 16-column vectors per work-item of soma_gemm_nn for a single row of output: wide windows (each
     * k row of B is read in longer contiguous runs, fewer pages per line) but at least 16 work-items.
     */
    private static int matVecVectors(int cols) {
        return Math.max(2, Math.min(16, Integer.highestOneBit(Math.max(1, cols / 256))));
    }

    private static String flags(boolean transA, boolean transB, boolean swapOut) {
        return " -DTRANS_A=" + (transA ? 1 : 0) + " -DTRANS_B=" + (transB ? 1 : 0) + " -DSWAP_OUT=" + (swapOut ? 1 : 0);
    }

    private static int ceil(int x, int d) {
        return (x + d - 1) / d;
    }

    /**
     * A CPU work-group of at most maxX × maxY work-items (powers of two), halved until there are at
     * least four groups per compute unit (POCL hands whole groups to its threads), never past the range.
     */
    private static long[] cpuLocal(long[] global, DeviceInfo d, int maxX, int maxY) {
        long target = 4L * Math.max(1, d.computeUnits());
        long lx = Math.min(maxX, Long.highestOneBit(global[0]));
        long ly = Math.min(maxY, Long.highestOneBit(global[1]));
        while (groups(global, lx, ly) < target && (lx > 1 || ly > 1)) {
            if (ly > 1) {
                ly /= 2;
            } else {
                lx /= 2;
            }
        }
        return new long[] {lx, ly};
    }

    /**
     * soma_gemm_nt's blocks per work-group in y, at most {@code ly}: the epilogue runs on whole tiles of
     * ly blocks, so a ragged last tile computes the activation on duplicate rows. A smaller ly is taken
     * when it cuts those padded blocks by more than a tenth (by = 6 at M = 32: 8 blocks with ly = 4, 6
     * with ly = 2; fused GELU then ran 0.92 x the unfused pass on POCL, a tie at M = 24 and 48).
     */
    private static int epilogueRows(long by, int ly) {
        int best = ly;
        for (int l = ly / 2; l >= 1; l /= 2) {
            if (padded(by, l) * 10 < padded(by, best) * 9) {
                best = l;
            }
        }
        return best;
    }

    private static long padded(long by, int ly) {
        return (by + ly - 1) / ly * ly;
    }

    private static long groups(long[] global, long lx, long ly) {
        return ((global[0] + lx - 1) / lx) * ((global[1] + ly - 1) / ly);
    }
}
