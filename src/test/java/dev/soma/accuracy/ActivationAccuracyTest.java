package dev.soma.accuracy;

import dev.soma.Activation;
import dev.soma.ActivationFunction;
import dev.soma.Backend;
import dev.soma.BackendInfo;
import dev.soma.Precision;
import dev.soma.reference.Backends;
import dev.soma.reference.Functions;
import dev.soma.reference.Grid;
import dev.soma.reference.Reference;
import dev.soma.reference.Ulp;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every backend × every function (defaults and non-default parameters) × forward/derivative on the
 * dense {@link Grid}, against the double {@link Reference}, in ULPs of the float reference
 * ({@link Ulp}); then softmax and log-softmax, forward and backward, for several widths and the
 * catalogue's special rows.
 *
 * <p>Tolerances. Forward ≤ {@value #FORWARD_ULP} ULP, derivative ≤ {@value #DERIVATIVE_ULP} ULP. Both
 * backends evaluate the catalogue's stable formula in double and round once, which measures ≤ 1 ULP;
 * the bounds leave room for a device whose double elementary functions are a few double ULPs off
 * (invisible in float) and one whose float path loses a few ULPs, while staying well inside the
 * anchors of the catalogue (oneDNN 4e−6 relative ≈ 17–34 ULP; OpenCL's own float erf 16 ULP). The
 * derivative gets 4× the room because its formulas chain more operations (σ·σ, tanh/sech² of
 * softplus, Φ + xφ). A derivative root (gelu′ at −0.7518, silu′, mish′) is a cancellation of O(1)
 * terms, where only the double evaluation keeps these bounds: that is deliberate, the grid has
 * dense bands there.
 *
 * <p>Every case prints one line, and the class writes {@code target/accuracy/accuracy.tsv}
 * (function, params, backend, direction, maxUlp, worstX; backend is {@code java} or
 * {@code opencl <precision> <selector> <device>}) — the README's table — so one run regenerates it.
 */
class ActivationAccuracyTest {

    static final double FORWARD_ULP = 4;
    static final double DERIVATIVE_ULP = 16;
    /**
     * The bar for a backend that computes in double (the Java path, an OpenCL device with fp64):
     * a double result a few double ULPs from the exact value rounds to the correctly rounded float
     * or, next to a rounding boundary, to its neighbour, so 1 ULP is the most such a backend may
     * lose, forward and derivative alike. Measured: 0 everywhere but mish′ at its root (1 ULP) and gelu
     * (0.5 forward at −0.1827283, whose exact value is 3.4e-8 ULP from a rounding midpoint, against
     * gelu's double error of up to 5e-14 relative; 0.81 for gelu′ at −0.75179154, the float nearest
     * its root, where the result 5.2e-9 is a cancellation residue with an absolute error of 3.6e-16).
     */
    static final double DOUBLE_COMPUTE_ULP = 1;
    /**
     * Softmax/log-softmax, forward and backward: ≤ 16 ULP. Row sums of up to 65,536 terms, then a
     * division or log: a double accumulation keeps this under 1 ULP; 16 is what a careful float
     * implementation (pairwise sums) can still meet on these rows.
     */
    static final double ROW_ULP = 16;
    static final int[] WIDTHS = {1, 3, 1023, 4096, 65_536};

    private static final Backends.Pool POOL = new Backends.Pool();
    private static final List<String> TSV = Collections.synchronizedList(new ArrayList<>());
    private static final Map<String, double[]> REFERENCES = new ConcurrentHashMap<>();
    private static final Map<String, float[]> GRIDS = new ConcurrentHashMap<>();

    @AfterAll
    static void closeAndWriteTable() throws IOException {
        POOL.close();
        List<String> rows = new ArrayList<>(TSV);
        Collections.sort(rows);
        rows.add(0, "function\tparams\tbackend\tdirection\tmaxUlp\tworstX");
        Path dir = Path.of(System.getProperty("basedir", "."), "target", "accuracy");
        Files.createDirectories(dir);
        Files.write(dir.resolve("accuracy.tsv"), rows, StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------ element-wise

    @TestFactory
    List<DynamicNode> elementwise() {
        return Backends.perBackend(label -> {
            List<DynamicNode> cases = new ArrayList<>();
            for (ActivationFunction f : Functions.all()) {
                for (boolean derivative : new boolean[] {false, true}) {
                    String name = Functions.label(f) + (derivative ? " derivative" : " forward");
                    cases.add(DynamicTest.dynamicTest(name, () -> checkElementwise(label, f, derivative)));
                }
            }
            return cases;
        });
    }

    private static void checkElementwise(String label, ActivationFunction f, boolean derivative) {
        Backend b = backend(label);
        float[] x = GRIDS.computeIfAbsent(Functions.label(f), k -> Grid.of(f));
        double[] ref = REFERENCES.computeIfAbsent(Functions.label(f) + derivative,
                k -> derivative ? Reference.derivative(f, x) : Reference.forward(f, x));
        float[] got = Functions.run(b, f, derivative, x);
        assertEquals(x.length, got.length);
        assertTrue(x.length >= 100_000, "grid has " + x.length + " points");

        // guard against a vacuous pass: the reference must be non-trivial (not all 0) except for the
        // one function whose derivative is identically 0, and then the backend must give exactly 0
        long nonZero = Arrays.stream(ref).filter(r -> r != 0 && !Double.isNaN(r)).count();
        if (f.activation() == Activation.BINARY_STEP && derivative) {
            assertEquals(0, nonZero, "binary_step′ reference is 0 everywhere");
        } else {
            // thresholded_relu θ = 2.5 is non-zero on about 10% of the grid (x > 2.5): 5% is the floor
            assertTrue(nonZero > x.length / 20, Functions.label(f) + ": only " + nonZero + " non-zero reference values");
        }

        Ulp.Worst w = Ulp.worst(got, ref);
        double tol = computesInDouble(b) ? DOUBLE_COMPUTE_ULP : derivative ? DERIVATIVE_ULP : FORWARD_ULP;
        record(f, Functions.params(f), b, derivative ? "derivative" : "forward", w.maxUlp,
                w.maxUlp == 0 ? "-" : String.valueOf(x[w.index]));
        if (w.maxUlp > tol) {
            throw new AssertionError(describe(b, f, derivative, x, got, ref, tol));
        }
    }

    /** The failure message: the worst points (up to 8), each with x, got, expected and ULPs. */
    private static String describe(Backend b, ActivationFunction f, boolean derivative, float[] x, float[] got,
                                   double[] ref, double tol) {
        Integer[] order = new Integer[x.length];
        for (int i = 0; i < x.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (p, q) -> Double.compare(Ulp.error(got[q], ref[q]), Ulp.error(got[p], ref[p])));
        long bad = Arrays.stream(order).filter(i -> Ulp.error(got[i], ref[i]) > tol).count();
        StringBuilder sb = new StringBuilder();
        sb.append(Functions.label(f)).append(derivative ? "′" : "").append(" on ").append(b.info()).append(": ")
                .append(bad).append(" of ").append(x.length).append(" points over ").append(tol).append(" ULP; worst:");
        for (int k = 0; k < Math.min(8, order.length); k++) {
            int i = order[k];
            sb.append(String.format("%n  x=%s (%s) got=%s expected=%s (double %s) ulp=%.3g", x[i],
                    Float.toHexString(x[i]), got[i], (float) ref[i], ref[i], Ulp.error(got[i], ref[i])));
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------ softmax / log-softmax

    @TestFactory
    List<DynamicNode> rowwise() {
        return Backends.perBackend(label -> {
            List<DynamicNode> cases = new ArrayList<>();
            for (int width : WIDTHS) {
                for (boolean log : new boolean[] {false, true}) {
                    String fn = log ? "log_softmax" : "softmax";
                    cases.add(DynamicTest.dynamicTest(fn + " forward width " + width, () -> checkRows(label, width, log, false)));
                    cases.add(DynamicTest.dynamicTest(fn + " backward width " + width, () -> checkRows(label, width, log, true)));
                }
            }
            return cases;
        });
    }

    /**
     * Rows: random rows (normal × 10, seeded by the width), a wider-spread row (normal × 1000), a
     * constant row, a peaked row (one entry 60 above the rest), and for the forward the special rows:
     * a NaN somewhere, k × +∞ among finite values, all −∞, mixed −∞ and finite.
     */
    static float[][] rowsFor(int width, boolean backward) {
        Random rnd = new Random(1000L + width);
        int randomRows = Math.max(2, Math.min(48, 200_000 / width));
        List<float[]> rows = new ArrayList<>();
        for (int r = 0; r < randomRows; r++) {
            rows.add(normal(rnd, width, 10));
        }
        rows.add(normal(rnd, width, 1000));
        float[] constant = new float[width];
        Arrays.fill(constant, 0.75f);
        rows.add(constant);
        float[] peaked = normal(rnd, width, 1);
        peaked[rnd.nextInt(width)] = 60;
        rows.add(peaked);
        float[] mixed = normal(rnd, width, 10);
        for (int c = 0; c < width; c += 2) {
            mixed[c] = Float.NEGATIVE_INFINITY; // a masked row, one finite entry at least when width > 1
        }
        if (width > 1) {
            rows.add(mixed);
        }
        if (!backward) {
            float[] nan = normal(rnd, width, 10);
            nan[rnd.nextInt(width)] = Float.NaN;
            rows.add(nan);
            float[] inf = normal(rnd, width, 10);
            int k = Math.min(3, width);
            for (int i = 0; i < k; i++) {
                inf[(i * 7919) % width] = Float.POSITIVE_INFINITY;
            }
            if (width > 3) {
                inf[width - 1] = Float.NEGATIVE_INFINITY;
            }
            rows.add(inf);
            float[] allNegInf = new float[width];
            Arrays.fill(allNegInf, Float.NEGATIVE_INFINITY);
            rows.add(allNegInf);
        }
        return rows.toArray(new float[0][]);
    }

    private static float[] normal(Random rnd, int width, double spread) {
        float[] v = new float[width];
        for (int i = 0; i < width; i++) {
            v[i] = (float) (rnd.nextGaussian() * spread);
        }
        return v;
    }

    static float[] flatten(float[][] rows, int width) {
        float[] x = new float[rows.length * width];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, x, r * width, width);
        }
        return x;
    }

    private static void checkRows(String label, int width, boolean log, boolean backward) {
        Backend b = backend(label);
        float[][] rowData = rowsFor(width, backward);
        int rows = rowData.length;
        float[] x = flatten(rowData, width);
        double[] refForward = Reference.softmax(x, rows, width, log);
        float[] got;
        double[] ref;
        double[] floor;
        if (!backward) {
            got = log ? b.logSoftmax(x, rows, width) : b.softmax(x, rows, width);
            ref = refForward;
            // plain ULPs of the reference, log-softmax included: the reference (and both backends)
            // take log Σ as log1p of the terms other than one maximal entry, so even the maximal
            // entry of a peaked row (≈ −1e−26) is resolved to full relative accuracy
            floor = new double[ref.length];
        } else {
            // y = the float-rounded reference forward, dy ~ N(0,1): both backends get the same inputs
            float[] y = new float[x.length];
            for (int i = 0; i < y.length; i++) {
                y[i] = (float) refForward[i];
            }
            float[] dy = normal(new Random(7L * width), x.length, 1);
            ref = Reference.softmaxBackward(y, dy, rows, width, log);
            // an entry that is a cancellation of larger terms (dy_i ≈ Σ dy·y) is measured in ULPs of
            // those terms' magnitude: no float result can be more exact than the terms' rounding
            floor = Reference.softmaxBackwardScale(y, dy, rows, width, log);
            try (var ty = b.upload(y, rows, width); var tdy = b.upload(dy, rows, width);
                 var tdx = b.tensor(rows, width)) {
                if (log) {
                    b.logSoftmaxBackward(ty, tdy, tdx);
                } else {
                    b.softmaxBackward(ty, tdy, tdx);
                }
                got = tdx.download();
            }
        }
        assertEquals(ref.length, got.length);
        long nonZero = Arrays.stream(ref).filter(r -> r != 0 && Double.isFinite(r)).count();
        if (width == 1 && (log || backward)) {
            // one column: log_softmax ≡ 0 and both backwards ≡ 0 (dy − dy): the reference must say so,
            // and the backend must give 0 (the Ulp rules accept only |got| ≤ MIN_NORMAL there)
            assertEquals(0, nonZero, "width-1 reference is identically 0");
        } else {
            assertTrue(nonZero > ref.length / 4, "reference is mostly zero: " + nonZero + " of " + ref.length);
        }
        Ulp.Worst w = new Ulp.Worst();
        for (int i = 0; i < got.length; i++) {
            w.offer(i, Ulp.errorWithFloor(got[i], ref[i], floor[i]));
        }
        String fn = log ? "log_softmax" : "softmax";
        String dir = backward ? "backward" : "forward";
        int wr = w.index / Math.max(1, width);
        int wc = w.index % Math.max(1, width);
        record(fn, "width=" + width, b, dir, w.maxUlp, w.maxUlp == 0 ? "-" : "row " + wr + " col " + wc + " x=" + x[w.index]);
        double rowTol = computesInDouble(b) ? DOUBLE_COMPUTE_ULP : ROW_ULP;
        if (w.maxUlp > rowTol) {
            throw new AssertionError(String.format("%s %s width %d on %s: %.3g ULP at row %d col %d: x=%s got=%s expected=%s",
                    fn, dir, width, b.info(), w.maxUlp, wr, wc, x[w.index], got[w.index], ref[w.index]));
        }
    }

    // ------------------------------------------------------------------ shared

    /** Whether {@code b} evaluates in double: the Java path always, an OpenCL device when it has fp64. */
    static boolean computesInDouble(Backend b) {
        return b.precision() == Precision.EXACT;
    }

    private static Backend backend(String label) {
        Backend b = POOL.get(label);
        if (!"java".equals(label)) {
            assertEquals(BackendInfo.Kind.OPENCL, b.info().kind(), "OpenCL case must run on OpenCL");
        }
        return b;
    }

    private static void record(ActivationFunction f, String params, Backend b, String direction, double maxUlp,
                               String worstX) {
        record(Functions.name(f), params, b, direction, maxUlp, worstX);
    }

    private static void record(String function, String params, Backend b, String direction, double maxUlp,
                               String worstX) {
        String backend = b.info().kind() == BackendInfo.Kind.JAVA ? "java"
                : "opencl " + b.precision() + " " + b.info().selector() + " " + b.info().device();
        String ulp = String.format("%.3f", maxUlp);
        System.out.printf("%-22s %-26s %-10s %-40s maxUlp=%-8s worstX=%s%n", function, params, direction,
                backend.length() > 40 ? backend.substring(0, 40) : backend, ulp, worstX);
        TSV.add(String.join("\t", function, params, backend.replace('\t', ' '), direction, ulp, worstX));
    }
}
