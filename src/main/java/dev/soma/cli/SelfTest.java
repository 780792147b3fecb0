package dev.soma.cli;

import dev.soma.Activation;
import dev.soma.ActivationFunction;
import dev.soma.Backend;
import dev.soma.Tensor;
import dev.soma.WeightLayout;

import java.util.Locale;
import java.util.Random;

/** The probe's numerical self-test: one backend against the pure-Java path on a small grid. */
final class SelfTest {

    private SelfTest() {
    }

    /** The dense layer of the self-test: batch × in → batch × out, with bias and GELU. */
    static final int DENSE_BATCH = 3;
    static final int DENSE_IN = 17;
    static final int DENSE_OUT = 29;
    /** The largest slope of GELU (at x ≈ 0.75: 1.1289); an error before the activation grows by at most this. */
    static final double GELU_LIPSCHITZ = 1.13;
    static final String DENSE_LABEL = "dense " + DENSE_BATCH + "x" + DENSE_IN + "x" + DENSE_OUT + " +bias GELU";
    static final String JAVA_DENSE_LABEL = "dense " + DENSE_BATCH + "x" + DENSE_IN + "x" + DENSE_OUT
            + " +bias vs double";

    /**
     * One self-test's outcome.
     *
     * @param worstUlp   the largest element-wise / softmax distance to the Java path, in ULP
     * @param worstCase  where it was
     * @param denseWorst the dense layer's largest error as a fraction of its bound (≤ 1 passes); NaN if not run
     * @param denseCase  what the dense check compared
     * @param failure    why it failed, or null
     */
    record Result(boolean pass, double worstUlp, String worstCase, double denseWorst, String denseCase,
                  String failure) {
        String summary() {
            if (failure != null) {
                return failure;
            }
            String s = String.format(Locale.ROOT, "worst %.0f ULP (%s)", worstUlp, worstCase);
            if (!Double.isNaN(denseWorst)) {
                s += String.format(Locale.ROOT, "; %s within %.3f of its bound", denseCase, denseWorst);
            }
            return s;
        }

        String status() {
            return pass ? "PASS" : "FAIL";
        }
    }

