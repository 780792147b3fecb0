package dev.soma.cpu;

import dev.soma.Activation;
import dev.soma.ActivationFunction;

/**
 * The catalogue's formulas in pure Java, single-threaded: element-wise activations (forward and
 * derivative), softmax and log-softmax over rows (forward and backward) and noisy ReLU's noise.
 *
 * <p>Every function is computed in double with the catalogue's stable form and rounded once to
 * float, with the same operation sequence as {@code opencl/activations.cl} and
 * {@code opencl/softmax.cl} when the device computes in double ({@code ACC=double}); where both use
 * {@link JavaMath} / the prelude's {@code soma_exp} and {@code soma_log}, or {@link #expNegSq} and
 * gelu's fma polynomial {@link #geluQ} / {@code soma_expneg_sq} and {@code soma_gelu_q}, the results
 * are bit-identical, elsewhere (library tanh, atan, expm1, log1p, erf) they agree to 1 ulp of float.
 *
 * <p>The function is chosen once per call; each function has its own tight loop (sigmoid and gelu:
 * short passes over a block converted to double, so that C2 vectorises them). Arrays are
 * row-major; {@code x} and {@code y} may be the same array at the same offset (in place).
 *
 * <p>Special values: NaN in gives NaN out for every function and derivative; ±∞ gives the
 * mathematical limit; relu(−0) = +0 (as {@link Math#max(float, float)} gives); functions that are
 * the identity near 0 keep the sign of −0.
 */
public final class JavaKernels {

    private JavaKernels() {
    }

    static final double INV_SQRT2PI = 0x1.9884533d43651p-2;    // 1/√(2π)
    static final double TWO_OVER_SQRTPI = 0x1.20dd750429b6dp0; // 2/√π
    static final double GELU_C = 0x1.9884533d43651p-1;         // √(2/π)
    static final double GELU_K = 0.044715;
    static final double GELU_K3 = 0.134145;                    // 3·0.044715
    static final double SELU_A = Activation.SELU_ALPHA;
    static final double SELU_L = Activation.SELU_LAMBDA;
    static final double SELU_LA = 0x1.c212cc640f03p0;          // SELU_LAMBDA * SELU_ALPHA in double

    /**
     * {@code y[i] = f(x[i])}, or f′ when {@code derivative}, for i in [from, to). The index is also the
     * element's global index: PReLU's column is {@code i % slopes.length}, noisy ReLU's noise is
     * {@link #noise}{@code (seed, i)}. x and y share the index (rather than taking an offset each) so
     * that C2 can prove the loops free of aliasing and vectorise them.
     *
     * @param x not modified (unless it is {@code y})
     * @param y modified; may be {@code x}
     */
    public static void elementwise(ActivationFunction f, boolean derivative, float[] x, float[] y, int from, int to) {
        if (from < 0 || from > to || to > x.length || to > y.length) {
            throw new IllegalArgumentException("elementwise: range [" + from + ", " + to + ") outside arrays of "
                    + x.length + " and " + y.length);
        }
        if (from == to) {
            return;
        }
        final boolean d = derivative;
        final double p0 = f.param(0);
        final double p1 = f.param(1);
        switch (f.activation()) {
            case IDENTITY -> identity(d, x, y, from, to);
            case BINARY_STEP -> binaryStep(d, x, y, from, to);
            case SIGMOID -> { if (d) sigmoidD(x, y, from, to); else sigmoid(x, y, from, to); }
            case GENERALIZED_LOGISTIC -> genLogistic(d, p0, x, y, from, to);
            case TANH -> tanh(d, x, y, from, to);
            case ARCTAN -> arctan(d, x, y, from, to);
            case GUDERMANNIAN -> gudermannian(d, x, y, from, to);
            case ERF -> erf(d, x, y, from, to);
            case ALGEBRAIC_SIGMOID -> algebraicSigmoid(d, x, y, from, to);
            case SOFTSIGN -> softsign(d, x, y, from, to);
            case HARD_SIGMOID -> hardSigmoid(d, p0, p1, x, y, from, to);
            case RELU -> { if (d) reluD(x, y, from, to); else relu(x, y, from, to); }
            case RELU6 -> relu6(d, x, y, from, to);
            case LEAKY_RELU -> leaky(d, (float) p0, x, y, from, to);
            case PRELU -> prelu(d, f.slopes(), x, y, from, to);
            case THRESHOLDED_RELU -> thresholded(d, (float) p0, x, y, from, to);
            case NOISY_RELU -> noisyRelu(d, p0, f.seed(), x, y, from, to);
            case ELU -> elu(d, p0, x, y, from, to);
            case SELU -> selu(d, x, y, from, to);
            case CELU -> celu(d, p0, x, y, from, to);
            case SOFTPLUS -> softplus(d, p0, x, y, from, to);
            case LOG_SIGMOID -> logSigmoid(d, x, y, from, to);
            case GELU -> gelu(d, x, y, from, to);
            case GELU_TANH -> geluTanh(d, x, y, from, to);
            case SILU -> silu(d, p0, x, y, from, to);
            case MISH -> mish(d, x, y, from, to);
            case HARD_SWISH -> hardSwish(d, x, y, from, to);
            default -> throw new IllegalArgumentException("no Java kernel for " + f.activation());
        }
    }

    // ------------------------------------------------------------------ scalar building blocks

    /** 0·∞ made a NaN from a non-NaN input: the limit is 0. */
    static double fix0(double r, double v) {
        return (r != r && v == v) ? 0.0 : r;
    }

    /** σ(z) = 1/(1+e^−z) without overflow: t = e^−|z|, z ≥ 0: 1/(1+t), else t/(1+t). */
    static double sig(double z) {
        double t = JavaMath.exp(-Math.abs(z));
        return (z >= 0 ? 1.0 : t) / (1.0 + t);
    }

    /** softplus(z) = max(z,0) + log1p(e^−|z|), NaN propagates. */
    static double sp(double z) {
        return (z > 0 ? z : 0.0) + JavaMath.log1pUnit(JavaMath.exp(-Math.abs(z)));
    }

    // ------------------------------------------------------------------ loops

    private static void identity(boolean d, float[] x, float[] y, int from, int to) {
        if (!d) {
            if (x != y) {
                System.arraycopy(x, from, y, from, to - from);
            }
            return;
        }
        for (int i = from; i < to; i++) {
            y[i] = Math.max(Math.min(x[i], 1f), 1f); // 1, NaN kept: branch-free so that C2 vectorises it
        }
    }

    // 2^126: v·2^126·2^126 is ≥ 1 (or +∞) for every float v > 0, subnormals included, so
    // min(max(v·2^126·2^126, 0), 1) is the mask [v > 0]: 1 for v > 0, +0 for v ≤ 0 (−0 too), NaN for NaN.
    private static final float P126 = 0x1.0p126f;

    private static void binaryStep(boolean d, float[] x, float[] y, int from, int to) {
        if (d) {
            for (int i = from; i < to; i++) {
                y[i] = Math.max(Math.min(x[i], 0f), 0f); // +0, NaN kept
            }
        } else {
            for (int i = from; i < to; i++) {
                // 1 − [x < 0]: 1 for x ≥ 0 (−0 too), +0 for x < 0, NaN kept
                y[i] = 1f - Math.min(Math.max(-x[i] * P126 * P126, 0f), 1f);
            }
        }
    }

