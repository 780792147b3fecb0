package dev.soma.reference;

import dev.soma.Activation;
import dev.soma.ActivationFunction;

import java.util.Arrays;

/**
 * The dense test grid, deterministic and sorted ({@link Arrays#sort(float[])} order: −∞ … −0, +0 … +∞,
 * NaN last), without duplicates:
 *
 * <ul>
 *   <li>log-spaced magnitudes over 1e−30 … 1e4, {@value #LOG_POINTS} per sign;</li>
 *   <li>a linear band over [−20, 20] (where the sigmoid-like functions turn) and over the exp
 *       underflow edges [−110, −80] and [80, 110];</li>
 *   <li>a dense linear band (step 1e−4 over ±0.05) and the 64 float neighbours on each side of
 *       every kink and hard point: 0, ±1, ±3, 6, ±2.5, −1.5 (hard_swish′ = 0), the minima of gelu,
 *       gelu_tanh, silu and mish (where their derivatives cancel to 0), and per function its own
 *       θ, hard_sigmoid corners (αx+β = 0 or 1) and silu minimum −1.278/β;</li>
 *   <li>the special values: ±0, ±MIN_VALUE, subnormals, ±MIN_NORMAL, ±MAX_VALUE, large finite
 *       values (±1e19 … ±1e38), ±∞, NaN.</li>
 * </ul>
 *
 * {@link #of(ActivationFunction)} has more than 100,000 points for every function.
 */
public final class Grid {

    /** Log-spaced points per sign. */
    public static final int LOG_POINTS = 45_000;
    /** Float neighbours taken on each side of a kink. */
    public static final int NEIGHBOURS = 64;

    /** Points where some catalogue function has a kink or a derivative root, for every function. */
    static final double[] COMMON_KINKS = {
        0, 1, -1, 3, -3, 6, 2.5, -2.5, -1.5,
        -0.7517915246935645,  // argmin x·Φ(x): gelu′ = 0
        -0.7524614,           // argmin of gelu_tanh
        -1.2784645427610738,  // argmin x·σ(x): silu′ = 0
        -1.1924312,           // argmin of mish (f = −0.3088434130)
    };

    private static final float[] BASE = build(COMMON_KINKS);

    private Grid() {
    }

    /** The grid for {@code f}: the base grid plus the function's own kinks. Sorted; a fresh array. */
    public static float[] of(ActivationFunction f) {
        double[] own = kinks(f);
        double[] edges = flushEdges(f.activation());
        if (own.length == 0 && edges.length == 0) {
            return BASE.clone();
        }
        FloatList l = new FloatList();
        l.addAll(BASE);
        for (double k : own) {
            band(l, k);
        }
        for (double e : edges) {
            band(l, e);
            band(l, -e);
        }
        return sortedUnique(l);
    }

    /**
     * |x| beyond which the fast OpenCL kernels return the flushed result (±0, or x, or 1) of a function
     * or derivative whose true value there is below the normal range (see {@code SOMA_FLUSH} in
     * opencl/activations.cl): the last float where |f| ≥ 2^−126 is the given one, so its neighbours test
     * both sides. Not kinks: the function is smooth there.
     */
    public static double[] flushEdges(Activation a) {
        switch (a) {
            case GELU: return new double[] {0x1.a4ae0cp+3, 0x1.aaf0b2p+3};
            case GELU_TANH: return new double[] {0x1.43386ap+3, 0x1.47851ep+3};
            case ERF: return new double[] {0x1.2b4274p+3};
            default: return new double[0];
        }
    }

    /** The base grid (no function-specific kinks). Sorted; a fresh array. */
    public static float[] base() {
        return BASE.clone();
    }

    /** The points where {@code f}'s formula changes branch or its derivative jumps (doubles; may fall between floats). */
    public static double[] kinks(ActivationFunction f) {
        Activation a = f.activation();
        switch (a) {
            case BINARY_STEP: case RELU: case LEAKY_RELU: case PRELU: case ELU: case SELU: case CELU:
                return new double[] {0};
            case RELU6:
                return new double[] {0, 6};
            case HARD_SWISH:
                return new double[] {-3, 3};
            case THRESHOLDED_RELU:
                return new double[] {f.param(0)};
            case HARD_SIGMOID: {
                double alpha = f.param(0);
                double beta = f.param(1);
                return new double[] {-beta / alpha, (1 - beta) / alpha};
            }
            case SILU: {
                double beta = f.param(0);
                return beta == 0 ? new double[0] : new double[] {-1.2784645427610738 / beta};
            }
            default:
                return new double[0];
        }
    }

    /** The special values every function is checked on. */
    public static float[] specials() {
        return new float[] {
            0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 2 * Float.MIN_VALUE, -2 * Float.MIN_VALUE,
            1e-44f, -1e-44f, 1e-40f, -1e-40f, Float.MIN_NORMAL / 2, -Float.MIN_NORMAL / 2,
            Math.nextDown(Float.MIN_NORMAL), -Math.nextDown(Float.MIN_NORMAL),
            Float.MIN_NORMAL, -Float.MIN_NORMAL, Math.nextUp(Float.MIN_NORMAL), -Math.nextUp(Float.MIN_NORMAL),
            1e19f, -1e19f, 1e20f, -1e20f, 1e30f, -1e30f, 1e38f, -1e38f,
            Float.MAX_VALUE, -Float.MAX_VALUE, Math.nextDown(Float.MAX_VALUE), -Math.nextDown(Float.MAX_VALUE),
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
        };
    }

    private static float[] build(double[] kinks) {
        FloatList l = new FloatList();
        double lo = Math.log(1e-30);
        double hi = Math.log(1e4);
        for (int i = 0; i < LOG_POINTS; i++) {
            float m = (float) Math.exp(lo + (hi - lo) * i / (LOG_POINTS - 1));
            l.add(m);
            l.add(-m);
        }
        linear(l, -20, 20, 4001);
        linear(l, -110, -80, 1501);
        linear(l, 80, 110, 1501);
        for (double k : kinks) {
            band(l, k);
        }
        for (float s : specials()) {
            l.add(s);
        }
        return sortedUnique(l);
    }

    private static void linear(FloatList l, double from, double to, int n) {
        for (int i = 0; i < n; i++) {
            l.add((float) (from + (to - from) * i / (n - 1)));
        }
    }

    /** A dense linear band around {@code k} and the float neighbours of {@code (float) k}. */
    private static void band(FloatList l, double k) {
        linear(l, k - 0.05, k + 0.05, 1001);
        float c = (float) k;
        l.add(c);
        float up = c;
        float down = c;
        for (int i = 0; i < NEIGHBOURS; i++) {
            up = Math.nextUp(up);
            down = Math.nextDown(down);
            l.add(up);
            l.add(down);
        }
        if (c == 0) {
            l.add(-0f);
        }
    }

    private static float[] sortedUnique(FloatList l) {
        float[] a = Arrays.copyOf(l.data, l.size);
        Arrays.sort(a);
        int n = 0;
        for (int i = 0; i < a.length; i++) {
            if (n == 0 || Float.floatToIntBits(a[i]) != Float.floatToIntBits(a[n - 1])) {
                a[n++] = a[i];
            }
        }
        return Arrays.copyOf(a, n);
    }

    private static final class FloatList {
        float[] data = new float[1 << 17];
        int size;

        void add(float v) {
            if (size == data.length) {
                data = Arrays.copyOf(data, size * 2);
            }
            data[size++] = v;
        }

        void addAll(float[] v) {
            for (float f : v) {
                add(f);
            }
        }
    }
}
