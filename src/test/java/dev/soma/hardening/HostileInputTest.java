package dev.soma.hardening;

import dev.soma.Activation;
import dev.soma.ActivationFunction;
import dev.soma.Backend;
import dev.soma.Soma;
import dev.soma.Tensor;
import dev.soma.reference.Backends;
import dev.soma.reference.Reference;
import dev.soma.reference.Ulp;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Hostile input, property-based (jqwik): shapes, parameters and values drawn at random with the
 * special values over-represented (NaN, ±∞, subnormals, ±0, the extremes of float, zero-length
 * arrays). Every call either gives the documented result (the double reference of
 * {@code ACTIVATIONS.md} within the README's bars: forward 4, derivative 16, softmax 16 ULP; NaN
 * exactly where the reference is NaN) or throws the documented exception
 * ({@link IllegalArgumentException} for bad arguments), on the Java path and on every OpenCL
 * device. Anything else (another exception, a crash, a hang) fails the property.
 */
class HostileInputTest {

    private static List<Backend> backends;

    /**
     * The Java backend and each OpenCL device; without a device the properties run on Java only, and
     * fail where the run requires OpenCL ({@link Soma#requireOpenCl()}), so they never pass on Java in
     * OpenCL's place.
     */
    private static synchronized List<Backend> backends() {
        if (backends == null) {
            if (Backends.openClSelectors().isEmpty() && Soma.requireOpenCl()) {
                Backends.noOpenClDevice(); // fails: the run requires OpenCL
            }
            List<Backend> l = new ArrayList<>();
            l.add(Soma.java());
            Backends.openClSelectors().forEach(s -> l.add(Backends.openCl(s)));
            backends = l;
        }
        return backends;
    }

    @AfterContainer
    static synchronized void close() {
        if (backends != null) {
            backends.forEach(Backend::close);
            backends = null;
        }
    }

    // ------------------------------------------------------------------ generators