    /**
     * e^−a for a in [0, 110] with only fused multiply-adds and × (so that the JIT can vectorise it):
     * p(−a/256)^256, p the degree-10 polynomial interpolating e^u at the 10 Chebyshev nodes of
     * [−110/256, 0] (and 1 at u = 0), evaluated by Horner in a itself (its coefficients times
     * (−2^−8)^j, exact: every step is the u-form step times a power of two), then squared 8 times.
     * Relative error of p (double coefficients, exact arithmetic) below 1.2e-17 on [−110/256, 0], so
     * the result's error is the roundings' (each squaring doubles it): below 8e-14, 5.2e-14 measured
     * (ExpNegSqTest; the degree-13 Taylor form before, with separate × and +: 8.7e-14), far below
     * float's 6e-8. The same operations as {@code soma_expneg_sq} in the prelude (explicit fma there
     * too, correctly rounded like Math.fma), so both give the same bits.
     */
    static double expNegSq(double a) {
        double p = Math.fma(0x1.e74b7cff26cbep-103, a, -0x1.6c1b39e1d3bf6p-91);
        p = Math.fma(p, a, 0x1.9fbe5e6a06281p-80);
        p = Math.fma(p, a, -0x1.a0168aa087aa4p-69);
        p = Math.fma(p, a, 0x1.6c16ac973f057p-58);
        p = Math.fma(p, a, -0x1.111110c4a9361p-47);
        p = Math.fma(p, a, 0x1.5555555412f74p-37);
        p = Math.fma(p, a, -0x1.5555555552a1fp-27);
        p = Math.fma(p, a, 0x1.fffffffffffb8p-18);
        p = Math.fma(p, a, -0x1.0p-8);
        p = Math.fma(p, a, 1.0);
        p = p * p;
        p = p * p;
        p = p * p;
        p = p * p;
        p = p * p;
        p = p * p;
        p = p * p;
        p = p * p;
        return p;
    }

    private static final int BLOCK = 256;

    // Elements per block of the sigmoid: long vectorised loops (C2's pre- and post-loops and the loop
    // set-up cost a share of a short block's time: 2048 ran about 1.2x faster than 256).
    private static final int SIGMOID_BLOCK = 2048;

    /**
     * σ(x) and σ′(x) for the sigmoid itself (outputs in [0,1], so e^−|x| may be clamped at
     * e^−110, which rounds to float 0 the same as the true value). Blocked through a double scratch
     * array in short, branch-free loops (min/max instead of selects) so that C2 vectorises them and
     * no float↔double conversion chains one element's latency onto the next: the conversion in, one
     * vectorised pass in place (divide included), the conversion out.
     * σ = max(t, min(x·2^1000, 1))/(1+t), t = e^−min(|x|,110) (the max picks 1 for x > 0, where
     * x·2^1000 ≥ 1, and t for x < 0; at ±0 t = 1 so either gives 1/2; NaN propagates);
     * σ′ = t/(1+t)².
     */
    private static void sigmoidBlocked(boolean d, float[] x, float[] y, int from, int to) {
        sigmoidRows(d, x, y, from, 1, to - from, to - from);
    }

    /** {@link #sigmoidBlocked} on {@code rows} rows of {@code w} elements, row r at {@code off + r·stride} ({@link Rows}). */
    private static void sigmoidRows(boolean d, float[] x, float[] y, int off, int rows, int w, int stride) {
        long total = (long) rows * w;
        double[] v = new double[(int) Math.min(SIGMOID_BLOCK, total)];
        Rows in = new Rows(off, w, stride);
        Rows out = new Rows(off, w, stride);
        for (long k = 0; k < total; k += SIGMOID_BLOCK) {
            int m = (int) Math.min(SIGMOID_BLOCK, total - k);
            in.gather(x, v, m);
            if (d) {
                for (int i = 0; i < m; i++) {
                    double ti = expNegSq(Math.min(Math.abs(v[i]), 110.0));
                    double wi = 1.0 + ti;
                    v[i] = ti / (wi * wi);
                }
            } else {
                for (int i = 0; i < m; i++) {
                    double vi = v[i];
                    double ti = expNegSq(Math.min(Math.abs(vi), 110.0));
                    v[i] = Math.max(ti, Math.min(vi * 0x1.0p1000, 1.0)) / (1.0 + ti);
                }
            }
            out.scatter(v, m, y);
        }
    }

    /**
     * A cursor over {@code w}-wide rows, row r at {@code off + r·stride}: moves the next elements between
     * them and a double block (the conversions in and out of the block-pass functions, scalar anyway), so
     * that the passes stay long however short the rows (the dense layer's task blocks have rows of 256).
     */
    private static final class Rows {
        private final int off;
        private final int w;
        private final int stride;
        private int row;
        private int col;

        Rows(int off, int w, int stride) {
            this.off = off;
            this.w = w;
            this.stride = stride;
        }

        /** v[0..m) = the next m elements of x. */
        void gather(float[] x, double[] v, int m) {
            for (int j = 0; j < m; ) {
                int len = Math.min(w - col, m - j);
                int base = off + row * stride + col;
                for (int i = 0; i < len; i++) {
                    v[j + i] = x[base + i];
                }
                j += len;
                advance(len);
            }
        }

        /** The next m elements of y = v[0..m) rounded to float. */
        void scatter(double[] v, int m, float[] y) {
            for (int j = 0; j < m; ) {
                int len = Math.min(w - col, m - j);
                int base = off + row * stride + col;
                for (int i = 0; i < len; i++) {
                    y[base + i] = (float) v[j + i];
                }
                j += len;
                advance(len);
            }
        }

        private void advance(int len) {
            col += len;
            if (col == w) {
                col = 0;
                row++;
            }
        }
    }

    private static void sigmoid(float[] x, float[] y, int from, int to) {
        sigmoidBlocked(false, x, y, from, to);
    }

    private static void sigmoidD(float[] x, float[] y, int from, int to) {
        sigmoidBlocked(true, x, y, from, to);
    }

    /** f = exp(−α·sp(−x)); f′ = α·f·σ(−x). */
    private static void genLogistic(boolean d, double a, float[] x, float[] y, int from, int to) {
        for (int i = from; i < to; i++) {
            double v = x[i];
            double f = JavaMath.exp(-a * sp(-v));
            y[i] = (float) (d ? a * f * sig(-v) : f);
        }
    }

    /** tanh; tanh′ = 4u/(1+u)², u = e^−2|x| (no cancellation). */
    private static void tanh(boolean d, float[] x, float[] y, int from, int to) {
        if (d) {
            for (int i = from; i < to; i++) {
                double v = x[i];
                double u = JavaMath.exp(-2.0 * Math.abs(v));
                double w = 1.0 + u;
                y[i] = (float) (4.0 * u / (w * w));
            }
        } else {
            for (int i = from; i < to; i++) {
                y[i] = (float) JavaMath.tanh(x[i]);
            }
        }
    }

    private static void arctan(boolean d, float[] x, float[] y, int from, int to) {
        if (d) {
            for (int i = from; i < to; i++) {
                double v = x[i];
                // (1/x)² beyond 1e18, where x² would overflow a float ACC
                y[i] = (float) (Math.abs(v) > 1e18 ? (1.0 / v) * (1.0 / v) : 1.0 / (1.0 + v * v));
            }
        } else {
            for (int i = from; i < to; i++) {
                y[i] = (float) JavaMath.atan(x[i]);
            }
        }
    }

    /** gd = 2·atan(tanh(x/2)); gd′ = sech x = 2u/(1+u²), u = e^−|x|. */
    private static void gudermannian(boolean d, float[] x, float[] y, int from, int to) {
        if (d) {
            for (int i = from; i < to; i++) {
                double v = x[i];
                double u = JavaMath.exp(-Math.abs(v));
                y[i] = (float) (2.0 * u / (1.0 + u * u));
            }
        } else {
            for (int i = from; i < to; i++) {
                double v = x[i];
                y[i] = (float) JavaMath.gd(v);
            }
        }
    }

