package dev.soma.accuracy;

import dev.soma.Activation;
import dev.soma.ActivationFunction;
import dev.soma.reference.Grid;
import dev.soma.reference.Reference;
import dev.soma.reference.Ulp;

import org.apache.commons.math3.special.Erf;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Checks the reference itself, without any backend: the closed-form derivatives against automatic
 * differentiation of the plain formula, the stable forms against published high-precision values
 * in the tails, symmetry identities, and the grid and ULP rules. A reference error would otherwise
 * show up as a backend error, or hide one.
 */
class ReferenceSelfTest {

    /** Functions with their non-default parameter sets (PReLU/noisy ReLU have no DS form). */
    static List<ActivationFunction> smoothAndPiecewise() {
        List<ActivationFunction> l = new ArrayList<>();
        for (Activation a : Activation.values()) {
            if (a != Activation.PRELU && a != Activation.NOISY_RELU) {
                l.add(a);
            }
        }
        l.add(Activation.ELU.with(0.5));
        l.add(Activation.SOFTPLUS.with(2));
        l.add(Activation.SILU.with(1.702));
        l.add(Activation.CELU.with(2));
        l.add(Activation.GENERALIZED_LOGISTIC.with(0.5));
        l.add(Activation.GENERALIZED_LOGISTIC.with(2));
        l.add(Activation.HARD_SIGMOID.with(1.0 / 6, 0.5));
        return l;
    }

    /**
     * Closed-form f′ vs DerivativeStructure on [−20, 20] away from kinks (0.01 clear). Tolerance
     * 1e−12·max(1, |f′|) absolute-or-relative: both are double evaluations of well-conditioned
     * expressions here (the plain formula is only ill-conditioned in the tails, excluded); the
     * absolute part covers the derivative roots (gelu′, silu′, mish′ = 0), where both sides are
     * sums of O(1) terms cancelling to ~0. 1e−12 is still 10^4 below a float ULP.
     */
    @Test
    void closedFormDerivativesMatchAutomaticDifferentiation() {
        StringBuilder failures = new StringBuilder();
        int checked = 0;
        for (ActivationFunction f : smoothAndPiecewise()) {
            double[] kinks = Grid.kinks(f);
            for (int i = 0; i <= 40_000; i++) {
                double x = -20 + 40.0 * i / 40_000 + 1e-7; // off the exact kinks
                boolean nearKink = false;
                for (double k : kinks) {
                    nearKink |= Math.abs(x - k) < 0.01;
                }
                if (nearKink) {
                    continue;
                }
                double closed = Reference.derivative(f, x, 0);
                double ds = Reference.derivativeByDs(f, x);
                checked++;
                if (!(Math.abs(closed - ds) <= 1e-12 * Math.max(1, Math.abs(ds)))) {
                    failures.append(f).append(" x=").append(x).append(" closed=").append(closed)
                            .append(" ds=").append(ds).append('\n');
                    if (failures.length() > 4000) {
                        fail(failures.toString());
                    }
                }
            }
        }
        assertTrue(checked > 500_000, "checked " + checked);
        assertEquals("", failures.toString());
    }

    /**
     * Tails against published high-precision values (Wolfram/mpmath to 17 digits): the stable forms
     * must keep full relative accuracy where the naive ones cancel or underflow. Tolerance 1e−13
     * relative: a few double ULPs times the argument's condition number (|x|² ≈ 100 for erfc at 10).
     */
    @Test
    void tailsKeepRelativeAccuracy() {
        double[][] cases = {
            // function id, x, expected
            {Activation.GELU.ordinal(), -10, -7.6198530241604696e-23},   // −10·Φ(−10)
            {Activation.GELU.ordinal(), -5, -1.4332578593959696e-06},    // −5·Φ(−5) = −5·2.866515718791939e-7
            {Activation.SIGMOID.ordinal(), -50, 1.9287498479639178e-22},
            {Activation.SOFTPLUS.ordinal(), -50, 1.9287498479639178e-22},
            {Activation.LOG_SIGMOID.ordinal(), 50, -1.9287498479639178e-22},
            {Activation.SIGMOID.ordinal(), 0, 0.5},
            {Activation.SOFTPLUS.ordinal(), 0, 0.6931471805599453},
            {Activation.ERF.ordinal(), 0.5, 0.5204998778130465},
            {Activation.ERF.ordinal(), 1e-30, 1.1283791670955126e-30},
            {Activation.TANH.ordinal(), 1e-30, 1e-30},
            {Activation.SELU.ordinal(), 1, 1.0507009873554805},
            {Activation.MISH.ordinal(), -30, -2.8072868906520526e-12},  // −30·tanh(log1p(e^−30))
        };
        for (double[] c : cases) {
            Activation a = Activation.values()[(int) c[0]];
            double got = Reference.forward(a, c[1], 0);
            assertEquals(c[2], got, Math.abs(c[2]) * 1e-13, a + "(" + c[1] + ")");
        }
        // σ′ at +40: e^−40/(1+e^−40)² — the naive σ(1−σ) gives 0 here
        double d = Reference.derivative(Activation.SIGMOID, 40, 0);
        assertEquals(4.248354255291589e-18, d, 1e-30);
        // tanh′ at 20: 4e^−40/(1+e^−40)²
        assertEquals(4 * Math.exp(-40), Reference.derivative(Activation.TANH, 20, 0), 1e-30);
        assertEquals(2 / Math.sqrt(Math.PI), Reference.derivative(Activation.ERF, 0, 0), 1e-16);
        // erfc against its continued-fraction value at 10
        assertEquals(2.0884875837625446e-45, Erf.erfc(10), 2.0884875837625446e-45 * 1e-13);
    }

