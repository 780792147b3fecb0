package dev.soma.accuracy;

import dev.soma.Activation;
import dev.soma.ActivationFunction;
import dev.soma.Backend;
import dev.soma.BackendInfo;
import dev.soma.reference.Backends;
import dev.soma.reference.Functions;
import dev.soma.reference.Ulp;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hand-computed known cases on every backend: values derived exactly or from closed forms (not
 * from the reference, so a mistake shared by the reference and the kernels still shows), the
 * special-value rules of the catalogue (NaN, ±∞ limits, the sign of −0) and the special softmax rows.
 *
 * <p>Tolerance for a closed-form value: ≤ 1 ULP of the float nearest to it (the backends round a
 * double evaluation once; exact values such as relu6(7) = 6 must be exact and are compared with
 * {@code ==}).
 */
class KnownCasesTest {

    private static final Backends.Pool POOL = new Backends.Pool();
    private static final double LN2 = Math.log(2);
    private static final float INF = Float.POSITIVE_INFINITY;

    @AfterAll
    static void close() {
        POOL.close();
    }

    /** f, direction, x, expected (double; compared within 1 ULP of its float). */
    private record Known(ActivationFunction f, boolean derivative, float x, double expected) {
        @Override
        public String toString() {
            return Functions.label(f) + (derivative ? "′" : "") + "(" + x + ") = " + expected;
        }
    }