    private static void erf(boolean d, float[] x, float[] y, int from, int to) {
        if (d) {
            for (int i = from; i < to; i++) {
                double v = x[i];
                y[i] = (float) (TWO_OVER_SQRTPI * JavaMath.exp(-(v * v)));
            }
        } else {
            for (int i = from; i < to; i++) {
                y[i] = (float) JavaMath.erf(x[i]);
            }
        }
    }

    /** x/√(1+x²), ±1 beyond |x| > 1e18 (where x² would overflow a float ACC); f′ = r³, r = 1/√(1+x²). */
    private static void algebraicSigmoid(boolean d, float[] x, float[] y, int from, int to) {
        if (d) {
            for (int i = from; i < to; i++) {
                double v = x[i];
                double r = 1.0 / Math.sqrt(1.0 + v * v);
                y[i] = (float) (r * r * r);
            }
        } else {
            for (int i = from; i < to; i++) {
                double v = x[i];
                y[i] = (float) (Math.abs(v) > 1e18 ? Math.copySign(1.0, v) : v / Math.sqrt(1.0 + v * v));
            }
        }
    }

    /** x/(1+|x|), ±1 at ±∞; f′ = r², r = 1/(1+|x|). */
    private static void softsign(boolean d, float[] x, float[] y, int from, int to) {
        if (d) {
            for (int i = from; i < to; i++) {
                double v = x[i];
                double r = 1.0 / (1.0 + Math.abs(v));
                y[i] = (float) (r * r);
            }
        } else {
            for (int i = from; i < to; i++) {
                double v = x[i];
                y[i] = (float) (Double.isInfinite(v) ? Math.copySign(1.0, v) : v / (1.0 + Math.abs(v)));
            }
        }
    }

    /** w = αx+β clamped to [0,1]; f′ = α inside (0,1), else 0. */
    private static void hardSigmoid(boolean d, double a, double b, float[] x, float[] y, int from, int to) {
        // Branch-free (vectorised) forms; w = αx+β is a multiple of 2^−298 (α, x, β floats), so
        // w·2^1000 is ≥ 1 for every w > 0 and [0 < w < 1] = [w > 0]·[1 − w > 0]. Exact unless
        // α ≤ 0 (f′ would make −0) or β = −0 (f(−0) keeps −0): those take the plain loop.
        // C2 (JDK 17) does not vectorise float↔double conversions: they get loops of their own
        // over a block, the double arithmetic in between is vectorised.
        if (a > 0 && a < Double.POSITIVE_INFINITY && (d || Double.doubleToRawLongBits(b) != Long.MIN_VALUE)) {
            double[] w = new double[BLOCK];
            for (int s = from; s < to; s += BLOCK) {
                int m = Math.min(BLOCK, to - s);
                for (int i = 0; i < m; i++) {
                    w[i] = x[s + i];
                }
                if (d) {
                    for (int i = 0; i < m; i++) {
                        double u = a * w[i] + b;
                        w[i] = a * (Math.min(Math.max(u * 0x1.0p1000, 0.0), 1.0)
                                * Math.min(Math.max((u - 1.0) * -0x1.0p1000, 0.0), 1.0));
                    }
                } else {
                    for (int i = 0; i < m; i++) {
                        w[i] = Math.min(Math.max(a * w[i] + b, 0.0), 1.0);
                    }
                }
                for (int i = 0; i < m; i++) {
                    y[s + i] = (float) w[i];
                }
            }
            return;
        }
        for (int i = from; i < to; i++) {
            double w = a * x[i] + b;
            double r;
            if (d) {
                r = (w > 0 && w < 1) ? a : (w != w ? w : 0.0);
            } else {
                r = w < 0 ? 0.0 : (w > 1 ? 1.0 : w);
            }
            y[i] = (float) r;
        }
    }

    private static void relu(float[] x, float[] y, int from, int to) {
        for (int i = from; i < to; i++) {
            y[i] = Math.max(0f, x[i]);
        }
    }

    private static void reluD(float[] x, float[] y, int from, int to) {
        for (int i = from; i < to; i++) {
            y[i] = Math.min(Math.max(x[i] * P126 * P126, 0f), 1f); // [x > 0], NaN kept
        }
    }

    private static final float SIX_DOWN = 0x1.7ffffep2f; // Math.nextDown(6f)

    private static void relu6(boolean d, float[] x, float[] y, int from, int to) {
        if (d) {
            // [x > 0] − [x ≥ 6], [x ≥ 6] = [x − 6⁻ > 0] with 6⁻ the float below 6 (the subtraction is
            // exact near 6); (a 6 − x form with the constant first is not vectorised by C2)
            for (int i = from; i < to; i++) {
                float v = x[i];
                y[i] = Math.min(Math.max(v * P126 * P126, 0f), 1f) - Math.min(Math.max((v - SIX_DOWN) * P126 * P126, 0f), 1f);
            }
        } else {
            for (int i = from; i < to; i++) {
                y[i] = Math.min(Math.max(x[i], 0f), 6f); // relu6(−0) = +0, NaN kept
            }
        }
    }

    /** x ≥ 0 ? x : αx (with 0·(−∞) = 0 when α = 0); f′ = x > 0 ? 1 : α. */
    static float leaky(float v, float a) {
        return v >= 0 ? v : ((a == 0f && v < 0) ? -a : (float) ((double) a * v));
    }

    static float leakyD(float v, float a) {
        return v > 0 ? 1f : (v != v ? v : a);
    }

    /**
     * Branch-free leaky ReLU (C2 vectorises min/max and products, not selects), bit-identical to
     * {@link #leaky(float, float)} / {@link #leakyD(float, float)}:
     * 0 < α ≤ 1: max(x, αx); α = +0: max(x, −0); other α ≠ ±0: x·s, s = n·α + (1 − n), n = [x < 0]
     * (s = 1 or α exactly; x·α is the float product the plain form rounds from double).
     * f′ = p + (1 − p)·α, p = [x > 0], for α ≠ −0. α = −0 takes the plain loop.
     */
    private static void leaky(boolean d, float a, float[] x, float[] y, int from, int to) {
        boolean negZero = Float.floatToRawIntBits(a) == Integer.MIN_VALUE;
        if (d) {
            if (negZero) {
                for (int i = from; i < to; i++) {
                    y[i] = leakyD(x[i], a);
                }
                return;
            }
            for (int i = from; i < to; i++) {
                float p = Math.min(Math.max(x[i] * P126 * P126, 0f), 1f);
                y[i] = p + (1f - p) * a;
            }
        } else if (a > 0 && a <= 1) {
            for (int i = from; i < to; i++) {
                float v = x[i];
                y[i] = Math.max(v, a * v);
            }
        } else if (a == 0 && !negZero) {
            for (int i = from; i < to; i++) {
                y[i] = Math.max(x[i], -0f);
            }
        } else if (a != 0 && Float.isFinite(a)) {
            for (int i = from; i < to; i++) {
                float v = x[i];
                float n = Math.min(Math.max(-v * P126 * P126, 0f), 1f);
                y[i] = v * (n * a + (1f - n));
            }
        } else {
            for (int i = from; i < to; i++) {
                y[i] = leaky(x[i], a);
            }
        }
    }

