package dev.soma;

import dev.soma.reference.Backends;
import dev.soma.reference.Reference;
import org.apache.commons.math3.linear.BlockRealMatrix;
import org.apache.commons.math3.linear.RealMatrix;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * GEMM and the dense layer against Commons Math ({@link BlockRealMatrix} products in double, then the
 * C term and the activation reference), on every backend.
 *
 * <p>Tolerance: the standard bound for a float dot product of length K accumulated in any order,
 * |ŷ − y| ≤ γ_K · Σₖ|aᵢₖ||bₖⱼ| with γ_K = K·u/(1 − K·u), u = 2^−24; plus one rounding of the
 * result and of the C term: {@code tol = C_BOUND·(K + 2)·u·(|α|·Σ|a||b| + |β·c|)} with
 * {@code C_BOUND = 1} (the bound itself, no slack: blocked and vectorised sums are well inside it).
 * An activation then adds |f′|·tol plus its own 1 ULP; instead of chasing f′ the fused result is
 * compared with the unfused two-step result on the same backend, which must match exactly.
 */
class DenseTest {

    static final double U = 0x1p-24;
    static final double C_BOUND = 1;

    private static final Backends.Pool POOL = new Backends.Pool();

    @AfterAll
    static void close() {
        POOL.close();
    }