    static List<Known> knownValues() {
        List<Known> k = new ArrayList<>();
        // forward, closed forms
        k.add(new Known(Activation.IDENTITY, false, 1.5f, 1.5));
        k.add(new Known(Activation.BINARY_STEP, false, 0f, 1));
        k.add(new Known(Activation.BINARY_STEP, false, -1e-30f, 0));
        k.add(new Known(Activation.SIGMOID, false, 0f, 0.5));
        k.add(new Known(Activation.SIGMOID, false, (float) Math.log(3), 0.75)); // 1/(1+1/3); float(ln 3) moves it 0.25 ULP
        k.add(new Known(Activation.GENERALIZED_LOGISTIC.with(2), false, 0f, 0.25));
        k.add(new Known(Activation.GENERALIZED_LOGISTIC.with(0.5), false, 0f, Math.sqrt(0.5)));
        k.add(new Known(Activation.TANH, false, 0f, 0));
        k.add(new Known(Activation.ARCTAN, false, 1f, Math.PI / 4));
        k.add(new Known(Activation.GUDERMANNIAN, false, 0f, 0));
        k.add(new Known(Activation.ERF, false, 0f, 0));
        k.add(new Known(Activation.ALGEBRAIC_SIGMOID, false, 1f, Math.sqrt(0.5)));
        k.add(new Known(Activation.ALGEBRAIC_SIGMOID, false, 1e30f, 1));
        k.add(new Known(Activation.SOFTSIGN, false, 1f, 0.5));
        k.add(new Known(Activation.SOFTSIGN, false, -3f, -0.75));
        k.add(new Known(Activation.HARD_SIGMOID, false, 0f, 0.5));
        k.add(new Known(Activation.HARD_SIGMOID, false, 10f, 1));
        k.add(new Known(Activation.HARD_SIGMOID, false, -10f, 0));
        k.add(new Known(Activation.HARD_SIGMOID.with(1.0 / 6, 0.5), false, 3f, 1));
        k.add(new Known(Activation.RELU, false, -2f, 0));
        k.add(new Known(Activation.RELU, false, 2.5f, 2.5));
        k.add(new Known(Activation.RELU6, false, 7f, 6));
        k.add(new Known(Activation.RELU6, false, 5f, 5));
        k.add(new Known(Activation.LEAKY_RELU, false, -2f, -2 * (double) 0.01f));
        k.add(new Known(Activation.LEAKY_RELU.with(0.2), false, -5f, -5 * (double) 0.2f));
        k.add(new Known(Activation.PRELU, false, -4f, -1));
        k.add(new Known(Activation.THRESHOLDED_RELU, false, 1f, 0));
        k.add(new Known(Activation.THRESHOLDED_RELU, false, 1.5f, 1.5));
        k.add(new Known(Activation.THRESHOLDED_RELU.with(-1), false, -0.5f, -0.5));
        k.add(new Known(Activation.ELU, false, -INF, -1));
        k.add(new Known(Activation.ELU.with(0.5), false, -INF, -0.5));
        k.add(new Known(Activation.ELU, false, -1f, Math.exp(-1) - 1));
        k.add(new Known(Activation.SELU, false, 1f, Activation.SELU_LAMBDA));
        k.add(new Known(Activation.SELU, false, -INF, -Activation.SELU_LAMBDA * Activation.SELU_ALPHA));
        k.add(new Known(Activation.CELU.with(2), false, -2f, 2 * (Math.exp(-1) - 1)));
        k.add(new Known(Activation.SOFTPLUS, false, 0f, LN2));
        k.add(new Known(Activation.SOFTPLUS.with(2), false, 0f, LN2 / 2));
        k.add(new Known(Activation.LOG_SIGMOID, false, 0f, -LN2));
        k.add(new Known(Activation.GELU, false, 0f, 0));
        k.add(new Known(Activation.GELU, false, 1f, 0.8413447460685429));    // Φ(1)
        k.add(new Known(Activation.GELU_TANH, false, 0f, 0));
        k.add(new Known(Activation.SILU, false, 0f, 0));
        k.add(new Known(Activation.SILU, false, 2f, 2 / (1 + Math.exp(-2))));
        k.add(new Known(Activation.MISH, false, 0f, 0));
        k.add(new Known(Activation.MISH, false, 1f, Math.tanh(Math.log1p(Math.E))));
        k.add(new Known(Activation.HARD_SWISH, false, -3f, 0));
        k.add(new Known(Activation.HARD_SWISH, false, 3f, 3));
        k.add(new Known(Activation.HARD_SWISH, false, -1.5f, -0.375));
        // derivatives, closed forms
        k.add(new Known(Activation.IDENTITY, true, -7f, 1));
        k.add(new Known(Activation.SIGMOID, true, 0f, 0.25));
        k.add(new Known(Activation.TANH, true, 0f, 1));
        k.add(new Known(Activation.ARCTAN, true, 1f, 0.5));
        k.add(new Known(Activation.GUDERMANNIAN, true, 0f, 1));
        k.add(new Known(Activation.ERF, true, 0f, 2 / Math.sqrt(Math.PI)));
        k.add(new Known(Activation.ALGEBRAIC_SIGMOID, true, 0f, 1));
        k.add(new Known(Activation.SOFTSIGN, true, 1f, 0.25));
        k.add(new Known(Activation.HARD_SIGMOID, true, 0f, 0.2f));
        k.add(new Known(Activation.RELU, true, 0f, 0));                     // PyTorch: x > 0 ? 1 : 0
        k.add(new Known(Activation.RELU6, true, 6f, 0));
        k.add(new Known(Activation.LEAKY_RELU, true, 0f, 0.01f));
        k.add(new Known(Activation.THRESHOLDED_RELU, true, 1f, 0));
        k.add(new Known(Activation.ELU, true, 0f, 1));                      // α·e^0
        k.add(new Known(Activation.ELU.with(0.5), true, 0f, 0.5));
        k.add(new Known(Activation.SELU, true, 1f, Activation.SELU_LAMBDA));
        k.add(new Known(Activation.CELU.with(2), true, -2f, Math.exp(-1)));
        k.add(new Known(Activation.SOFTPLUS, true, 0f, 0.5));
        k.add(new Known(Activation.LOG_SIGMOID, true, 0f, 0.5));
        k.add(new Known(Activation.GELU, true, 0f, 0.5));
        k.add(new Known(Activation.GELU_TANH, true, 0f, 0.5));
        k.add(new Known(Activation.SILU, true, 0f, 0.5));
        k.add(new Known(Activation.SILU.with(1.702), true, 0f, 0.5));
        k.add(new Known(Activation.MISH, true, 0f, Math.tanh(LN2)));         // tanh(sp(0)) + 0
        k.add(new Known(Activation.HARD_SWISH, true, -3f, -0.5));            // PyTorch: x/3 + ½ on [−3, 3]
        k.add(new Known(Activation.HARD_SWISH, true, 3f, 1.5));
        k.add(new Known(Activation.HARD_SWISH, true, -1.5f, 0));
        // ±∞ limits
        for (ActivationFunction f : Functions.all()) {
            if (f.activation() == Activation.NOISY_RELU) {
                continue;
            }
            for (float x : new float[] {INF, -INF}) {
                k.add(new Known(f, false, x, limit(f, x)));
                k.add(new Known(f, true, x, derivativeLimit(f, x)));
            }
        }
        return k;
    }