    private static void prelu(boolean d, float[] slopes, float[] x, float[] y, int from, int to) {
        if (slopes == null || slopes.length == 0) {
            slopes = new float[] {Activation.PRELU_DEFAULT_SLOPE};
        }
        int len = slopes.length;
        if (len == 1) {
            leaky(d, slopes[0], x, y, from, to);
            return;
        }
        boolean fast = true;
        for (float a : slopes) {
            // the branch-free forms of leaky(): x·s needs α ≠ ±0 (0·(−∞)), f′ needs α ≠ −0
            fast &= Float.isFinite(a) && (d ? Float.floatToRawIntBits(a) != Integer.MIN_VALUE : a != 0);
        }
        if (fast) {
            // the slopes repeated to a period of at least 1024 elements, so that the inner loops are long
            int period = len >= 1024 ? len : len * ((1024 + len - 1) / len);
            float[] al = slopes;
            if (period != len) {
                al = new float[period];
                for (int k = 0; k < period; k++) {
                    al[k] = slopes[k % len];
                }
            }
            int c = from % len;
            for (int i = from; i < to; ) {
                int n = Math.min(period - c, to - i);
                if (d) {
                    preluDRun(al, c, x, y, i, i + n);
                } else {
                    preluRun(al, c, x, y, i, i + n);
                }
                i += n;
                c = 0;
            }
            return;
        }
        int c = from % len;
        for (int i = from; i < to; i++) {
            float a = slopes[c];
            float v = x[i];
            y[i] = d ? leakyD(v, a) : leaky(v, a);
            if (++c == len) {
                c = 0;
            }
        }
    }

    /** y[i] = leaky(x[i], al[i − from + c]) for i in [from, to), branch-free (α ≠ ±0). */
    private static void preluRun(float[] al, int c, float[] x, float[] y, int from, int to) {
        int off = c - from;
        for (int i = from; i < to; i++) {
            float v = x[i];
            float n = Math.min(Math.max(-v * P126 * P126, 0f), 1f);
            y[i] = v * (n * al[i + off] + (1f - n));
        }
    }

    /** y[i] = leakyD(x[i], al[i − from + c]) for i in [from, to), branch-free (α ≠ −0). */
    private static void preluDRun(float[] al, int c, float[] x, float[] y, int from, int to) {
        int off = c - from;
        for (int i = from; i < to; i++) {
            float p = Math.min(Math.max(x[i] * P126 * P126, 0f), 1f);
            y[i] = p + (1f - p) * al[i + off];
        }
    }

    /**
     * Branch-free: [x > θ] = min(max((x − θ)·2^252, 0), 1) (x − θ > 0 exactly when x > θ, for finite
     * θ); f = max(x, 0)·[x > θ] for θ ≥ 0 (a θ < 0 takes the plain loop: −0 and x < 0 there).
     */
    private static void thresholded(boolean d, float t, float[] x, float[] y, int from, int to) {
        if (Float.isFinite(t) && (d || t >= 0)) {
            if (d) {
                for (int i = from; i < to; i++) {
                    y[i] = Math.min(Math.max((x[i] - t) * P126 * P126, 0f), 1f);
                }
            } else {
                for (int i = from; i < to; i++) {
                    float v = x[i];
                    y[i] = Math.max(v, 0f) * Math.min(Math.max((v - t) * P126 * P126, 0f), 1f);
                }
            }
            return;
        }
        for (int i = from; i < to; i++) {
            float v = x[i];
            y[i] = v > t ? (d ? 1f : v) : (v != v ? v : 0f);
        }
    }

    private static void noisyRelu(boolean d, double s, long seed, float[] x, float[] y, int from, int to) {
        long key = mix64(seed);
        long pairBits = 0;
        for (int i = from; i < to; i++) {
            if (i == from || (i & 1) == 0) { // each pair drawn once
                pairBits = noisePair(key, i >>> 1);
            }
            float n = Float.intBitsToFloat((int) ((i & 1) == 0 ? pairBits : pairBits >>> 32));
            y[i] = noisyRelu(d, x[i], s, n);
        }
    }

    /** x + s·n in double (the product is exact), then max(0, w) or [w > 0], NaN kept; rounded to float. */
    private static float noisyRelu(boolean d, float x, double s, float n) {
        double w = (double) x + s * (double) n;
        if (d) {
            return (float) (w > 0 ? 1.0 : (w != w ? w : 0.0));
        }
        return (float) (w > 0 ? w : (w != w ? w : 0.0));
    }

    /** x > 0 ? x : α·expm1(x); f′ = x > 0 ? 1 : α·e^x. */
    private static void elu(boolean d, double a, float[] x, float[] y, int from, int to) {
        if (d) {
            for (int i = from; i < to; i++) {
                double v = x[i];
                y[i] = (float) (v > 0 ? 1.0 : a * JavaMath.exp(v));
            }
        } else {
            for (int i = from; i < to; i++) {
                double v = x[i];
                y[i] = (float) (v > 0 ? v : a * JavaMath.expm1(v));
            }
        }
    }

    /** λ·x or λα·expm1(x); f′ = λ or λα·e^x, α and λ in double. */
    private static void selu(boolean d, float[] x, float[] y, int from, int to) {
        if (d) {
            for (int i = from; i < to; i++) {
                double v = x[i];
                y[i] = (float) (v > 0 ? SELU_L : SELU_LA * JavaMath.exp(v));
            }
        } else {
            for (int i = from; i < to; i++) {
                double v = x[i];
                y[i] = (float) (v > 0 ? SELU_L * v : SELU_LA * JavaMath.expm1(v));
            }
        }
    }

    /** x > 0 ? x : α·expm1(x/α); f′ = x > 0 ? 1 : e^(x/α). */
    private static void celu(boolean d, double a, float[] x, float[] y, int from, int to) {
        if (d) {
            for (int i = from; i < to; i++) {
                double v = x[i];
                y[i] = (float) (v > 0 ? 1.0 : JavaMath.exp(v / a));
            }
        } else {
            for (int i = from; i < to; i++) {
                double v = x[i];
                y[i] = (float) (v > 0 ? v : a * JavaMath.expm1(v / a));
            }
        }
    }

    /** max(x,0) + log1p(e^−|βx|)/β; f′ = σ(βx). */
    private static void softplus(boolean d, double b, float[] x, float[] y, int from, int to) {
        if (d) {
            for (int i = from; i < to; i++) {
                y[i] = (float) sig(b * x[i]);
            }
        } else {
            for (int i = from; i < to; i++) {
                double v = x[i];
                double z = b * v;
                y[i] = (float) ((v > 0 ? v : 0.0) + JavaMath.log1pUnit(JavaMath.exp(-Math.abs(z))) / b);
            }
        }
    }

    /** min(x,0) − log1p(e^−|x|); f′ = σ(−x). */
    private static void logSigmoid(boolean d, float[] x, float[] y, int from, int to) {
        if (d) {
            for (int i = from; i < to; i++) {
                y[i] = (float) sig(-(double) x[i]);
            }
        } else {
            for (int i = from; i < to; i++) {
                double v = x[i];
                y[i] = (float) ((v < 0 ? v : 0.0) - JavaMath.log1pUnit(JavaMath.exp(-Math.abs(v))));
            }
        }
    }

    // Elements per block of gelu (its scratch arrays: three of them, 48 KiB in all, for gelu′)
    private static final int GELU_BLOCK = 2048;

    /**
     * gelu = x·Φ(x) and gelu′ = Φ(x) + x·φ(x), blocked through double scratch arrays like
     * {@link #sigmoidBlocked}: the conversion in, short branch-free passes that C2 vectorises (one
     * loop body with all of {@link #geluCdf}'s operations is too large for C2 to unroll, and it then
     * does not vectorise it either: about 8 times slower), the conversion out. The
     * passes perform {@link #geluCdf}'s operations in its order: t, t·Q(t), times e, then the
     * select-free end ({@link #geluOf}; for gelu′ {@link #geluDOf} with φ(x) = e·[x²/2 < ∞]/√(2π)
     * from the same e = e^−min(x²/2, 110)). The passes are {@link #geluRows}'s, here on one row.
     */
    private static void gelu(boolean d, float[] x, float[] y, int from, int to) {
        geluRows(d, x, y, from, 1, to - from, to - from);
    }