    private static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextGaussian());
        }
        return a;
    }

    /** Row-major rows × cols float array as a double Commons Math matrix (optionally of |values|). */
    private static RealMatrix matrix(float[] a, int rows, int cols, boolean abs) {
        double[][] d = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                double v = a[i * cols + j];
                d[i][j] = abs ? Math.abs(v) : v;
            }
        }
        return new BlockRealMatrix(d);
    }

    private static double cAt(float[] c, Broadcast mode, int i, int j, int n) {
        switch (mode) {
            case NONE: return 0;
            case SCALAR: return c[0];
            case ROW: return c[j];
            case COLUMN: return c[i];
            default: return c[i * n + j];
        }
    }

    /** Checks y against the double reference of alpha·op(A)·op(B) + beta·C with the stated bound. */
    private static void checkGemm(String what, float[] a, boolean ta, float[] b, boolean tb, int m, int n, int k,
                                  float alpha, float[] c, Broadcast mode, float beta, float[] y) {
        RealMatrix am = matrix(a, ta ? k : m, ta ? m : k, false);
        RealMatrix bm = matrix(b, tb ? n : k, tb ? k : n, false);
        RealMatrix aa = matrix(a, ta ? k : m, ta ? m : k, true);
        RealMatrix ba = matrix(b, tb ? n : k, tb ? k : n, true);
        if (ta) {
            am = am.transpose();
            aa = aa.transpose();
        }
        if (tb) {
            bm = bm.transpose();
            ba = ba.transpose();
        }
        RealMatrix p = am.multiply(bm);
        RealMatrix s = aa.multiply(ba);
        long nonZero = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double ct = beta * cAt(c, mode, i, j, n);
                double want = alpha * p.getEntry(i, j) + ct;
                double tol = C_BOUND * (k + 2) * U * (Math.abs(alpha) * s.getEntry(i, j) + Math.abs(ct));
                float got = y[i * n + j];
                if (!(Math.abs(got - want) <= tol)) {
                    fail(what + ": y[" + i + "," + j + "] = " + got + ", reference " + want + ", bound " + tol);
                }
                nonZero += got != 0 ? 1 : 0;
            }
        }
        assertTrue(nonZero > (long) m * n / 2, what + ": result mostly zero");
    }

    record Shape(int m, int n, int k) {
        @Override
        public String toString() {
            return m + "x" + n + "x" + k;
        }
    }

    static final List<Shape> SHAPES = List.of(new Shape(1, 1, 1), new Shape(7, 13, 17), new Shape(127, 129, 131),
            new Shape(33, 65, 31), new Shape(1, 300, 257), new Shape(300, 1, 257), new Shape(65, 17, 1),
            new Shape(3, 40, 70), new Shape(5, 33, 19), new Shape(32, 256, 40));

    @TestFactory
    List<DynamicTest> gemmMatchesCommonsMathForEveryTransposeAndBroadcast() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String label : Backends.labels()) {
            tests.add(DynamicTest.dynamicTest(label, () -> {
                Backend be = POOL.get(label);
                Random r = new Random(5);
                for (Shape s : SHAPES) {
                    for (int t = 0; t < 4; t++) {
                        boolean ta = (t & 1) != 0;
                        boolean tb = (t & 2) != 0;
                        Broadcast mode = Broadcast.values()[(t + s.m()) % Broadcast.values().length];
                        runGemm(be, r, s, ta, tb, mode, 1.5f, -0.75f);
                    }
                    for (Broadcast mode : Broadcast.values()) {
                        runGemm(be, r, s, false, true, mode, 1f, 1f);
                    }
                }
            }));
        }
        return tests;
    }

    /**
     * The GPU kernel family (local-memory tiles, the M = 1 reduction) forced on every OpenCL device, so
     * that it is tested on POCL too, where automatic selection would take the CPU kernels.
     */
    @Test
    void gpuKernelFamilyMatchesCommonsMathToo() {
        for (String selector : DeviceTests.openClSelectorsOrSkip()) {
            Backend be = POOL.get(selector);
            String before = System.getProperty("soma.gemmKernels");
            System.setProperty("soma.gemmKernels", "gpu");
            try {
                Random r = new Random(21);
                for (Shape s : SHAPES) {
                    for (int t = 0; t < 4; t++) {
                        Broadcast mode = Broadcast.values()[(t + s.n()) % Broadcast.values().length];
                        runGemm(be, r, s, (t & 1) != 0, (t & 2) != 0, mode, 0.5f, 2f);
                    }
                }
                runGemm(be, r, new Shape(1, 700, 300), false, true, Broadcast.ROW, 1f, 1f);
                // batches of 2 to 4 through x·Wᵀ (and Aᵀ·Wᵀ) take the work-group-per-element kernel
                for (int m = 2; m <= 4; m++) {
                    for (Broadcast mode : Broadcast.values()) {
                        runGemm(be, r, new Shape(m, 70 + m, 45 * m), m == 3, true, mode, 1f, 0.5f);
                    }
                }
            } finally {
                if (before == null) {
                    System.clearProperty("soma.gemmKernels");
                } else {
                    System.setProperty("soma.gemmKernels", before);
                }
            }
        }
    }

    private static void runGemm(Backend be, Random r, Shape s, boolean ta, boolean tb, Broadcast mode, float alpha,
                                float beta) {
        int m = s.m();
        int n = s.n();
        int k = s.k();
        float[] a = random(r, m * k);
        float[] b = random(r, k * n);
        int cr = mode == Broadcast.FULL || mode == Broadcast.COLUMN ? m : 1;
        int cc = mode == Broadcast.FULL || mode == Broadcast.ROW ? n : 1;
        float[] c = mode == Broadcast.NONE ? null : random(r, cr * cc);
        try (Tensor at = be.upload(a, ta ? k : m, ta ? m : k); Tensor bt = be.upload(b, tb ? n : k, tb ? k : n);
             Tensor ct = c == null ? null : be.upload(c, cr, cc); Tensor yt = be.tensor(m, n)) {
            be.gemm(at, ta, bt, tb, alpha, ct, beta, yt);
            Broadcast read = c == null ? Broadcast.NONE : Broadcast.of(cr, cc, m, n);
            checkGemm(be.info() + " " + s + (ta ? " Aᵀ" : "") + (tb ? " Bᵀ" : "") + " C " + read, a, ta, b, tb, m, n, k,
                    alpha, c, read, beta, yt.download());
        }
    }

    @TestFactory
    List<DynamicTest> largeShapesOnSampledEntries() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String label : Backends.labels()) {
            tests.add(DynamicTest.dynamicTest(label, () -> {
                Backend be = POOL.get(label);
                Random r = new Random(9);
                for (Shape s : List.of(new Shape(1, 4096, 4096), new Shape(4096, 1, 4096), new Shape(2048, 2048, 2048),
                        new Shape(256, 1024, 1024))) {
                    sampled(be, r, s);
                }
            }));
        }
        return tests;
    }

    /** A large dense layer (weights out × in, bias) checked on 2,000 sampled entries with the same bound. */
    private static void sampled(Backend be, Random r, Shape s) {
        int m = s.m();
        int n = s.n();
        int k = s.k();
        float[] x = random(r, m * k);
        float[] w = random(r, n * k);
        float[] bias = random(r, n);
        float[] y;
        try (Tensor xt = be.upload(x, m, k); Tensor wt = be.upload(w, n, k); Tensor bt = be.upload(bias, 1, n);
             Tensor yt = be.tensor(m, n)) {
            be.dense(xt, wt, WeightLayout.OUT_IN, bt, null, yt);
            y = yt.download();
        }
        for (int t = 0; t < 2000; t++) {
            int i = r.nextInt(m);
            int j = r.nextInt(n);
            double[] ref = Reference.denseAt(x, w, bias, k, i, j);
            double want = ref[0];
            double tol = C_BOUND * (k + 2) * U * ref[1];
            assertTrue(Math.abs(y[i * n + j] - want) <= tol, be.info() + " " + s + " y[" + i + "," + j + "] = "
                    + y[i * n + j] + ", reference " + want + ", bound " + tol);
        }
    }

    @TestFactory
    List<DynamicTest> fusedActivationEqualsTheTwoStepResult() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String label : Backends.labels()) {
            tests.add(DynamicTest.dynamicTest(label, () -> {
                Backend be = POOL.get(label);
                Random r = new Random(3);
                int m = 37;
                int n = 19;
                int k = 23;
                float[] x = random(r, m * k);
                float[] w = random(r, k * n); // in x out: the Keras layout
                float[] bias = random(r, n);
                float[] slopes = random(r, n);
                List<ActivationFunction> fs = new ArrayList<>(List.of(Activation.values()));
                fs.add(Activation.prelu(slopes));
                fs.add(Activation.noisyRelu(0.5, 99));
                fs.add(Activation.ELU.with(0.3));
                try (Tensor xt = be.upload(x, m, k); Tensor wt = be.upload(w, k, n); Tensor bt = be.upload(bias, 1, n);
                     Tensor fused = be.tensor(m, n); Tensor plain = be.tensor(m, n)) {
                    be.dense(xt, wt, WeightLayout.IN_OUT, bt, null, plain);
                    float[] pre = plain.download();
                    for (ActivationFunction f : fs) {
                        be.dense(xt, wt, WeightLayout.IN_OUT, bt, f, fused);
                        be.forward(f, plain, plain);
                        assertArrayEquals(plain.download(), fused.download(), be.info() + ": fused " + f);
                        plain.upload(pre);
                    }
                }
            }));
        }
        return tests;
    }

    /**
     * The same with weights out × in (the PyTorch layout, x·Wᵀ: on CPU OpenCL devices the kernel whose
     * epilogue runs on whole tiles), on shapes that take its different epilogues: a narrow result with
     * partial tiles in both directions, a result whose width the tiles cover exactly (rows past M done
     * as duplicates of the last row), and a single row (the matrix–vector blocking). Every activation
     * on the middle shape, a few on the others.
     */
    @TestFactory
    List<DynamicTest> fusedActivationEqualsTheTwoStepResultWithWeightsOutByIn() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String label : Backends.labels()) {
            tests.add(DynamicTest.dynamicTest(label, () -> {
                Backend be = POOL.get(label);
                Random r = new Random(4);
                int[][] shapes = {{70, 128, 33}, {37, 19, 23}, {1, 40, 23}};
                for (int[] sh : shapes) {
                    int m = sh[0];
                    int n = sh[1];
                    int k = sh[2];
                    float[] x = random(r, m * k);
                    float[] w = random(r, n * k); // out x in
                    float[] bias = random(r, n);
                    float[] slopes = random(r, n);
                    List<ActivationFunction> fs = new ArrayList<>();
                    if (sh == shapes[0]) {
                        fs.addAll(List.of(Activation.values()));
                    } else {
                        fs.addAll(List.of(Activation.RELU, Activation.GELU, Activation.SILU));
                    }
                    fs.add(Activation.prelu(slopes));
                    fs.add(Activation.noisyRelu(0.5, 99));
                    try (Tensor xt = be.upload(x, m, k); Tensor wt = be.upload(w, n, k);
                         Tensor bt = be.upload(bias, 1, n); Tensor fused = be.tensor(m, n);
                         Tensor plain = be.tensor(m, n)) {
                        be.dense(xt, wt, WeightLayout.OUT_IN, bt, null, plain);
                        float[] pre = plain.download();
                        for (ActivationFunction f : fs) {
                            be.dense(xt, wt, WeightLayout.OUT_IN, bt, f, fused);
                            be.forward(f, plain, plain);
                            assertArrayEquals(plain.download(), fused.download(),
                                    be.info() + ": " + m + "x" + n + "x" + k + " fused " + f);
                            plain.upload(pre);
                        }
                    }
                }
            }));
        }
        return tests;
    }

    @Test
    void handComputedNetwork() {
        for (String label : Backends.labels()) {
            Backend be = POOL.get(label);
            float[] w1 = {1, 2, 3, 4, -1, 0};        // 3 x 2
            float[] b1 = {1, -20, 0.5f};
            float[] w2 = {1, -1, 2};                 // 1 x 3
            float[] x = {1, 1, 2, -1};               // 2 x 2
            // layer 1: [1,1] -> [3,7,-1] + b = [4,-13,-0.5] -> relu [4,0,0]; [2,-1] -> [0,2,-2] + b -> [1,0,0]
            // layer 2: [4,0,0] -> 4; [1,0,0] -> 1
            try (Network net = Network.builder().dense(w1, 3, 2, b1, Activation.RELU).dense(w2, 1, 3, null, null)
                    .build(be)) {
                assertArrayEquals(new float[] {4, 1}, net.forward(x, 2), be.info().toString());
                assertEquals(0, net.forward(new float[0], 0).length);
            }
        }
    }

    @Test
    void realisticNetworkMatchesTheDoubleReference() {
        int[] widths = {784, 512, 256, 10};
        Random r = new Random(17);
        float[][] w = new float[3][];
        float[][] b = new float[3][];
        for (int l = 0; l < 3; l++) {
            w[l] = new float[widths[l + 1] * widths[l]];
            double scale = Math.sqrt(2.0 / widths[l]); // He initialisation: activations stay O(1)
            for (int i = 0; i < w[l].length; i++) {
                w[l][i] = (float) (r.nextGaussian() * scale);
            }
            b[l] = random(r, widths[l + 1]);
        }
        int batch = 64;
        float[] x = new float[batch * 784];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextFloat();
        }
        // double reference, carrying an error bound per element through the layers: a dot product adds
        // (K+2)·u·Σ|w||x| to the propagated |W|·e; ReLU does not grow it (Lipschitz 1)
        double[] in = new double[x.length];
        double[] err = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            in[i] = x[i];
        }
        for (int l = 0; l < 3; l++) {
            int k = widths[l];
            int n = widths[l + 1];
            double[] out = new double[batch * n];
            double[] e = new double[batch * n];
            for (int i = 0; i < batch; i++) {
                for (int j = 0; j < n; j++) {
                    double dot = b[l][j];
                    double abs = Math.abs(b[l][j]);
                    double prop = 0;
                    for (int q = 0; q < k; q++) {
                        double p = w[l][j * k + q] * in[i * k + q];
                        dot += p;
                        abs += Math.abs(p);
                        prop += Math.abs(w[l][j * k + q]) * err[i * k + q];
                    }
                    boolean relu = l < 2;
                    out[i * n + j] = relu ? Math.max(dot, 0) : dot;
                    e[i * n + j] = (k + 2) * U * abs + prop + (relu ? 0 : 0);
                }
            }
            in = out;
            err = e;
        }
        double[] ref = new double[batch * 10];
        for (int i = 0; i < batch; i++) {
            double m = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < 10; j++) {
                m = Math.max(m, in[i * 10 + j]);
            }
            double sum = 0;
            for (int j = 0; j < 10; j++) {
                sum += Math.exp(in[i * 10 + j] - m);
            }
            for (int j = 0; j < 10; j++) {
                ref[i * 10 + j] = Math.exp(in[i * 10 + j] - m) / sum;
            }
        }
        for (String label : Backends.labels()) {
            Backend be = POOL.get(label);
            try (Network net = Network.builder()
                    .dense(w[0], 512, 784, b[0], Activation.RELU)
                    .dense(w[1], 256, 512, b[1], Activation.RELU)
                    .dense(w[2], 10, 256, b[2], null)
                    .softmax().build(be)) {
                float[] got = net.forward(x, batch);
                for (int i = 0; i < batch; i++) {
                    double maxErr = 0;
                    for (int j = 0; j < 10; j++) {
                        maxErr = Math.max(maxErr, err[i * 10 + j]);
                    }
                    for (int j = 0; j < 10; j++) {
                        double p = ref[i * 10 + j];
                        // softmax: |Δp| ≤ 2·p·max|Δz| to first order, then one rounding of p (u·p)
                        double tol = 2 * p * maxErr * 1.01 + U * p + Float.MIN_NORMAL;
                        double g = got[i * 10 + j];
                        assertTrue(Math.abs(g - p) <= tol, be.info() + " row " + i + " class " + j + ": " + g
                                + " vs " + p + " (bound " + tol + ")");
                    }
                }
            }
        }
    }
}