    /** f(±∞) from the catalogue: the mathematical limit. */
    static double limit(ActivationFunction f, float x) {
        boolean pos = x > 0;
        switch (f.activation()) {
            case IDENTITY: return x;
            case BINARY_STEP: return pos ? 1 : 0;
            case SIGMOID: case GENERALIZED_LOGISTIC: return pos ? 1 : 0;
            case TANH: case ERF: case ALGEBRAIC_SIGMOID: case SOFTSIGN: return pos ? 1 : -1;
            case ARCTAN: case GUDERMANNIAN: return pos ? Math.PI / 2 : -Math.PI / 2;
            case HARD_SIGMOID: return pos ? 1 : 0;
            case RELU: return pos ? x : 0;
            case RELU6: return pos ? 6 : 0;
            case LEAKY_RELU: return pos ? x : f.param(0) > 0 ? x : f.param(0) < 0 ? -x : 0;
            case PRELU: return pos ? x : f.slopes()[0] > 0 ? x : f.slopes()[0] < 0 ? -x : 0;
            case THRESHOLDED_RELU: return pos ? x : 0;
            case ELU: return pos ? x : -f.param(0);
            case SELU: return pos ? x : -Activation.SELU_LAMBDA * Activation.SELU_ALPHA;
            case CELU: return pos ? x : -f.param(0);
            case SOFTPLUS: return pos ? x : 0;
            case LOG_SIGMOID: return pos ? 0 : x;
            case GELU: case GELU_TANH: case SILU: case MISH: case HARD_SWISH: return pos ? x : 0;
            default: throw new AssertionError(f);
        }
    }

    /** f′(±∞): 0 for the saturating functions, the asymptotic slope for the others. */
    static double derivativeLimit(ActivationFunction f, float x) {
        boolean pos = x > 0;
        switch (f.activation()) {
            case IDENTITY: return 1;
            case RELU: case RELU6: case THRESHOLDED_RELU: return pos && f.activation() != Activation.RELU6 ? 1 : 0;
            case LEAKY_RELU: return pos ? 1 : f.param(0);
            case PRELU: return pos ? 1 : f.slopes()[0];
            case ELU: case CELU: case SOFTPLUS: case GELU: case GELU_TANH: case SILU: case MISH: case HARD_SWISH:
                return pos ? 1 : 0;
            case SELU: return pos ? Activation.SELU_LAMBDA : 0;
            case LOG_SIGMOID: return pos ? 0 : 1;
            default: return 0; // the bounded ones flatten out; binary_step′ ≡ 0; hard_sigmoid′ = 0 outside
        }
    }

    @TestFactory
    List<DynamicNode> knownCases() {
        return Backends.perBackend(label -> {
            List<DynamicNode> cases = new ArrayList<>();
            cases.add(DynamicTest.dynamicTest("closed-form values and ±∞ limits", () -> values(label)));
            cases.add(DynamicTest.dynamicTest("NaN in, NaN out (forward and derivative)", () -> nan(label)));
            cases.add(DynamicTest.dynamicTest("sign of −0", () -> signOfZero(label)));
            cases.add(DynamicTest.dynamicTest("softmax special rows", () -> softmaxRows(label)));
            return cases;
        });
    }