    /** {@link #gelu} on {@code rows} rows of {@code w} elements, row r at {@code off + r·stride} of x and y ({@link Rows}). */
    private static void geluRows(boolean d, float[] x, float[] y, int off, int rows, int w, int stride) {
        long total = (long) rows * w;
        int n = (int) Math.min(GELU_BLOCK, total);
        double[] v = new double[n];
        double[] u = new double[n];
        double[] e2 = d ? new double[n] : null;
        Rows in = new Rows(off, w, stride);
        Rows out = new Rows(off, w, stride);
        for (long k = 0; k < total; k += GELU_BLOCK) {
            int m = (int) Math.min(GELU_BLOCK, total - k);
            in.gather(x, v, m);
            for (int i = 0; i < m; i++) {
                u[i] = 6.0 / (6.0 + Math.abs(v[i]));
            }
            for (int i = 0; i < m; i++) {
                double t = u[i];
                u[i] = t * geluQ(t);
            }
            if (d) {
                for (int i = 0; i < m; i++) {
                    double vi = v[i];
                    e2[i] = expNegSq(Math.min(0.5 * (vi * vi), 110.0));
                }
                for (int i = 0; i < m; i++) {
                    double vi = v[i];
                    double e = e2[i];
                    u[i] = u[i] * e;
                    e2[i] = e * geluMask(0.5 * (vi * vi)) * INV_SQRT2PI;
                }
                for (int i = 0; i < m; i++) {
                    v[i] = geluDOf(v[i], u[i], e2[i]);
                }
            } else {
                for (int i = 0; i < m; i++) {
                    double vi = v[i];
                    u[i] = u[i] * expNegSq(Math.min(0.5 * (vi * vi), 110.0));
                }
                for (int i = 0; i < m; i++) {
                    v[i] = geluOf(v[i], u[i]);
                }
            }
            out.scatter(v, m, y);
        }
    }

    /**
     * The forward activation in place on a block of {@code rows} rows of {@code w} elements of
     * {@code y}, row r at {@code off + r·stride}: {@code elementwise(f, false, y, y, row start, row end)}
     * row by row, except gelu, which gathers the rows into its long vectorised passes (the dense
     * layer's task blocks have rows of 256: gelu row by row ran at about half its speed per element,
     * C2's scalar pre- and post-loops of its six passes taking a large share of each short row);
     * sigmoid likewise (row by row the fused layer ran 7 % slower than dense + sigmoid pass at
     * 256 x 1024 x 1024, 21 % at K = 64); hard_sigmoid and hard_swish gather whole rows into a buffer.
     */
    public static void elementwiseRows(ActivationFunction f, float[] y, int off, int rows, int w, int stride) {
        if (off < 0 || rows < 0 || w < 0 || stride < w
                || (rows > 0 && w > 0 && off + (long) (rows - 1) * stride + w > y.length)) {
            throw new IllegalArgumentException("elementwiseRows: " + rows + " rows of " + w + " at " + off
                    + " with stride " + stride + " outside an array of " + y.length);
        }
        if (rows == 0 || w == 0) {
            return;
        }
        Activation a = f.activation();
        if (a == Activation.GELU) {
            geluRows(false, y, y, off, rows, w, stride);
            return;
        }
        if (a == Activation.SIGMOID) {
            sigmoidRows(false, y, y, off, rows, w, stride);
            return;
        }
        if (w < GATHER && (a == Activation.HARD_SIGMOID || a == Activation.HARD_SWISH)) {
            // their short block passes (the value does not depend on the index) over whole rows copied
            // into one buffer, then copied back: one call per 4096 floats rather than per row (row by
            // row the fused layer ran 12-14 % slower than dense + the pass at 256 x 1024 x 64)
            int per = GATHER / w;
            float[] buf = new float[Math.min(per, rows) * w];
            for (int r0 = 0; r0 < rows; r0 += per) {
                int cnt = Math.min(per, rows - r0);
                for (int i = 0; i < cnt; i++) {
                    System.arraycopy(y, off + (r0 + i) * stride, buf, i * w, w);
                }
                elementwise(f, false, buf, buf, 0, cnt * w);
                for (int i = 0; i < cnt; i++) {
                    System.arraycopy(buf, i * w, y, off + (r0 + i) * stride, w);
                }
            }
            return;
        }
        for (int r = 0; r < rows; r++) {
            int s = off + r * stride;
            elementwise(f, false, y, y, s, s + w);
        }
    }

    /** Floats gathered per call by {@link #elementwiseRows} for hard_sigmoid and hard_swish. */
    private static final int GATHER = 4096;

    /**
     * Φ(v), the standard normal distribution, for v a float's value, with the operations of
     * {@link #geluRows}'s passes: q = Φ(−|v|) = t·Q(t)·e, t = 6/(6+|v|), e = e^−min(v²/2, 110)
     * ({@link #expNegSq}; v²/2 is exact in double for a float v), then {@link #cdfOf}.
     * Relative error of q below 5e-14 for |v| ≤ √220 (4.5e-14 measured against mpmath;
     * GeluCdfTest): {@link #geluQ}'s 3.3e-15 plus expNegSq's (its squarings). Beyond, q ≤ e^−110
     * (the true value is smaller still), which only ever meets float's 0 or 1.
     */
    static double geluCdf(double v) {
        double t = 6.0 / (6.0 + Math.abs(v));
        double q = t * geluQ(t) * expNegSq(Math.min(0.5 * (v * v), 110.0));
        return cdfOf(v, q);
    }

    /**
     * Φ(v) from q = Φ(−|v|): max(q, [v > 0] − q), i.e. q for v ≤ 0 and 1 − q for v > 0 (where q < ½),
     * with the step [v > 0] = min(max(v·2^1000, 0), 1) (no select, so that C2 vectorises it); NaN
     * propagates. At v = ±∞, t = 0 and q = 0: Φ = 1 and 0 exactly.
     */
    static double cdfOf(double v, double q) {
        return Math.max(q, Math.min(Math.max(v * 0x1.0p1000, 0.0), 1.0) - q);
    }

    /**
     * gelu(v) = v·Φ(v) from q = Φ(−|v|), without selects: v is clamped to −Double.MAX_VALUE, so
     * gelu(−∞) = (−Double.MAX_VALUE·0 = −0) + (+0) = +0 (as {@link #fix0} gave before); every other v
     * adds −0, which changes nothing (gelu(−0) = −0); gelu(+∞) = +∞; NaN propagates.
     */
    static double geluOf(double v, double q) {
        // +0 at v = −∞, −0 for every other v (NaN for NaN)
        double z = Math.max(Math.min(v, -Double.MAX_VALUE) + Double.MAX_VALUE, -1.0) * -0.0;
        return Math.max(v, -Double.MAX_VALUE) * cdfOf(v, q) + z;
    }

    /** [h < +∞] = min(max(Double.MAX_VALUE − h, 0), 1) for h = v²/2 ≤ 5.8e76: φ's mask (NaN for NaN). */
    static double geluMask(double h) {
        return Math.min(Math.max(Double.MAX_VALUE - h, 0.0), 1.0);
    }