    /** A small grid: a linear sweep over [-12, 12] of 3 columns, and the special values. */
    static float[] grid() {
        float[] special = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE,
                -Float.MIN_NORMAL, 1e-30f, -1e-30f, 3f, -3f, 6f, 1e4f, -1e4f, 88f, -104f};
        int n = 3 * 801;
        float[] x = new float[n + special.length + 2]; // a multiple of 3: PReLU runs with 3 slopes
        for (int i = 0; i < n; i++) {
            x[i] = -12f + 24f * i / (n - 1);
        }
        System.arraycopy(special, 0, x, n, special.length);
        return x;
    }

    static Result compare(Backend b, Backend java) {
        float[] x = grid();
        double worst = 0;
        String worstCase = "all exact";
        for (ActivationFunction f : Probe.functions()) {
            for (int deriv = 0; deriv < 2; deriv++) {
                float[] got = deriv == 0 ? b.forward(f, x) : b.derivative(f, x);
                float[] want = deriv == 0 ? java.forward(f, x) : java.derivative(f, x);
                double bar = deriv == 0 ? Probe.FORWARD_ULP : Probe.DERIVATIVE_ULP;
                for (int i = 0; i < x.length; i++) {
                    double u = ulps(got[i], want[i]);
                    String where = f + (deriv == 0 ? "" : " derivative") + " at x=" + x[i];
                    if (u > bar) {
                        return new Result(false, u, where, Double.NaN, null, String.format(Locale.ROOT,
                                "%s: got %s, Java path %s (%.0f ULP > %.0f)", where, got[i], want[i], u, bar));
                    }
                    if (u > worst) {
                        worst = u;
                        worstCase = where;
                    }
                }
            }
        }
        Random r = new Random(1);
        int rows = 4;
        int cols = 1000;
        float[] m = new float[rows * cols];
        for (int i = 0; i < m.length; i++) {
            m[i] = (float) (r.nextGaussian() * 8);
        }
        for (int log = 0; log < 2; log++) {
            float[] got = log == 0 ? b.softmax(m, rows, cols) : b.logSoftmax(m, rows, cols);
            float[] want = log == 0 ? java.softmax(m, rows, cols) : java.logSoftmax(m, rows, cols);
            for (int i = 0; i < m.length; i++) {
                double u = ulps(got[i], want[i]);
                if (u > Probe.SOFTMAX_ULP) {
                    return new Result(false, u, "softmax", Double.NaN, null, String.format(Locale.ROOT,
                            "%s element %d: got %s, Java path %s (%.0f ULP)", log == 0 ? "softmax" : "log_softmax", i,
                            got[i], want[i], u));
                }
                if (u > worst) {
                    worst = u;
                    worstCase = log == 0 ? "softmax" : "log_softmax";
                }
            }
        }
        DenseCheck dc = denseAgainstJava(b, java);
        if (dc.failure != null) {
            return new Result(false, worst, worstCase, dc.worst, DENSE_LABEL, dc.failure);
        }
        return new Result(true, worst, worstCase, dc.worst, DENSE_LABEL, null);
    }

    /** The dense check's worst error as a fraction of its bound, and the failure, if any. */
    private record DenseCheck(double worst, String failure) {
    }

    /** Inputs of the dense check: x (batch × in), w (out × in, PyTorch layout), bias (1 × out). */
    private static float[][] denseInputs() {
        Random r = new Random(3);
        float[] x = new float[DENSE_BATCH * DENSE_IN];
        float[] w = new float[DENSE_OUT * DENSE_IN];
        float[] bias = new float[DENSE_OUT];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * 2);
        }
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextGaussian() / Math.sqrt(DENSE_IN));
        }
        for (int i = 0; i < bias.length; i++) {
            bias[i] = (float) (r.nextGaussian() * 0.5);
        }
        return new float[][] {x, w, bias};
    }

    /** y = f(x·wᵀ + bias) on {@code b}, through {@link Backend#dense}. */
    private static float[] dense(Backend b, float[][] in, ActivationFunction f) {
        try (Tensor x = b.upload(in[0], DENSE_BATCH, DENSE_IN); Tensor w = b.upload(in[1], DENSE_OUT, DENSE_IN);
             Tensor bias = b.upload(in[2], 1, DENSE_OUT); Tensor y = b.tensor(DENSE_BATCH, DENSE_OUT)) {
            b.dense(x, w, WeightLayout.OUT_IN, bias, f, y);
            return y.download();
        }
    }

    /** Σ|x||w| + |bias| of entry (i, j): the scale of the GEMM's rounding error. */
    private static double magnitude(float[][] in, int i, int j) {
        double s = Math.abs(in[2][j]);
        for (int k = 0; k < DENSE_IN; k++) {
            s += Math.abs((double) in[0][i * DENSE_IN + k] * in[1][j * DENSE_IN + k]);
        }
        return s;
    }

    /**
     * The device's dense layer (with GELU) against the Java path's. Each of the two float GEMMs is within
     * (K+2)·2^-24·(Σ|x||w| + |b|) of the exact result, GELU multiplies that by at most
     * {@value #GELU_LIPSCHITZ}, and the two activations differ by about 1 ULP: the bound per entry is
     * 2·(K+2)·2^-24·(Σ|x||w| + |b|)·{@value #GELU_LIPSCHITZ} + 1 ULP of the Java path's value.
     */
    private static DenseCheck denseAgainstJava(Backend b, Backend java) {
        float[][] in = denseInputs();
        float[] got;
        try {
            got = dense(b, in, Activation.GELU);
        } catch (RuntimeException e) {
            return new DenseCheck(Double.NaN, DENSE_LABEL + ": " + e.getMessage());
        }
        float[] want = dense(java, in, Activation.GELU);
        double worst = 0;
        for (int i = 0; i < DENSE_BATCH; i++) {
            for (int j = 0; j < DENSE_OUT; j++) {
                int at = i * DENSE_OUT + j;
                double bound = 2.0 * (DENSE_IN + 2) * 0x1p-24 * magnitude(in, i, j) * GELU_LIPSCHITZ
                        + Math.ulp(want[at]);
                double err = Math.abs((double) got[at] - want[at]);
                double frac = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err / bound;
                if (frac > 1) {
                    return new DenseCheck(frac, String.format(Locale.ROOT,
                            "%s: y[%d][%d] = %s, Java path %s (error %.3g > bound %.3g)", DENSE_LABEL, i, j, got[at],
                            want[at], err, bound));
                }
                worst = Math.max(worst, frac);
            }
        }
        return new DenseCheck(worst, null);
    }

    /**
     * The Java path's dense layer without activation against the same sum in double precision, within
     * the GEMM bound (K+2)·2^-24·(Σ|x||w| + |b|) per entry.
     */
    private static DenseCheck javaDenseSanity(Backend java) {
        float[][] in = denseInputs();
        float[] got = dense(java, in, null);
        double worst = 0;
        for (int i = 0; i < DENSE_BATCH; i++) {
            for (int j = 0; j < DENSE_OUT; j++) {
                double exact = in[2][j];
                for (int k = 0; k < DENSE_IN; k++) {
                    exact += (double) in[0][i * DENSE_IN + k] * in[1][j * DENSE_IN + k];
                }
                double bound = (DENSE_IN + 2) * 0x1p-24 * magnitude(in, i, j);
                double err = Math.abs(got[i * DENSE_OUT + j] - exact);
                double frac = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err / bound;
                if (frac > 1) {
                    return new DenseCheck(frac, String.format(Locale.ROOT,
                            "dense %dx%dx%d +bias: y[%d][%d] = %s, exact %s (error %.3g > bound %.3g)", DENSE_BATCH,
                            DENSE_IN, DENSE_OUT, i, j, got[i * DENSE_OUT + j], exact, err, bound));
                }
                worst = Math.max(worst, frac);
            }
        }
        return new DenseCheck(worst, null);
    }

    /**
     * The Java path against hand-known values and its dense layer against double precision: it is the
     * yardstick of every device's self-test.
     */
    static Result javaSanity(Backend java) {
        float[] x = {0f, 1f, -1f};
        float[] s = java.forward(dev.soma.Activation.SIGMOID, x);
        float[] t = java.forward(dev.soma.Activation.TANH, x);
        boolean ok = s[0] == 0.5f && Math.abs(s[1] - 0.7310586f) <= Math.ulp(0.7310586f)
                && Math.abs(t[2] + 0.7615942f) <= Math.ulp(0.7615942f);
        if (!ok) {
            return new Result(false, 0, "known values", Double.NaN, null, "sigmoid/tanh known values wrong");
        }
        DenseCheck dc;
        try {
            dc = javaDenseSanity(java);
        } catch (RuntimeException e) {
            dc = new DenseCheck(Double.NaN, "dense: " + e.getMessage());
        }
        return new Result(dc.failure == null, 0, "known values", dc.worst, JAVA_DENSE_LABEL, dc.failure);
    }

    /** Distance in ULPs of {@code want}; NaN matches NaN; values below the normal range count as equal. */
    static double ulps(float got, float want) {
        if (Float.compare(got, want) == 0 || got == want) {
            return 0;
        }
        if (Float.isNaN(got) || Float.isNaN(want) || Float.isInfinite(got) || Float.isInfinite(want)) {
            return Double.POSITIVE_INFINITY;
        }
        if (Math.abs(got) < Float.MIN_NORMAL && Math.abs(want) < Float.MIN_NORMAL) {
            return 0;
        }
        return Math.abs((double) got - want) / Math.ulp(want);
    }
}