    private static final float[] SPECIAL = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f,
        Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, -Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE,
        1f, -1f, 1e-30f, -1e-30f, 88.72f, -88.72f, 104f, -104f, 1e30f, -1e30f,
        Float.intBitsToFloat(0x7fc00001), Float.intBitsToFloat(0xffc00000)}; // NaNs with other payloads

    /** Floats of every kind: special values, subnormals, any bit pattern, the ordinary range. */
    @Provide
    static Arbitrary<Float> anyFloat() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(0, SPECIAL.length - 1).map(i -> SPECIAL[i])),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(1, 0x7fffff)
                        .map(b -> Float.intBitsToFloat(b) * (b % 2 == 0 ? 1 : -1))), // subnormals
                net.jqwik.api.Tuple.of(3, Arbitraries.integers().map(Float::intBitsToFloat)), // any bits
                net.jqwik.api.Tuple.of(5, Arbitraries.floats().between(-20f, 20f)));
    }

    @Provide
    static Arbitrary<float[]> values() {
        return anyFloat().array(float[].class).ofMinSize(0).ofMaxSize(48);
    }

    /** Every function of the catalogue with its defaults, and with random parameters (valid or not). */
    @Provide
    static Arbitrary<Activation> activations() {
        return Arbitraries.of(Activation.values());
    }

    @Provide
    static Arbitrary<Double> anyParam() {
        return Arbitraries.oneOf(Arbitraries.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.0,
                        -0.0, 1e-300, 1e300, -1.0, 1e39, Double.MIN_VALUE),
                Arbitraries.doubles().between(-10, 10));
    }

    // ------------------------------------------------------------------ properties

    @Property(tries = 300)
    void elementwiseGivesTheReferenceForAnyValues(@ForAll("activations") Activation a, @ForAll("values") float[] x,
                                                  @ForAll boolean derivative) {
        ActivationFunction f = a == Activation.PRELU ? Activation.prelu(0.25f) : a;
        checkElementwise(f, x, derivative);
    }

    @Property(tries = 300)
    void parametersAreAcceptedAndObeyedOrRejected(@ForAll("activations") Activation a,
                                                  @ForAll("anyParam") double p0, @ForAll("anyParam") double p1,
                                                  @ForAll @IntRange(min = 0, max = 3) int count,
                                                  @ForAll("values") float[] x, @ForAll boolean derivative) {
        double[] params = Arrays.copyOf(new double[] {p0, p1, 0.5}, count);
        ActivationFunction f;
        try {
            f = a == Activation.PRELU ? Activation.prelu(toFloats(params)) : a.with(params);
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
            return; // the documented exception
        }
        if (a == Activation.PRELU && f.slopes().length > 1) {
            x = Arrays.copyOf(x, x.length / f.slopes().length * f.slopes().length);
        }
        checkElementwise(f, x, derivative);
    }

    private static float[] toFloats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    private static void checkElementwise(ActivationFunction f, float[] x, boolean derivative) {
        float[] copy = x.clone();
        double[] ref = derivative ? Reference.derivative(f, x) : Reference.forward(f, x);
        double bar = derivative ? 16 : 4;
        for (Backend b : backends()) {
            float[] y = derivative ? b.derivative(f, x) : b.forward(f, x);
            assertEquals(x.length, y.length);
            for (int i = 0; i < x.length; i++) {
                double e = Ulp.error(y[i], ref[i]);
                if (!(e <= bar)) {
                    fail(f + (derivative ? "′" : "") + "(" + x[i] + ") = " + y[i] + " on " + b.info() + ", reference "
                            + ref[i] + ": " + e + " ULP (bar " + bar + ")");
                }
                if (Float.isNaN(x[i]) && !Float.isNaN(y[i])) {
                    fail(f + " of NaN gave " + y[i] + " on " + b.info());
                }
            }
            assertArrayEquals(copy, x, "the input array is not modified");
        }
    }

    @Property(tries = 200)
    void softmaxRowsGiveTheReferenceOrTheDocumentedSpecialRows(@ForAll("anyFloat") float v0,
                                                               @ForAll("values") float[] x,
                                                               @ForAll @IntRange(min = 1, max = 8) int cols,
                                                               @ForAll boolean log) {
        float[] data = Arrays.copyOf(x, Math.max(cols, x.length / cols * cols));
        data[0] = v0;
        int rows = data.length / cols;
        double[] ref = Reference.softmax(data, rows, cols, log);
        for (Backend b : backends()) {
            float[] y = log ? b.logSoftmax(data, rows, cols) : b.softmax(data, rows, cols);
            for (int i = 0; i < y.length; i++) {
                double e = Ulp.error(y[i], ref[i]);
                if (!(e <= 16)) {
                    fail((log ? "log-softmax" : "softmax") + " of row " + Arrays.toString(Arrays.copyOfRange(data,
                            i / cols * cols, i / cols * cols + cols)) + " on " + b.info() + ": element " + i % cols
                            + " = " + y[i] + ", reference " + ref[i] + " (" + e + " ULP)");
                }
            }
        }
    }

    /** Shapes: negative, zero, huge, mismatched with the data. */
    @Provide
    static Arbitrary<Integer> dimension() {
        return Arbitraries.oneOf(Arbitraries.integers().between(-3, 40),
                Arbitraries.of(Integer.MIN_VALUE, -1, 0, 1, 65_536, 1 << 20, Integer.MAX_VALUE));
    }

    @Property(tries = 300)
    void shapesAreCheckedBeforeAnyWork(@ForAll("dimension") int rows, @ForAll("dimension") int cols,
                                       @ForAll @IntRange(min = 0, max = 64) int length) {
        long n = (long) rows * cols;
        boolean valid = rows >= 0 && cols >= 0 && n <= Integer.MAX_VALUE - 8;
        for (Backend b : backends()) {
            if (!valid) {
                expectIae(() -> b.tensor(rows, cols), "tensor " + rows + " x " + cols);
            } else if (n <= 4096) {
                try (Tensor t = b.tensor(rows, cols)) {
                    assertArrayEquals(new float[(int) n], t.download());
                }
            }
            float[] data = new float[length];
            if (valid && n == length) {
                try (Tensor t = b.upload(data, rows, cols)) {
                    assertEquals(rows, t.rows());
                    float[] s = b.softmax(data, rows, cols);
                    assertEquals(length, s.length);
                }
            } else {
                expectIae(() -> b.upload(data, rows, cols), "upload " + length + " as " + rows + " x " + cols);
                expectIae(() -> b.softmax(data, rows, cols), "softmax " + length + " as " + rows + " x " + cols);
            }
        }
    }

    @Property(tries = 150)
    void gemmGivesTheBoundedProductOrRejectsTheShapes(@ForAll @IntRange(min = 0, max = 5) int m,
                                                       @ForAll @IntRange(min = 0, max = 5) int n,
                                                       @ForAll @IntRange(min = 0, max = 5) int k,
                                                       @ForAll @IntRange(min = 0, max = 5) int kb,
                                                       @ForAll boolean transA, @ForAll boolean transB,
                                                       @ForAll("anyParam") double alpha, @ForAll("anyParam") double beta,
                                                       @ForAll @IntRange(min = 0, max = 5) int cShape) {
        float[] a = ConcurrencyTest.values(m * k, m * 31 + k, 2f);
        float[] bm = ConcurrencyTest.values(kb * n, n * 17 + kb, 2f);
        int[][] cShapes = {{0, 0}, {1, 1}, {1, n}, {m, 1}, {m, n}, {2, 3}};
        int cr = cShapes[cShape][0];
        int cc = cShapes[cShape][1];
        float[] c = ConcurrencyTest.values(cr * cc, 5, 1f);
        float fa = (float) alpha;
        float fb = (float) beta;
        boolean broadcastOk = cShape == 0 || cShape < 5 || (m == 2 && n == 3);
        boolean valid = k == kb && k > 0 && Float.isFinite(fa) && Float.isFinite(fb) && broadcastOk;
        for (Backend b : backends()) {
            try (Tensor ta = transA ? b.upload(transpose(a, m, k), k, m) : b.upload(a, m, k);
                 Tensor tb = transB ? b.upload(transpose(bm, kb, n), n, kb) : b.upload(bm, kb, n);
                 Tensor tc = cShape == 0 ? null : b.upload(c, cr, cc);
                 Tensor y = b.tensor(m, n)) {
                if (!valid) {
                    expectIae(() -> b.gemm(ta, transA, tb, transB, fa, tc, fb, y), "gemm " + m + "x" + k + " · "
                            + kb + "x" + n + " alpha " + fa + " beta " + fb + " c " + cr + "x" + cc);
                    continue;
                }
                b.gemm(ta, transA, tb, transB, fa, tc, fb, y);
                float[] got = y.download();
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double sum = 0;
                        double mag = 0;
                        for (int p = 0; p < k; p++) {
                            sum += (double) a[i * k + p] * bm[p * n + j];
                            mag += Math.abs((double) a[i * k + p] * bm[p * n + j]);
                        }
                        double cv = cShape == 0 ? 0 : c[(cr == 1 ? 0 : i) * cc + (cc == 1 ? 0 : j)];
                        double ref = fa * sum + fb * cv;
                        double bound = (k + 2) * 0x1p-24 * (Math.abs(fa) * mag + Math.abs(fb * cv)) + Float.MIN_NORMAL;
                        if (!(Math.abs(got[i * n + j] - ref) <= bound)) {
                            fail("gemm y[" + i + "," + j + "] = " + got[i * n + j] + ", reference " + ref + " ± " + bound
                                    + " on " + b.info());
                        }
                    }
                }
            }
        }
    }

    private static float[] transpose(float[] x, int rows, int cols) {
        float[] t = new float[x.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = x[r * cols + c];
            }
        }
        return t;
    }

    private static void expectIae(Runnable call, String what) {
        try {
            call.run();
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), what);
            return;
        } catch (RuntimeException | Error e) {
            throw new AssertionError(what + ": expected IllegalArgumentException, got " + e, e);
        }
        fail(what + ": expected IllegalArgumentException, but it succeeded");
    }
}