    /**
     * gelu′(v) = Φ(v) + v·φ(v) = fma(v, φ, Φ) from q = Φ(−|v|) and φ = e·[v²/2 < ∞]/√(2π), with v
     * clamped to [−15, 15]: beyond v²/2 ≥ 110 (|v| ≥ 14.83) e is clamped at e^−110 and v·φ would
     * grow with |v|; clamped, |v·φ| ≤ 15·e^−110/√(2π) = 1.0e-47, far below half of float's smallest
     * subnormal, with the exact value's sign: gelu′(v) rounds to −0 for v ≤ −14.83, as the exact
     * value does, and to 1 for v ≥ 14.83. At ±∞ the mask makes φ = 0: gelu′(+∞) = 1,
     * gelu′(−∞) = −15·0 + 0 = +0, as before.
     */
    static double geluDOf(double v, double q, double phi) {
        return Math.fma(Math.max(Math.min(v, 15.0), -15.0), phi, cdfOf(v, q));
    }

    /**
     * Q(t) = Φ(−a)·e^(a²/2)/t for a = 6(1 − t)/t ≥ 0, t = 6/(6+a) in [6/(6+√220), 1] = [0.288, 1]: the
     * degree-17 interpolant at the Chebyshev nodes in s = t − 0.64, as monomial coefficients rounded to
     * double, by fma Horner (scripts/fit-gelu.py: relative error of t·Q(t), t rounded as here, below
     * 3.3e-15; Q is smooth down to t = 0, a = ∞, and bounded below t = 0.288, where only q ≤ e^−110
     * depends on it). Mirrored by {@code soma_gelu_q} in the prelude.
     */
    static double geluQ(double t) {
        double s = t - 0.64;
        double p = Math.fma(0x1.ca618e869c0d0p-9, s, -0x1.1003b33f51a19p-7);
        p = Math.fma(p, s, -0x1.a42e34ff4df12p-7);
        p = Math.fma(p, s, 0x1.1f388a6fa9f42p-6);
        p = Math.fma(p, s, 0x1.5d4a0e4fba290p-5);
        p = Math.fma(p, s, -0x1.b88382e201462p-8);
        p = Math.fma(p, s, -0x1.dccba4828fd60p-4);
        p = Math.fma(p, s, -0x1.1e3643fc539f7p-3);
        p = Math.fma(p, s, 0x1.924daa6603401p-4);
        p = Math.fma(p, s, 0x1.40853172e2fc6p-1);
        p = Math.fma(p, s, 0x1.42c5cea5ad94ap+0);
        p = Math.fma(p, s, 0x1.b99b50d921d5cp+0);
        p = Math.fma(p, s, 0x1.d59496aa35215p+0);
        p = Math.fma(p, s, 0x1.98b7a62041fb2p+0);
        p = Math.fma(p, s, 0x1.2a7b44bd404c4p+0);
        p = Math.fma(p, s, 0x1.7225adb5d96e1p-1);
        p = Math.fma(p, s, 0x1.87337353c2e4fp-2);
        p = Math.fma(p, s, 0x1.5f53b2dbee0b1p-3);
        return p;
    }

    /**
     * x·σ(2u), u = √(2/π)·x·(1 + 0.044715x²) (= ½x(1+tanh u)); f′ = s + 2x·u′·s(1−s) with
     * s(1−s) = t/(1+t)², t = e^−2|u|, u′ = √(2/π)(1 + 3·0.044715x²); 0/1 beyond |x| > 1e4.
     */
    private static void geluTanh(boolean d, float[] x, float[] y, int from, int to) {
        if (d) {
            for (int i = from; i < to; i++) {
                double v = x[i];
                double r;
                if (Math.abs(v) > 1e4) {
                    r = v > 0 ? 1.0 : 0.0;
                } else {
                    double x2 = v * v;
                    double z = 2.0 * (GELU_C * v * (1.0 + GELU_K * x2));
                    double t = JavaMath.exp(-Math.abs(z));
                    double w = 1.0 + t;
                    double nw = (z >= 0 ? 1.0 : t) * w;
                    double du = GELU_C * (1.0 + GELU_K3 * x2);
                    r = (nw + 2.0 * v * du * t) / (w * w); // one division, as the kernel
                }
                y[i] = (float) r;
            }
        } else {
            for (int i = from; i < to; i++) {
                double v = x[i];
                double x2 = v * v;
                double z = 2.0 * (GELU_C * v * (1.0 + GELU_K * x2));
                y[i] = (float) fix0(v * sig(z), v);
            }
        }
    }

    /** x·σ(βx); f′ = σ(βx)(1 + βx·σ(−βx)), 1 / 0 at βx = ±∞. */
    private static void silu(boolean d, double b, float[] x, float[] y, int from, int to) {
        if (d) {
            for (int i = from; i < to; i++) {
                double v = x[i];
                double z = fix0(b * v, v);
                double r;
                if (Double.isInfinite(z)) {
                    r = z > 0 ? 1.0 : 0.0;
                } else {
                    double t = JavaMath.exp(-Math.abs(z));
                    double w = 1.0 + t;
                    double s = (z >= 0 ? 1.0 : t) / w;
                    double sm = (z >= 0 ? t : 1.0) / w;
                    r = s * (1.0 + z * sm);
                }
                y[i] = (float) r;
            }
        } else {
            for (int i = from; i < to; i++) {
                double v = x[i];
                double z = fix0(b * v, v);
                y[i] = (float) fix0(v * sig(z), v);
            }
        }
    }

    /**
     * x·T, T = tanh(softplus x) from one exponential: x ≤ 0: e = e^x, n = e(e+2), T = n/(n+2);
     * x > 0: t = e^−x, T = (1+2t)/(1+2t+2t²). f′ = T + x·σ(x)(1−T²), written without cancellation:
     * x ≤ 0: T + 4x·e(1+e)/(n+2)²; x > 0: T + 4x·t²(1+t)/(1+2t+2t²)².
     */
    private static void mish(boolean d, float[] x, float[] y, int from, int to) {
        for (int i = from; i < to; i++) {
            double v = x[i];
            double r;
            if (d && Double.isInfinite(v)) {
                r = v > 0 ? 1.0 : 0.0;
            } else if (v <= 0) {
                double e = JavaMath.exp(v);
                double m = e * (e + 2.0);
                double q = m + 2.0;
                double tt = m / q;
                r = d ? tt + 4.0 * (v * e) * (1.0 + e) / (q * q) : fix0(v * tt, v);
            } else {
                double t = JavaMath.exp(-v);
                double a = 1.0 + 2.0 * t;
                double q = a + 2.0 * t * t;
                double tt = a / q;
                r = d ? tt + 4.0 * (v * (t * t)) * (1.0 + t) / (q * q) : v * tt;
            }
            y[i] = (float) r;
        }
    }

