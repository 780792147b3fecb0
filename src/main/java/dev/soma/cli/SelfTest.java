package dev.soma.cli;

import dev.soma.ActivationFunction;
import dev.soma.Backend;

import java.util.Locale;
import java.util.Random;

/** The probe's numerical self-test: one backend against the pure-Java path on a small grid. */
final class SelfTest {

    private SelfTest() {
    }

    record Result(boolean pass, double worstUlp, String worstCase, String failure) {
        String summary() {
            if (failure != null) {
                return failure;
            }
            return String.format(Locale.ROOT, "worst %.0f ULP (%s)", worstUlp, worstCase);
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
                        return new Result(false, u, where, String.format(Locale.ROOT,
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
                    return new Result(false, u, "softmax", String.format(Locale.ROOT,
                            "%s element %d: got %s, Java path %s (%.0f ULP)", log == 0 ? "softmax" : "log_softmax", i,
                            got[i], want[i], u));
                }
                if (u > worst) {
                    worst = u;
                    worstCase = log == 0 ? "softmax" : "log_softmax";
                }
            }
        }
        return new Result(true, worst, worstCase, null);
    }

    /** The Java path against hand-known values: it is the yardstick of every device's self-test. */
    static Result javaSanity(Backend java) {
        float[] x = {0f, 1f, -1f};
        float[] s = java.forward(dev.soma.Activation.SIGMOID, x);
        float[] t = java.forward(dev.soma.Activation.TANH, x);
        boolean ok = s[0] == 0.5f && Math.abs(s[1] - 0.7310586f) <= Math.ulp(0.7310586f)
                && Math.abs(t[2] + 0.7615942f) <= Math.ulp(0.7615942f);
        return new Result(ok, 0, "known values", ok ? null : "sigmoid/tanh known values wrong");
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
