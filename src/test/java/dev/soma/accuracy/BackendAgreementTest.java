package dev.soma.accuracy;

import dev.soma.Activation;
import dev.soma.ActivationFunction;
import dev.soma.Backend;
import dev.soma.BackendInfo;
import dev.soma.Precision;
import dev.soma.reference.Backends;
import dev.soma.reference.Functions;
import dev.soma.reference.Grid;
import dev.soma.reference.Ulp;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * OpenCL and pure Java agree within {@value #AGREEMENT_ULP} ULP, element by element, for every
 * function and direction, on the grid and on sizes 0, 1, 3, 1023 (random inputs with special values
 * mixed in), and for a few functions on 1,000,003 elements (a size no work-group size divides, and
 * element indices past 2^20 for PReLU columns and the noise counter).
 *
 * <p>This holds for {@link Precision#EXACT} OpenCL (label {@code "P:D exact"}). Why 1 ULP: both
 * backends evaluate the same stable formula in double and round once to float.
 * Their double results differ only by the double rounding of their elementary functions (a few
 * double ULPs, 2^−29 of a float ULP), so the two float results are equal except where the exact
 * value lies that close to a float rounding midpoint, and then they differ by exactly 1 ULP. A
 * backend that evaluated in float would typically be off by several ULPs and fail here. NaN must
 * meet NaN and ±∞ the same ±∞ ({@link Ulp#error} gives +∞ otherwise).
 *
 * <p>{@link Precision#FAST} OpenCL (label {@code "P:D"}) computes in float: it may differ from Java
 * by its own accuracy bar plus Java's 1 ULP ({@link ActivationAccuracyTest#FORWARD_ULP} + 1 forward,
 * {@link ActivationAccuracyTest#DERIVATIVE_ULP} + 1 for derivatives), and no share of identical
 * results is required. NaN and ±∞ must still match exactly.
 */
class BackendAgreementTest {

    static final double AGREEMENT_ULP = 1;
    static final int[] SIZES = {0, 1, 3, 1023};
    static final int LARGE = 1_000_003;

    private static final Backends.Pool POOL = new Backends.Pool();

    @AfterAll
    static void close() {
        POOL.close();
    }

    /** The functions run at the large size: the transcendental-heavy and the index-dependent ones. */
    static List<ActivationFunction> largeSizeFunctions() {
        return List.of(Activation.GELU, Activation.MISH, Activation.prelu(Functions.PRELU_SLOPES),
                Activation.noisyRelu(0.3, 42));
    }

    @TestFactory
    List<DynamicNode> openClAgreesWithJava() {
        List<DynamicNode> out = new ArrayList<>();
        List<String> selectors = Backends.openClLabelsWithExact();
        if (selectors.isEmpty()) {
            out.add(DynamicTest.dynamicTest(Backends.NO_OPENCL, Backends::noOpenClDevice));
            return out;
        }
        for (String sel : selectors) {
            List<DynamicNode> cases = new ArrayList<>();
            for (ActivationFunction f : Functions.all()) {
                cases.add(DynamicTest.dynamicTest(Functions.label(f), () -> agree(sel, f)));
            }
            for (ActivationFunction f : largeSizeFunctions()) {
                cases.add(DynamicTest.dynamicTest(Functions.label(f) + " at " + LARGE + " elements",
                        () -> agreeOn(sel, f, random(LARGE, 99), "size " + LARGE)));
            }
            out.add(DynamicContainer.dynamicContainer(sel, cases));
        }
        return out;
    }

    private static void agree(String selector, ActivationFunction f) {
        agreeOn(selector, f, Grid.of(f), "grid");
        for (int n : SIZES) {
            agreeOn(selector, f, random(n, n + 17L), "size " + n);
        }
    }

    private static void agreeOn(String selector, ActivationFunction f, float[] x, String what) {
        Backend cl = POOL.get(selector);
        assertEquals(BackendInfo.Kind.OPENCL, cl.info().kind(), "OpenCL case must run on OpenCL");
        Backend java = POOL.get("java");
        boolean exact = cl.precision() == Precision.EXACT;
        for (boolean d : new boolean[] {false, true}) {
            double tol = exact ? AGREEMENT_ULP
                    : (d ? ActivationAccuracyTest.DERIVATIVE_ULP : ActivationAccuracyTest.FORWARD_ULP) + AGREEMENT_ULP;
            float[] a = Functions.run(cl, f, d, x);
            float[] b = Functions.run(java, f, d, x);
            assertEquals(x.length, a.length);
            assertEquals(x.length, b.length);
            int differ = 0;
            for (int i = 0; i < x.length; i++) {
                double e = Ulp.error(a[i], b[i]);
                if (!(e <= tol)) {
                    throw new AssertionError(String.format("%s%s, %s: OpenCL %s gives %s, Java gives %s at index %d x=%s (%.3g ULP)",
                            Functions.label(f), d ? "′" : "", what, cl.info().selector(), a[i], b[i], i, x[i], e));
                }
                differ += a[i] == b[i] || (Float.isNaN(a[i]) && Float.isNaN(b[i])) ? 0 : 1;
            }
            // not vacuous: on the grid the outputs must carry values (binary_step′ ≡ 0 is the exception)
            if ("grid".equals(what) && !(f.activation() == Activation.BINARY_STEP && d)) {
                long nonZero = 0;
                for (float v : b) {
                    nonZero += v != 0 && !Float.isNaN(v) ? 1 : 0;
                }
                assertTrue(nonZero > x.length / 20, Functions.label(f) + (d ? "′" : "") + ": only " + nonZero
                        + " non-zero outputs on the grid");
            }
            // the two should be bit-identical nearly everywhere (see the class comment); more than
            // 0.1% of 1-ULP differences would mean the formulas differ, not just their last bit
            assertTrue(!exact || differ <= Math.max(2, x.length / 1000), Functions.label(f) + (d ? "′" : "") + ", " + what + ": "
                    + differ + " of " + x.length + " elements differ by 1 ULP");
        }
    }

    /**
     * n seeded values: half N(0, 5²), half log-uniform magnitudes 1e−30…1e30 with random sign, and
     * every 97th a special value (±0, ±∞, NaN, MIN_VALUE, MAX_VALUE).
     */
    static float[] random(int n, long seed) {
        Random rnd = new Random(seed);
        float[] specials = {0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
            Float.MIN_VALUE, -Float.MAX_VALUE, Float.MAX_VALUE, Float.MIN_NORMAL, -3f, 3f, 6f, 1f};
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            if (i % 97 == 96) {
                x[i] = specials[rnd.nextInt(specials.length)];
            } else if (rnd.nextBoolean()) {
                x[i] = (float) (rnd.nextGaussian() * 5);
            } else {
                x[i] = (float) ((rnd.nextBoolean() ? 1 : -1) * Math.pow(10, -30 + 60 * rnd.nextDouble()));
            }
        }
        return x;
    }
}