    /** x ≤ −3: 0; x ≥ 3: x; else x(x+3)/6. f′: x < −3: 0; x > 3: 1; else (2x+3)/6. */
    private static void hardSwish(boolean d, float[] x, float[] y, int from, int to) {
        // w·(1/6) instead of w/6: w = 2x+3 or x(x+3) is exact in double (at most 49 bits), so w/6 is
        // never within 20 double ulps of a float rounding boundary unless it lies on one, where w·(1/6)
        // is exact too (1/6 rounds 2^-54 relatively low): the same float as the division
        // Branch-free (vectorised) forms of the selects above, blocked like hardSigmoid (conversions in
        // loops of their own), the same floats: steps [z > 0] = min(max(z·2^1000, 0), 1) (v ± 3 is 0 or
        // at least 2^−22 for float v). f′ = (2u+3)/6·(1 − [v < −3] − [v > 3]) + [v > 3], u = v clamped
        // to [−3, 3] (no ∞·0). f = v′·min(v′+3, 6)/6 + m, v′ = max(v, −3): v·6·(1/6) rounds to float v
        // above 3; m = ([v > −3] − 1)·(−0) is +0 where v ≤ −3 (turns −3·0 = −0 into +0), else −0 (adds
        // nothing, f(−0) = −0 stays). NaN propagates through every step.
        double[] w = new double[BLOCK];
        for (int s = from; s < to; s += BLOCK) {
            int m = Math.min(BLOCK, to - s);
            for (int i = 0; i < m; i++) {
                w[i] = x[s + i];
            }
            if (d) {
                for (int i = 0; i < m; i++) {
                    double v = w[i];
                    double u = Math.min(Math.max(v, -3.0), 3.0);
                    double lo = Math.min(Math.max((v + 3.0) * -0x1.0p1000, 0.0), 1.0);
                    double hi = Math.min(Math.max((v - 3.0) * 0x1.0p1000, 0.0), 1.0);
                    w[i] = (2.0 * u + 3.0) * SIXTH * ((1.0 - lo) - hi) + hi;
                }
            } else {
                for (int i = 0; i < m; i++) {
                    double v = Math.max(w[i], -3.0);
                    double k = Math.min(Math.max((v + 3.0) * 0x1.0p1000, 0.0), 1.0);
                    w[i] = v * Math.min(v + 3.0, 6.0) * SIXTH + (k - 1.0) * -0.0;
                }
            }
            for (int i = 0; i < m; i++) {
                y[s + i] = (float) w[i];
            }
        }
    }

    private static final double SIXTH = 0x1.5555555555555p-3;

