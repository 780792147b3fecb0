package dev.soma.cpu;

import dev.soma.Activation;
import dev.soma.ActivationFunction;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The pure-Java path evaluates the catalogue's formulas in double and rounds once; hard_sigmoid and
 * hard_swish′ run branch-free rewritten forms of them (and are the candidates for float-only forms,
 * which C2 vectorises where it does not vectorise float↔double conversions). This test holds them
 * to the plain double evaluation, bit for bit (tolerance 0: the Java path is the exact reference
 * mode), on the special values, every float in the windows where such forms are most delicate
 * (around the kinks, the ties of the roundings, the subnormals) and a few million random bit
 * patterns, for the default parameters and others.
 */
class FloatFormsTest {

    private static final double SIXTH = 0x1.5555555555555p-3;

    /** The double form: (2u+3)·(1/6) on [−3, 3], 0 below, 1 above, rounded once. */
    static float hardSwishD(float x) {
        double v = x;
        if (v != v) {
            return Float.NaN;
        }
        if (v < -3) {
            return 0f;
        }
        if (v > 3) {
            return 1f;
        }
        return (float) ((2.0 * v + 3.0) * SIXTH);
    }

    /** max(0, min(1, αx+β)) in double; f′ = α inside (0,1), else 0. */
    static float hardSigmoid(double a, double b, float x, boolean d) {
        double w = a * x + b;
        if (w != w) {
            return Float.NaN;
        }
        if (d) {
            return (float) ((w > 0 && w < 1) ? a : 0.0);
        }
        return (float) (w < 0 ? 0.0 : (w > 1 ? 1.0 : w));
    }

    private interface Ref {
        float at(float x);
    }

    private static void check(String what, ActivationFunction f, boolean d, Ref ref) {
        float[] x = inputs();
        float[] y = new float[x.length];
        JavaKernels.elementwise(f, d, x, y, 0, x.length);
        int bad = 0;
        StringBuilder msg = new StringBuilder();
        for (int i = 0; i < x.length; i++) {
            float want = ref.at(x[i]);
            boolean same = want != want ? y[i] != y[i] : Float.floatToRawIntBits(want) == Float.floatToRawIntBits(y[i]);
            if (!same && bad++ < 5) {
                msg.append(String.format(" x=%a want %a got %a;", x[i], want, y[i]));
            }
        }
        if (bad > 0) {
            fail(what + ": " + bad + " of " + x.length + " differ from the double form:" + msg);
        }
    }

    /** Special values, every float near the kinks and ties, subnormals, random bit patterns. */
    static float[] inputs() {
        java.util.ArrayList<Float> fixed = new java.util.ArrayList<>();
        for (float v : new float[] {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE,
                -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 3f, -3f, 1.5f, -1.5f,
                2.5f, -2.5f, 0.5f, 1f, 0x1.2p-22f}) {
            fixed.add(v);
        }
        int windows = 12;
        int perWindow = 1 << 16;
        float[] centres = {3f, -3f, 1.5f, -1.5f, 2.5f, -2.5f, 0.75f, 0x1.2p-22f, 1e-3f, 0.5f, Float.MIN_NORMAL, 0f};
        int random = 1 << 21;
        float[] x = new float[fixed.size() + windows * perWindow * 2 + random];
        int k = 0;
        for (float v : fixed) {
            x[k++] = v;
        }
        for (float c : centres) {
            int bits = Float.floatToRawIntBits(c);
            for (int j = -perWindow; j < perWindow; j++) {
                x[k++] = Float.intBitsToFloat(bits + j); // every float around c (both signs of 0 around 0)
            }
        }
        SplittableRandom r = new SplittableRandom(2024);
        while (k < x.length) {
            x[k++] = Float.intBitsToFloat(r.nextInt());
        }
        return x;
    }

    @Test
    void hardSwishDerivativeMatchesTheDoubleForm() {
        check("hard_swish'", Activation.HARD_SWISH, true, FloatFormsTest::hardSwishD);
    }

    @Test
    void hardSigmoidMatchesTheDoubleFormForVerifiedAndOtherParameters() {
        double[][] params = {{0.2, 0.5}, {1.0 / 6.0, 0.5}, {0.3, 0.5}, {0.25, 0.0}, {1.7, -0.25}, {0.2, -0.0}};
        for (double[] p : params) {
            ActivationFunction f = Activation.HARD_SIGMOID.with(p);
            double a = f.param(0);
            double b = f.param(1);
            for (boolean d : new boolean[] {false, true}) {
                check("hard_sigmoid" + (d ? "'" : "") + " α=" + p[0] + " β=" + p[1], f, d, v -> hardSigmoid(a, b, v, d));
            }
        }
    }
}