    private static Backend backend(String label) {
        Backend b = POOL.get(label);
        if (!"java".equals(label)) {
            assertEquals(BackendInfo.Kind.OPENCL, b.info().kind(), "OpenCL case must run on OpenCL");
        }
        return b;
    }

    private static void values(String label) {
        Backend b = backend(label);
        StringBuilder failures = new StringBuilder();
        List<Known> all = knownValues();
        for (Known k : all) {
            float got = Functions.run(b, k.f(), k.derivative(), new float[] {k.x()})[0];
            double e = Ulp.error(got, k.expected());
            if (!(e <= 1)) {
                failures.append(String.format("%n  %s: got %s (%.3g ULP)", k, got, e));
            }
        }
        assertTrue(all.size() > 150, "known cases: " + all.size());
        assertEquals("", failures.toString(), "known cases on " + b.info());
    }

    private static void nan(String label) {
        Backend b = backend(label);
        // NaN among ordinary values, so that a vectorised kernel meets it in every lane position
        float[] x = new float[64];
        for (int i = 0; i < x.length; i++) {
            x[i] = i % 4 == 0 ? Float.NaN : (i - 32) * 0.37f;
        }
        x[1] = Float.intBitsToFloat(0xffc00001); // a negative NaN with payload
        StringBuilder failures = new StringBuilder();
        for (ActivationFunction f : Functions.all()) {
            for (boolean d : new boolean[] {false, true}) {
                float[] y = Functions.run(b, f, d, x);
                for (int i = 0; i < x.length; i++) {
                    if (Float.isNaN(x[i]) && !Float.isNaN(y[i])) {
                        failures.append(String.format("%n  %s%s(NaN) = %s at index %d", Functions.label(f), d ? "′" : "", y[i], i));
                    }
                    if (!Float.isNaN(x[i]) && Float.isNaN(y[i])) {
                        failures.append(String.format("%n  %s%s(%s) = NaN", Functions.label(f), d ? "′" : "", x[i]));
                    }
                }
            }
        }
        assertEquals("", failures.toString(), "NaN rule on " + b.info());
    }

    /**
     * f(−0) = −0 where f(x) = x near 0 (the catalogue: −0.0 keeps its sign), and relu(−0) = +0
     * (this project's documented choice: max(0, x) with the x > 0 test gives +0).
     */
    private static void signOfZero(String label) {
        Backend b = backend(label);
        List<ActivationFunction> keepSign = List.of(Activation.IDENTITY, Activation.TANH, Activation.ARCTAN,
                Activation.GUDERMANNIAN, Activation.ALGEBRAIC_SIGMOID, Activation.SOFTSIGN, Activation.ELU,
                Activation.CELU, Activation.CELU.with(2), Activation.LEAKY_RELU, Activation.LEAKY_RELU.with(0.2),
                Activation.PRELU, Activation.ERF, Activation.SELU, Activation.THRESHOLDED_RELU.with(-1));
        StringBuilder failures = new StringBuilder();
        for (ActivationFunction f : keepSign) {
            float[] y = Functions.run(b, f, false, new float[] {-0f, 0f});
            if (Float.floatToRawIntBits(y[0]) != Float.floatToRawIntBits(-0f)) {
                failures.append(String.format("%n  %s(−0) = %s, expected −0.0", Functions.label(f), y[0]));
            }
            if (Float.floatToRawIntBits(y[1]) != 0) {
                failures.append(String.format("%n  %s(+0) = %s, expected +0.0", Functions.label(f), y[1]));
            }
        }
        for (ActivationFunction f : List.of(Activation.RELU, Activation.RELU6)) {
            float[] y = Functions.run(b, f, false, new float[] {-0f});
            if (Float.floatToRawIntBits(y[0]) != 0) {
                failures.append(String.format("%n  %s(−0) = %s, expected +0.0", Functions.label(f), y[0]));
            }
        }
        assertEquals("", failures.toString(), "sign of zero on " + b.info());
    }