    // ------------------------------------------------------------------ noise

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    /** SplitMix64's finaliser. */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Noisy ReLU's n ~ N(0,1) for ({@code seed}, {@code index}): bit-identical to the kernel's
     * {@code soma_noise} at either precision. Box–Muller over pairs: elements 2P and 2P+1 take the
     * two normals of pair P ({@link #noisePair}).
     */
    public static float noise(long seed, long index) {
        long pair = noisePair(mix64(seed), index >>> 1);
        return Float.intBitsToFloat((int) ((index & 1) == 0 ? pair : pair >>> 32));
    }

    /**
     * The two normals of pair {@code pair} under {@code key = mix64(seed)}, as float bits: the first in
     * the low 32 bits, the second in the high 32. The same operations, in the same order and with the
     * same float literals, as {@code soma_noise_pair}: z = mix64(key + (pair+1)·φ64), SplitMix64's
     * output {@code pair} from state key (the +1 keeps seed 0's first pair off z = 0); radius r = √(−2 log u),
     * u = (z>>>41 + ½)·2^−23 in (0,1) (exact in float), log by {@link #noiseLog}; angle g = ((low 21
     * bits of z) + ½)·2^−21 (exact), (c, s) = (cos, sin)(g·π/4) by polynomials in g² fitted by
     * {@code scripts/fit-noise.py}; bit 21 of z swaps c and s, bits 22 and 23 flip the signs of the
     * first and second normal: the angle is uniform over the circle's eight octants. Measured on every
     * grid point against double: r 1.46 ulp, s 1.68, c 1.00 ({@code BoxMullerTest}).
     */
    static long noisePair(long key, long pair) {
        long z = mix64(key + (pair + 1) * GOLDEN);
        float u = ((float) (int) (z >>> 41) + 0.5f) * 0x1.0p-23f;
        int lo = (int) z;
        float g = ((float) (lo & 0x1fffff) + 0.5f) * 0x1.0p-21f;
        float r = noiseRadius(u);
        float g2 = g * g;
        float s = g * noiseSinPoly(g2);
        float c = noiseCos(g2);
        boolean swap = ((lo >>> 21) & 1) != 0;
        float a = swap ? s : c;
        float b = swap ? c : s;
        int n0 = Float.floatToRawIntBits(r * a) ^ ((lo << 9) & 0x80000000);
        int n1 = Float.floatToRawIntBits(r * b) ^ ((lo << 8) & 0x80000000);
        return (n0 & 0xffffffffL) | ((long) n1 << 32);
    }

    /** √(−2 log u) in float (correctly rounded square root: the float root of a float through double is). */
    static float noiseRadius(float u) {
        return (float) Math.sqrt(-2.0f * noiseLog(u));
    }

    /** sin(g·π/4)/g as a polynomial in g² (g in (0, 1)). */
    static float noiseSinPoly(float g2) {
        return Math.fma(Math.fma(Math.fma(Math.fma(0x1.4bc2c0p-22f, g2, -0x1.32ca86p-15f), g2, 0x1.466bbap-9f), g2,
                -0x1.4abbcep-4f), g2, 0x1.921fb6p-1f);
    }

    /** cos(g·π/4) = 1 + g²·B(g²) (g in (0, 1)). */
    static float noiseCos(float g2) {
        return Math.fma(g2, Math.fma(Math.fma(Math.fma(Math.fma(-0x1.a1e5bep-26f, g2, 0x1.e1ec68p-19f), g2,
                -0x1.55d3c2p-12f), g2, 0x1.03c1f0p-6f), g2, -0x1.3bd3ccp-2f), 1.0f);
    }

    /** log of t in (0, 1] (a positive normal float) in float arithmetic: the operations of {@code soma_noise_log}. */
    static float noiseLog(float t) {
        int bits = Float.floatToRawIntBits(t);
        int e = ((bits >> 23) & 0xff) - 127;
        float m = Float.intBitsToFloat((bits & 0x7fffff) | 0x3f800000);
        boolean big = m > 0x1.6a09e6p0f;
        m = big ? m * 0.5f : m;
        e = big ? e + 1 : e;
        float f = (m - 1.0f) / (m + 1.0f);
        float s = f * f;
        float p = Math.fma(Math.fma(Math.fma(Math.fma(0x1.745d18p-4f, s, 0x1.c71c72p-4f), s, 0x1.24924ap-3f), s,
                0x1.99999ap-3f), s, 0x1.555556p-2f);
        float f2 = 2.0f * f;
        float lm = Math.fma(f2, s * p, f2);
        float ef = (float) e;
        return Math.fma(ef, 0x1.62e4p-1f, Math.fma(ef, 0x1.7f7d1cp-20f, lm));
    }

    // ------------------------------------------------------------------ softmax

    /**
     * Softmax (or log-softmax) of rows [rowStart, rowEnd) of a row-major ?×cols matrix: subtract the
     * row max m; count the entries equal to m (cnt) and sum e^(x−m) over the others (rest) in double;
     * y = e^(x−m)·(1/(cnt+rest)) or (x−m) − lse, lse = log1p(rest) when cnt = 1 (so a dominant entry
     * keeps full relative accuracy), else log(cnt+rest). A NaN anywhere makes
     * the row NaN; k entries of +∞ give 1/k there and 0 elsewhere (log: −log k and −∞); an all −∞
     * row gives zeros (log: −∞).
     *
     * @param x not modified (unless it is {@code y})
     * @param y modified; may be {@code x}
     */
    public static void softmaxRows(float[] x, float[] y, int rowStart, int rowEnd, int cols, boolean log) {
        double[] d = new double[cols];
        double[] e = new double[cols];
        int[] at = new int[2];
        for (int row = rowStart; row < rowEnd; row++) {
            int o = row * cols;
            if (cols == 0) {
                return;
            }
            double md = rowMaxInto(x, o, cols, d, at);
            float m = (float) md;
            if (m != m) {
                java.util.Arrays.fill(y, o, o + cols, Float.NaN);
            } else if (m == Float.POSITIVE_INFINITY) {
                int k = 0;
                for (int j = 0; j < cols; j++) {
                    k += x[o + j] == Float.POSITIVE_INFINITY ? 1 : 0;
                }
                float in = log ? (float) (0.0 - JavaMath.log(k)) : (float) (1.0 / k);
                float out = log ? Float.NEGATIVE_INFINITY : 0f;
                for (int j = 0; j < cols; j++) {
                    y[o + j] = x[o + j] == Float.POSITIVE_INFINITY ? in : out;
                }
            } else if (m == Float.NEGATIVE_INFINITY) {
                java.util.Arrays.fill(y, o, o + cols, log ? Float.NEGATIVE_INFINITY : 0f);
            } else {
                // d = m − x ≥ 0 (exact in double), e = e^−d by the polynomial the kernels use
                // (vectorisable: doubles only), then the sum over d ≠ 0 in four interleaved chains,
                // the order of softmax.cl's split kernels, so both paths give the same bits
                for (int j = 0; j < cols; j++) {
                    double dj = md - d[j];
                    d[j] = dj;
                    e[j] = expNegSq(Math.min(dj, 110.0));
                }
                // the entries at the max (d = 0, e = 1) are added as 0 instead of skipped, which gives the
                // same sums without a test per element, then restored: the one at[1] when it is alone,
                // else every d = 0
                int cnt = at[0];
                maxTerms(e, d, at, 0.0);
                double rest = sumChains(e, cols);
                maxTerms(e, d, at, 1.0);
                if (log) {
                    double lse = cnt == 1 ? JavaMath.log1p(rest) : JavaMath.log((double) cnt + rest);
                    for (int k = 0; k < cols; k++) {
                        y[o + k] = (float) (-d[k] - lse);
                    }
                } else {
                    double inv = 1.0 / ((double) cnt + rest);
                    for (int k = 0; k < cols; k++) {
                        y[o + k] = (float) (e[k] * inv);
                    }
                }
            }
        }
    }

    /**
     * max of x[o, o + n) with Math.max's rules (NaN wins, +0 above −0; −∞ when empty), and x[o, o + n)
     * converted into d; at[0] = how many entries equal the max, at[1] = the index of one of them
     * (meaningful when at[0] = 1 and the max is finite). One scalar pass in four chains with a
     * test per element that is nearly always false (a new chain maximum, a tie or a NaN): about twice
     * as fast as a Math.max reduction followed by a separate conversion pass (JDK 17).
     */
    private static double rowMaxInto(float[] x, int o, int n, double[] d, int[] at) {
        double m0 = Double.NEGATIVE_INFINITY, m1 = m0, m2 = m0, m3 = m0;
        int c0 = 0, c1 = 0, c2 = 0, c3 = 0;
        int i0 = -1, i1 = -1, i2 = -1, i3 = -1;
        boolean nan = false;
        int n4 = n & ~3;
        for (int j = 0; j < n4; j += 4) {
            double a0 = x[o + j], a1 = x[o + j + 1], a2 = x[o + j + 2], a3 = x[o + j + 3];
            d[j] = a0;
            d[j + 1] = a1;
            d[j + 2] = a2;
            d[j + 3] = a3;
            if (!(a0 < m0)) {
                if (a0 > m0) {
                    m0 = a0;
                    c0 = 1;
                    i0 = j;
                } else if (a0 == m0) {
                    m0 = Math.max(m0, a0); // +0 above −0
                    c0++;
                } else {
                    nan = true;
                }
            }
            if (!(a1 < m1)) {
                if (a1 > m1) {
                    m1 = a1;
                    c1 = 1;
                    i1 = j + 1;
                } else if (a1 == m1) {
                    m1 = Math.max(m1, a1);
                    c1++;
                } else {
                    nan = true;
                }
            }
            if (!(a2 < m2)) {
                if (a2 > m2) {
                    m2 = a2;
                    c2 = 1;
                    i2 = j + 2;
                } else if (a2 == m2) {
                    m2 = Math.max(m2, a2);
                    c2++;
                } else {
                    nan = true;
                }
            }
            if (!(a3 < m3)) {
                if (a3 > m3) {
                    m3 = a3;
                    c3 = 1;
                    i3 = j + 3;
                } else if (a3 == m3) {
                    m3 = Math.max(m3, a3);
                    c3++;
                } else {
                    nan = true;
                }
            }
        }
        for (int j = n4; j < n; j++) {
            double a0 = x[o + j];
            d[j] = a0;
            if (!(a0 < m0)) {
                if (a0 > m0) {
                    m0 = a0;
                    c0 = 1;
                    i0 = j;
                } else if (a0 == m0) {
                    m0 = Math.max(m0, a0);
                    c0++;
                } else {
                    nan = true;
                }
            }
        }
        double m = Math.max(Math.max(m0, m1), Math.max(m2, m3));
        int cnt = 0;
        int idx = -1;
        if (m0 == m) {
            cnt += c0;
            idx = i0;
        }
        if (m1 == m) {
            cnt += c1;
            idx = i1;
        }
        if (m2 == m) {
            cnt += c2;
            idx = i2;
        }
        if (m3 == m) {
            cnt += c3;
            idx = i3;
        }
        at[0] = cnt;
        at[1] = idx;
        return nan ? Double.NaN : m;
    }

    /** Sets e at the row's maximum entries (d = 0; at from {@link #rowMaxInto}) to {@code v}. */
    private static void maxTerms(double[] e, double[] d, int[] at, double v) {
        if (at[0] == 1) {
            e[at[1]] = v;
        } else {
            for (int j = 0; j < d.length; j++) {
                if (d[j] == 0) {
                    e[j] = v;
                }
            }
        }
    }

    /** Σ e[0, n) in four interleaved chains (element j into chain j mod 4), summed (r0 + r1) + (r2 + r3). */
    private static double sumChains(double[] e, int n) {
        double r0 = 0, r1 = 0, r2 = 0, r3 = 0;
        int j = 0;
        for (; j + 4 <= n; j += 4) {
            r0 += e[j];
            r1 += e[j + 1];
            r2 += e[j + 2];
            r3 += e[j + 3];
        }
        for (; j < n; j++) {
            if ((j & 3) == 0) {
                r0 += e[j];
            } else if ((j & 3) == 1) {
                r1 += e[j];
            } else {
                r2 += e[j];
            }
        }
        return (r0 + r1) + (r2 + r3);
    }

    /**
     * Backward of {@link #softmaxRows}: softmax dx = y(dy − Σ dy·y); log-softmax dx = dy − e^y·Σ dy,
     * sums in double.
     *
     * @param y the forward output, not modified
     * @param dy not modified (unless it is {@code dx})
     * @param dx modified; may be {@code dy}
     */
    public static void softmaxBackwardRows(float[] y, float[] dy, float[] dx, int rowStart, int rowEnd, int cols,
                                           boolean log) {
        for (int row = rowStart; row < rowEnd; row++) {
            int o = row * cols;
            double s = 0.0;
            if (log) {
                for (int j = 0; j < cols; j++) {
                    s += dy[o + j];
                }
                for (int j = 0; j < cols; j++) {
                    dx[o + j] = (float) ((double) dy[o + j] - JavaMath.exp(y[o + j]) * s);
                }
            } else {
                for (int j = 0; j < cols; j++) {
                    s += (double) dy[o + j] * (double) y[o + j];
                }
                for (int j = 0; j < cols; j++) {
                    dx[o + j] = (float) ((double) y[o + j] * ((double) dy[o + j] - s));
                }
            }
        }
    }
}
