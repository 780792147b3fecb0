package dev.soma.accuracy;

import dev.soma.Activation;
import dev.soma.ActivationFunction;
import dev.soma.Backend;
import dev.soma.Properties;
import dev.soma.reference.Backends;
import dev.soma.reference.Functions;
import dev.soma.reference.Grid;
import dev.soma.reference.Reference;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The metadata ({@link ActivationFunction#properties()}) checked numerically on the grid, with the
 * double reference and the pure-Java backend: range, monotonicity (and a counterexample for each
 * function flagged not monotonic), identity at the origin (and its failure where not flagged), C¹
 * (no derivative jump at any kink; a jump found where not flagged).
 */
class PropertiesTest {

    /** Points where a catalogue function may kink: checked for continuity of f and f′ in every function. */
    private static final double[] CANDIDATE_KINKS = {0, 1, -1, 3, -3, 6, 2.5, -2.5};
    /**
     * Half-width of the two-sided probe at a kink. f′ of every catalogue function is Lipschitz with
     * constant ≤ 2 away from kinks (max |f″|: erf 0.97, gelu 0.8, softplus β=2 0.5, silu β=1.702 ≈ 0.6,
     * elu/celu ≤ 1), so a C¹ function's f′ moves ≤ 4h = 4e−6 across the probe; the smallest true jump
     * in the catalogue is leaky_relu's 1 − 0.01 (elu α=0.5: 0.5, hard_sigmoid: α ≥ 1/6). Threshold 1e−3
     * sits between them with three orders of margin each way.
     */
    private static final double H = 1e-6;
    private static final double JUMP = 1e-3;

    private static Backend java;

    @BeforeAll
    static void open() {
        java = Backends.javaBackend();
    }

    @AfterAll
    static void close() {
        java.close();
    }

    static List<ActivationFunction> functions() {
        return Functions.all();
    }

    /**
     * Range. The double reference lies in the closed range, within 1e−15 relative at a finite bound
     * (a few double ULPs: an attained minimum like gelu's is computed, not exact); it may equal an
     * open bound where the exact value rounds to it (sigmoid(40) = 1 in double). The Java backend's
     * float output lies within [float(lower), float(upper)] (rounding is monotonic, so a correctly
     * rounded output of an in-range value cannot leave the rounded range), and equals a rounded open
     * bound only where the float reference does. And the range is tight: the grid gets within 1e−3
     * of each finite bound and beyond ±1e3 for an infinite one.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("functions")
    void outputsStayInTheRange(ActivationFunction f) {
        Properties p = f.properties();
        float[] x = finite(Grid.of(f), true);
        double[] ref = Reference.forward(f, x);
        float[] got = Functions.run(java, f, false, x);
        float lowerF = (float) p.lower();
        float upperF = (float) p.upper();
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < x.length; i++) {
            double r = ref[i];
            min = Math.min(min, r);
            max = Math.max(max, r);
            double slackLo = Double.isInfinite(p.lower()) ? 0 : 1e-15 * Math.max(1, Math.abs(p.lower()));
            double slackHi = Double.isInfinite(p.upper()) ? 0 : 1e-15 * Math.max(1, Math.abs(p.upper()));
            boolean thresholdedZero = f.activation() == Activation.THRESHOLDED_RELU && r == 0; // the {0} of {0} ∪ (θ,∞)
            if (!thresholdedZero && !(r >= p.lower() - slackLo && r <= p.upper() + slackHi)) {
                fail(f + ": reference " + r + " at x=" + x[i] + " outside " + p);
            }
            float g = got[i];
            if (!thresholdedZero && !(g >= lowerF && g <= upperF)) {
                fail(f + ": Java output " + g + " at x=" + x[i] + " outside the float-rounded range of " + p);
            }
            if ((!p.lowerInclusive() && g == lowerF && (float) r != lowerF && !thresholdedZero)
                    || (!p.upperInclusive() && g == upperF && (float) r != upperF)) {
                fail(f + ": Java output " + g + " at x=" + x[i] + " reaches an open bound the exact value " + r
                        + " does not round to");
            }
        }
        if (Double.isInfinite(p.lower())) {
            assertTrue(min < -1e3, f + ": range claims no lower bound, grid minimum " + min);
        } else {
            assertTrue(min <= p.lower() + 1e-3 * Math.max(1, Math.abs(p.lower())),
                    f + ": lower bound " + p.lower() + " not approached, grid minimum " + min);
        }
        if (Double.isInfinite(p.upper())) {
            assertTrue(max > 1e3, f + ": range claims no upper bound, grid maximum " + max);
        } else {
            assertTrue(max >= p.upper() - 1e-3 * Math.max(1, Math.abs(p.upper())),
                    f + ": upper bound " + p.upper() + " not approached, grid maximum " + max);
        }
    }

    /**
     * Monotonic ⇒ reference and Java outputs non-decreasing along the sorted grid (±∞ included);
     * not monotonic ⇒ a pair x1 < x2 with f(x1) > f(x2) exists on the grid. Per-column PReLU is
     * checked column by column (element index = column), and is monotonic iff every column is.
     * Noisy ReLU depends on the element index as well as x: its counterexample uses the grid as is.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("functions")
    void monotonicityMatchesTheFlag(ActivationFunction f) {
        boolean flagged = f.properties().monotonic();
        float[] x = finite(Grid.of(f), false);
        boolean monotonic;
        if (f.activation() == Activation.PRELU) {
            monotonic = true;
            for (float slope : f.slopes()) {
                monotonic &= nonDecreasing(Activation.prelu(slope), x);
            }
        } else {
            monotonic = nonDecreasing(f, x);
        }
        assertEquals(flagged, monotonic, f + ": properties().monotonic() is " + flagged + " but the grid says "
                + (monotonic ? "non-decreasing everywhere (no counterexample pair)" : "it decreases somewhere"));
    }

    /** Whether the reference (and the Java output, which must agree) is non-decreasing on the sorted grid. */
    private static boolean nonDecreasing(ActivationFunction f, float[] x) {
        double[] ref = Reference.forward(f, x);
        float[] got = Functions.run(java, f, false, x);
        boolean refOk = true;
        boolean gotOk = true;
        for (int i = 1; i < x.length; i++) {
            // a decrease within 4 double ULPs is the reference's own rounding (softplus at x = 6.1e−16
            // steps down by 1 double ULP), not a property of the function
            refOk &= ref[i] >= ref[i - 1] - 4 * Math.ulp(ref[i - 1]);
            gotOk &= got[i] >= got[i - 1];
        }
        if (refOk) {
            // a monotonic reference rounds to a monotonic float sequence: the Java output must follow
            assertTrue(gotOk, f + ": reference non-decreasing but the Java output decreases somewhere");
        }
        return refOk;
    }

    /**
     * identityAtOrigin ⇔ f(0) = 0 and f′(0) = 1, for the reference (exactly, up to 1e−15) and for the
     * Java backend (exactly: 0 and 1 are floats the double results round to).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("functions")
    void identityAtOriginMatchesTheFlag(ActivationFunction f) {
        boolean flagged = f.properties().identityAtOrigin();
        double f0 = Reference.forward(f, 0, 0);
        double d0 = Reference.derivative(f, 0, 0);
        boolean refIdentity = f0 == 0 && Math.abs(d0 - 1) <= 1e-15;
        float g0 = Functions.run(java, f, false, new float[] {0f})[0];
        float gd0 = Functions.run(java, f, true, new float[] {0f})[0];
        boolean gotIdentity = g0 == 0 && gd0 == 1;
        assertEquals(refIdentity, gotIdentity, f + ": Java f(0)=" + g0 + " f′(0)=" + gd0 + " vs reference " + f0 + ", " + d0);
        if (f.activation() == Activation.NOISY_RELU) {
            return; // x + s·n at element 0: not a property of the function
        }
        assertEquals(flagged, refIdentity, f + ": properties().identityAtOrigin() is " + flagged + " but f(0)=" + f0
                + ", f′(0)=" + d0);
    }

    /**
     * C¹ ⇒ neither f nor f′ jumps at any candidate kink (left/right values within {@value #JUMP});
     * not C¹ ⇒ a jump of f or f′ is found at one of them. Checked on the reference and on the Java
     * backend's derivative. Noisy ReLU's kink is at x = −s·n for each element; element 0's is used.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("functions")
    void smoothnessMatchesTheFlag(ActivationFunction f) {
        boolean flagged = f.properties().continuouslyDifferentiable();
        List<Double> points = new ArrayList<>();
        for (double k : CANDIDATE_KINKS) {
            points.add(k);
        }
        for (double k : Grid.kinks(f)) {
            points.add(k);
        }
        if (f.activation() == Activation.NOISY_RELU) {
            points.add(-(double) f.param(0) * Reference.noise(f, 0));
        }
        List<ActivationFunction> parts = new ArrayList<>();
        if (f.activation() == Activation.PRELU) {
            for (float slope : f.slopes()) {
                parts.add(Activation.prelu(slope));
            }
        } else {
            parts.add(f);
        }
        String jump = null;
        for (ActivationFunction part : parts) {
            for (double k : points) {
                double lf = Reference.forward(part, k - H, 0);
                double rf = Reference.forward(part, k + H, 0);
                double ld = Reference.derivative(part, k - H, 0);
                double rd = Reference.derivative(part, k + H, 0);
                // each point at element 0: noisy ReLU's noise depends on the element's index
                float[] gd = {Functions.run(java, part, true, new float[] {(float) (k - H)})[0],
                        Functions.run(java, part, true, new float[] {(float) (k + H)})[0]};
                boolean refJump = Math.abs(lf - rf) > JUMP || Math.abs(ld - rd) > JUMP;
                boolean gotJump = Math.abs(gd[0] - gd[1]) > JUMP;
                if (Math.abs(ld - rd) > JUMP) {
                    assertTrue(gotJump, part + ": reference f′ jumps at " + k + " but the Java derivative does not: "
                            + Arrays.toString(gd));
                }
                if (refJump && jump == null) {
                    jump = String.format("%s at x=%s: f %s→%s, f′ %s→%s", part, k, lf, rf, ld, rd);
                }
            }
        }
        if (flagged) {
            assertEquals(null, jump, f + " is flagged C¹ but jumps");
        } else {
            assertFalse(jump == null, f + " is flagged not C¹ but no jump of f or f′ was found at " + points);
        }
    }

    /** The grid without NaN (and without ±∞ when {@code finiteOnly}). */
    private static float[] finite(float[] g, boolean finiteOnly) {
        return finiteOnly ? toArray(g, true) : toArray(g, false);
    }

    private static float[] toArray(float[] g, boolean dropInfinities) {
        float[] out = new float[g.length];
        int n = 0;
        for (float v : g) {
            if (!Float.isNaN(v) && !(dropInfinities && Float.isInfinite(v))) {
                out[n++] = v;
            }
        }
        return Arrays.copyOf(out, n);
    }
}