    private static final float MAX = Float.MAX_VALUE;

    // e^A = 1.35e-38 and e^B = 1.22e-38: normal floats just above the smallest, 2^-126 = 1.18e-38
    private static final float A = -87.2f;
    private static final float B = -87.3f;

    private static void softmaxRows(String label) {
        Backend b = backend(label);
        float nan = Float.NaN;
        float ninf = Float.NEGATIVE_INFINITY;
        float[] x = {
            1, nan, 2, 3,        // NaN row → all NaN
            INF, 0, INF, -5,     // 2 × +∞ → ½, 0, ½, 0
            ninf, ninf, ninf, ninf, // fully masked → zeros
            ninf, 0, ninf, 0,    // mixed −∞ → 0, ½, 0, ½
            1, 1, 1, 1,          // constant → ¼
            0, (float) Math.log(3), ninf, 0, // e^0 : 3 : 0 : 1 → 0.2, 0.6, 0, 0.2 (ln 3 rounded: within 1 ULP)
            MAX, -MAX, MAX, -MAX, // x − max overflows to −∞ (found by HostileInputTest) → ½, 0, ½, 0
            0, A, B, -200,       // terms just above float's normal range (2^-126 = e^-87.34) are kept
        };
        double[] soft = {
            nan, nan, nan, nan,
            0.5, 0, 0.5, 0,
            0, 0, 0, 0,
            0, 0.5, 0, 0.5,
            0.25, 0.25, 0.25, 0.25,
            0.2, 0.6, 0, 0.2,
            0.5, 0, 0.5, 0,
            1, Math.exp(A), Math.exp(B), 0,
        };
        double l2 = -Math.log(2);
        double[] logSoft = {
            nan, nan, nan, nan,
            l2, ninf, l2, ninf,
            ninf, ninf, ninf, ninf,
            ninf, l2, ninf, l2,
            -Math.log(4), -Math.log(4), -Math.log(4), -Math.log(4),
            Math.log(0.2), Math.log(0.6), ninf, Math.log(0.2),
            l2, ninf, l2, ninf,             // −2·MAX − ln 2 rounds to −∞ in float
            -Math.exp(A) - Math.exp(B), A, B, -200, // the max's own output, −log1p(rest) = −2.57e−38, is normal too
        };
        float[] y = b.softmax(x, 8, 4);
        float[] ly = b.logSoftmax(x, 8, 4);
        StringBuilder failures = new StringBuilder();
        for (int i = 0; i < x.length; i++) {
            if (!(Ulp.error(y[i], soft[i]) <= 1)) {
                failures.append(String.format("%n  softmax row %d col %d: got %s expected %s", i / 4, i % 4, y[i], soft[i]));
            }
            if (!(Ulp.error(ly[i], logSoft[i]) <= 2)) {
                failures.append(String.format("%n  log_softmax row %d col %d: got %s expected %s", i / 4, i % 4, ly[i], logSoft[i]));
            }
        }
        // the same overflowing row alone: one row takes the split kernels on CPU devices, seven the row kernels
        float[] one = {MAX, -MAX};
        float[] y1 = b.softmax(one, 1, 2);
        float[] ly1 = b.logSoftmax(one, 1, 2);
        if (!(y1[0] == 1f && y1[1] == 0f && ly1[0] == 0f && ly1[1] == ninf)) {
            failures.append(String.format("%n  row [MAX, -MAX] alone: softmax %s, log_softmax %s; expected [1, 0], [0, -Infinity]",
                    java.util.Arrays.toString(y1), java.util.Arrays.toString(ly1)));
        }
        assertEquals("", failures.toString(), "softmax special rows on " + b.info());
    }
}