    /** Identities between functions, on the whole grid, to 1e−15 relative (a few double ULPs). */
    @Test
    void symmetriesHold() {
        float[] g = Grid.base();
        ActivationFunction gl1 = Activation.GENERALIZED_LOGISTIC.with(1);
        int n = 0;
        for (float xf : g) {
            double x = xf;
            if (!Double.isFinite(x)) {
                continue;
            }
            n++;
            double s = Reference.forward(Activation.SIGMOID, x, 0);
            assertEquals(1.0, s + Reference.forward(Activation.SIGMOID, -x, 0), 1e-15, "σ(x)+σ(−x) at " + x);
            assertEquals(-Reference.forward(Activation.TANH, -x, 0), Reference.forward(Activation.TANH, x, 0), 0, "tanh odd " + x);
            assertEquals(-Reference.forward(Activation.ERF, -x, 0), Reference.forward(Activation.ERF, x, 0), 0, "erf odd " + x);
            assertEquals(s, Reference.forward(gl1, x, 0), Math.max(Math.abs(s) * 1e-13, 1e-300), "generalized_logistic α=1 = σ at " + x);
            double sp = Reference.forward(Activation.SOFTPLUS, x, 0);
            assertEquals(-sp, Reference.forward(Activation.LOG_SIGMOID, -x, 0), 0, "log_sigmoid(−x) = −sp(x) at " + x);
            if (Math.abs(x) < 1e15) {
                assertEquals(x, sp - Reference.forward(Activation.SOFTPLUS, -x, 0), Math.max(Math.abs(x), 1) * 1e-15,
                        "sp(x) − sp(−x) = x at " + x);
                assertEquals(x, Reference.forward(Activation.GELU, x, 0) - Reference.forward(Activation.GELU, -x, 0),
                        Math.abs(x) * 1e-15, "gelu(x) − gelu(−x) = x at " + x);
            }
            assertEquals(Reference.derivative(Activation.SIGMOID, x, 0), Reference.derivative(Activation.SIGMOID, -x, 0),
                    Reference.derivative(Activation.SIGMOID, x, 0) * 1e-15, "σ′ even " + x);
        }
        assertTrue(n > 90_000, "grid points checked: " + n);
    }

    @Test
    void gridIsDenseSortedAndHasTheSpecialValues() {
        for (ActivationFunction f : smoothAndPiecewise()) {
            float[] g = Grid.of(f);
            assertTrue(g.length >= 100_000, f + ": " + g.length + " points");
            for (int i = 1; i < g.length; i++) {
                assertTrue(Float.compare(g[i - 1], g[i]) < 0, "sorted and unique at " + i);
            }
            for (float s : Grid.specials()) {
                boolean found = false;
                for (float v : g) {
                    found |= Float.floatToIntBits(v) == Float.floatToIntBits(s);
                }
                assertTrue(found, f + " grid lacks " + s);
            }
            for (double k : Grid.kinks(f)) {
                float kf = (float) k;
                int hits = 0;
                for (float v : g) {
                    if (v == kf || v == Math.nextUp(kf) || v == Math.nextDown(kf)) {
                        hits++;
                    }
                }
                assertTrue(hits >= 3, f + " grid lacks kink " + k + " and its neighbours");
            }
        }
    }

    @Test
    void ulpRules() {
        assertEquals(0, Ulp.error(Float.NaN, Double.NaN));
        assertEquals(Double.POSITIVE_INFINITY, Ulp.error(Float.NaN, 1.0));
        assertEquals(Double.POSITIVE_INFINITY, Ulp.error(1f, Double.NaN));
        assertEquals(0, Ulp.error(Float.POSITIVE_INFINITY, Double.POSITIVE_INFINITY));
        assertEquals(Double.POSITIVE_INFINITY, Ulp.error(Float.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY));
        assertEquals(Double.POSITIVE_INFINITY, Ulp.error(Float.MAX_VALUE, Double.POSITIVE_INFINITY));
        assertEquals(Double.POSITIVE_INFINITY, Ulp.error(Float.POSITIVE_INFINITY, 1e30));
        assertEquals(0, Ulp.error(-0f, 0.0));
        assertEquals(0, Ulp.error(0f, 1e-40));            // flushed subnormal
        assertEquals(0, Ulp.error(1e-39f, 0.0));
        assertTrue(Ulp.error(1e-30f, 0.0) > 1e6);         // not tiny: counted
        assertEquals(1, Ulp.error(Math.nextUp(1f), 1.0), 0);
        assertEquals(0, Ulp.error(1f, 1 + Math.ulp(1f) / 4.0));        // equals float(ref): exact
        assertEquals(0.75, Ulp.error(Math.nextUp(1f), 1 + Math.ulp(1f) / 4.0), 1e-12);
        assertEquals(3, Ulp.error(1.5f + 3 * Math.ulp(1.5f), 1.5), 1e-12);
        assertTrue(Ulp.error(0f, 1e-30) > 1e6, "a zero where the reference is normal is a huge error");
    }
}
