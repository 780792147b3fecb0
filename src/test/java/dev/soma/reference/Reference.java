package dev.soma.reference;

import dev.soma.Activation;
import dev.soma.ActivationFunction;
import dev.soma.cpu.JavaKernels;

import org.apache.commons.math3.analysis.differentiation.DerivativeStructure;
import org.apache.commons.math3.analysis.function.Atan;
import org.apache.commons.math3.analysis.function.Sigmoid;
import org.apache.commons.math3.analysis.function.Tanh;
import org.apache.commons.math3.special.Erf;
import org.apache.commons.math3.util.FastMath;

/**
 * The double-precision reference for every function of the catalogue
 * ({@code shared/design/ACTIVATIONS.md}), forward and derivative, built from Apache Commons Math.
 *
 * <p>Every formula here is the numerically sound one: no cancellation where the float result is
 * small (gelu through erfc for x ≪ 0, softplus/log_sigmoid through log1p(e^−|x|), σ′ as σ(x)σ(−x),
 * 1 − tanh² as 4e^−2|y|/(1+e^−2|y|)²), so the reference's relative error is a few double ULPs,
 * about 2^−29 of a float ULP, everywhere on the grid (checked by {@code ReferenceSelfTest}). The
 * catalogue's special values are explicit branches: NaN in gives NaN out (forward and derivative),
 * ±∞ gives the mathematical limit. Parameters are read as float32 ({@link ActivationFunction#param})
 * and used as doubles, exactly what the kernels receive.
 *
 * <p>The derivative formulas are the closed forms of the catalogue; {@link #derivativeByDs} evaluates
 * the plain forward formula with a {@link DerivativeStructure} (automatic differentiation), and the
 * self-test checks that the two agree wherever the plain formula is itself well conditioned. At a
 * kink the derivative follows PyTorch's autograd convention (the catalogue's "x > 0 ?" forms).
 */
public final class Reference {

    private static final Sigmoid SIGMOID = new Sigmoid();
    private static final Tanh TANH = new Tanh();
    private static final Atan ATAN = new Atan();
    private static final double SQRT1_2 = FastMath.sqrt(0.5);
    private static final double TWO_OVER_SQRT_PI = 2 / FastMath.sqrt(FastMath.PI);
    private static final double INV_SQRT_2PI = 1 / FastMath.sqrt(2 * FastMath.PI);
    private static final double SQRT_2_OVER_PI = FastMath.sqrt(2 / FastMath.PI);
    private static final double GELU_TANH_C = 0.044715;

    private Reference() {
    }

    // ---------------------------------------------------------------- element-wise, arrays

    /**
     * f(x[i]) for every i, element {@code i} having flat index {@code i} (PReLU's column is
     * {@code i % slopes.length}, noisy ReLU's noise counter is {@code i}).
     *
     * @param x not modified
     */
    public static double[] forward(ActivationFunction f, float[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = forward(f, x[i], i);
        }
        return y;
    }

    /** f′(x[i]) for every i; see {@link #forward(ActivationFunction, float[])}. @param x not modified */
    public static double[] derivative(ActivationFunction f, float[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = derivative(f, x[i], i);
        }
        return y;
    }

    /** f′(x) or f(x). */
    public static double eval(ActivationFunction f, boolean derivative, double x, long index) {
        return derivative ? derivative(f, x, index) : forward(f, x, index);
    }

    // ---------------------------------------------------------------- element-wise, forward

    /** f(x) in double; {@code index} is the flat element index (PReLU column, noisy-ReLU counter). */
    public static double forward(ActivationFunction f, double x, long index) {
        if (Double.isNaN(x)) {
            return Double.NaN;
        }
        Activation a = f.activation();
        switch (a) {
            case IDENTITY:
                return x;
            case BINARY_STEP:
                return x >= 0 ? 1 : 0;
            case SIGMOID:
                return sigmoid(x);
            case GENERALIZED_LOGISTIC: {
                // (1+e^−x)^−α = exp(−α·softplus(−x)); softplus never overflows
                double alpha = f.param(0);
                return FastMath.exp(-alpha * softplus(-x));
            }
            case TANH:
                return x == 0 ? x : TANH.value(x);
            case ARCTAN:
                return x == 0 ? x : ATAN.value(x);
            case GUDERMANNIAN:
                return x == 0 ? x : 2 * ATAN.value(TANH.value(x / 2));
            case ERF:
                return x == 0 ? x : Erf.erf(x);
            case ALGEBRAIC_SIGMOID:
                if (Math.abs(x) > 1e150) {
                    return Math.signum(x); // x² would overflow; x/√(1+x²) = ±1 to double precision
                }
                return x / FastMath.sqrt(1 + x * x);
            case SOFTSIGN:
                if (Double.isInfinite(x)) {
                    return Math.signum(x);
                }
                return x / (1 + Math.abs(x));
            case HARD_SIGMOID: {
                double t = f.param(0) * x + f.param(1);
                return t <= 0 ? 0 : t >= 1 ? 1 : t;
            }
            case RELU:
                return x > 0 ? x : 0.0; // relu(−0) = +0
            case RELU6:
                return x > 0 ? Math.min(x, 6) : 0.0;
            case LEAKY_RELU:
                return x >= 0 ? x : leak(f.param(0), x);
            case PRELU:
                return x >= 0 ? x : leak(slope(f, index), x);
            case THRESHOLDED_RELU:
                return x > f.param(0) ? x : 0.0;
            case NOISY_RELU: {
                double t = noisyArgument(f, x, index);
                return t > 0 ? t : 0.0;
            }
            case ELU: {
                double alpha = f.param(0);
                return x > 0 ? x : alpha * FastMath.expm1(x);
            }
            case SELU:
                return x > 0 ? Activation.SELU_LAMBDA * x
                        : Activation.SELU_LAMBDA * Activation.SELU_ALPHA * FastMath.expm1(x);
            case CELU: {
                double alpha = f.param(0);
                return x > 0 ? x : alpha * FastMath.expm1(x / alpha);
            }
            case SOFTPLUS: {
                double beta = f.param(0);
                return softplusBeta(x, beta);
            }
            case LOG_SIGMOID:
                return -softplus(-x);
            case GELU:
                return gelu(x);
            case GELU_TANH:
                return geluTanh(x);
            case SILU:
                return silu(x, f.param(0));
            case MISH:
                return mish(x);
            case HARD_SWISH:
                if (x <= -3) {
                    return 0.0;
                }
                if (x >= 3) {
                    return x;
                }
                return x * (x + 3) / 6;
            default:
                throw new AssertionError(a);
        }
    }

    // ---------------------------------------------------------------- element-wise, derivative

    /** f′(x) in double (PyTorch's convention at kinks); see {@link #forward(ActivationFunction, double, long)}. */
    public static double derivative(ActivationFunction f, double x, long index) {
        if (Double.isNaN(x)) {
            return Double.NaN;
        }
        Activation a = f.activation();
        switch (a) {
            case IDENTITY:
                return 1;
            case BINARY_STEP:
                return 0;
            case SIGMOID:
                return sigmoidDerivative(x);
            case GENERALIZED_LOGISTIC: {
                double alpha = f.param(0);
                return alpha * FastMath.exp(-alpha * softplus(-x)) * sigmoid(-x);
            }
            case TANH:
                return sech2(x);
            case ARCTAN:
                return 1 / (1 + x * x);
            case GUDERMANNIAN:
                return 1 / FastMath.cosh(x);
            case ERF:
                return TWO_OVER_SQRT_PI * FastMath.exp(-x * x);
            case ALGEBRAIC_SIGMOID: {
                if (Math.abs(x) > 1e100) {
                    return 0; // (1+x²)^−3/2 < 1e−300
                }
                double q = 1 + x * x;
                return 1 / (q * FastMath.sqrt(q));
            }
            case SOFTSIGN: {
                double q = 1 + Math.abs(x);
                return 1 / (q * q);
            }
            case HARD_SIGMOID: {
                double t = f.param(0) * x + f.param(1);
                return t > 0 && t < 1 ? f.param(0) : 0;
            }
            case RELU:
                return x > 0 ? 1 : 0;
            case RELU6:
                return x > 0 && x < 6 ? 1 : 0;
            case LEAKY_RELU:
                return x > 0 ? 1 : f.param(0);
            case PRELU:
                return x > 0 ? 1 : slope(f, index);
            case THRESHOLDED_RELU:
                return x > f.param(0) ? 1 : 0;
            case NOISY_RELU:
                return noisyArgument(f, x, index) > 0 ? 1 : 0;
            case ELU:
                return x > 0 ? 1 : f.param(0) * FastMath.exp(x);
            case SELU:
                return x > 0 ? Activation.SELU_LAMBDA
                        : Activation.SELU_LAMBDA * Activation.SELU_ALPHA * FastMath.exp(x);
            case CELU:
                return x > 0 ? 1 : FastMath.exp(x / f.param(0));
            case SOFTPLUS:
                return sigmoid(f.param(0) * x);
            case LOG_SIGMOID:
                return sigmoid(-x);
            case GELU:
                return geluDerivative(x);
            case GELU_TANH:
                return geluTanhDerivative(x);
            case SILU:
                return siluDerivative(x, f.param(0));
            case MISH:
                return mishDerivative(x);
            case HARD_SWISH:
                if (x < -3) {
                    return 0;
                }
                if (x > 3) {
                    return 1;
                }
                return (2 * x + 3) / 6;
            default:
                throw new AssertionError(a);
        }
    }

    // ---------------------------------------------------------------- building blocks

    /** σ(x) by Commons Math's {@link Sigmoid}: 1/(1+e^−x), relative error a few double ULPs for every x. */
    public static double sigmoid(double x) {
        return SIGMOID.value(x);
    }

    /** σ′ = σ(x)σ(−x): no 1 − σ cancellation for x ≫ 0. */
    static double sigmoidDerivative(double x) {
        return sigmoid(x) * sigmoid(-x);
    }

    /** log(1+e^x) = max(x,0) + log1p(e^−|x|): exact to double precision everywhere, never overflows. */
    public static double softplus(double x) {
        if (x == Double.POSITIVE_INFINITY) {
            return x;
        }
        return Math.max(x, 0) + FastMath.log1p(FastMath.exp(-Math.abs(x)));
    }

    static double softplusBeta(double x, double beta) {
        double bx = beta * x;
        if (bx == Double.POSITIVE_INFINITY) {
            return x;
        }
        return Math.max(x, 0) + FastMath.log1p(FastMath.exp(-Math.abs(bx))) / beta;
    }

    /** sech²(y) = 1 − tanh²(y) written as 4u/(1+u)², u = e^−2|y|: no cancellation for large |y|. */
    static double sech2(double y) {
        double u = FastMath.exp(-2 * Math.abs(y));
        double d = 1 + u;
        return 4 * u / (d * d);
    }

    /** Φ(x) = erfc(−x/√2)/2: full relative accuracy for x ≪ 0. */
    static double phi(double x) {
        return 0.5 * Erf.erfc(-x * SQRT1_2);
    }

    static double gelu(double x) {
        if (x == Double.NEGATIVE_INFINITY) {
            return 0;
        }
        return x * phi(x);
    }

    static double geluDerivative(double x) {
        if (Double.isInfinite(x)) {
            return x > 0 ? 1 : 0;
        }
        return phi(x) + x * INV_SQRT_2PI * FastMath.exp(-0.5 * x * x);
    }

    /** u = √(2/π)(x + 0.044715x³); ½x(1 + tanh u) = x·σ(2u). */
    static double geluTanhU(double x) {
        return SQRT_2_OVER_PI * (x + GELU_TANH_C * x * x * x);
    }

    static double geluTanh(double x) {
        if (Double.isInfinite(x)) {
            return x > 0 ? x : 0;
        }
        return x * sigmoid(2 * geluTanhU(x));
    }

    static double geluTanhDerivative(double x) {
        if (Double.isInfinite(x)) {
            return x > 0 ? 1 : 0;
        }
        double u2 = 2 * geluTanhU(x);
        double s = sigmoid(u2);
        if (s == 0) {
            return 0; // |x·u′·σ(2u)| < 1e−300
        }
        double du = SQRT_2_OVER_PI * (1 + 3 * GELU_TANH_C * x * x);
        return s + x * 2 * s * sigmoid(-u2) * du;
    }

    static double silu(double x, double beta) {
        double bx = beta * x;
        if (Double.isNaN(bx)) { // β = 0 and x = ±∞: x·σ(0) = x/2
            return x / 2;
        }
        if (bx == Double.POSITIVE_INFINITY) {
            return x;
        }
        if (bx == Double.NEGATIVE_INFINITY) {
            return 0;
        }
        return x * sigmoid(bx);
    }

    static double siluDerivative(double x, double beta) {
        double bx = beta * x;
        if (Double.isNaN(bx)) {
            return 0.5;
        }
        if (bx == Double.POSITIVE_INFINITY) {
            return 1;
        }
        if (bx == Double.NEGATIVE_INFINITY) {
            return 0;
        }
        double s = sigmoid(bx);
        if (s == 0) {
            return 0;
        }
        return s * (1 + bx * sigmoid(-bx));
    }

    static double mish(double x) {
        if (x == Double.NEGATIVE_INFINITY) {
            return 0;
        }
        return x * TANH.value(softplus(x));
    }

    static double mishDerivative(double x) {
        if (Double.isInfinite(x)) {
            return x > 0 ? 1 : 0;
        }
        double sp = softplus(x);
        double t = TANH.value(sp);
        double s = sigmoid(x);
        return t + x * s * sech2(sp);
    }

    private static double slope(ActivationFunction f, long index) {
        float[] slopes = f.slopes();
        return slopes[(int) (index % slopes.length)];
    }

    /** x + s·n in double, n the backends' shared noise for (seed, index). */
    static double noisyArgument(ActivationFunction f, double x, long index) {
        return x + (double) f.param(0) * noise(f, index);
    }

    /** αx for x < 0; α = 0 at x = −∞ gives the limit 0 (αx = 0 for every finite x), not 0·∞ = NaN. */
    private static double leak(double alpha, double x) {
        return alpha == 0 ? 0.0 : alpha * x;
    }

    /** The noise draw of noisy ReLU element {@code index}: {@link JavaKernels#noise}, bit-identical on every backend. */
    public static float noise(ActivationFunction f, long index) {
        return JavaKernels.noise(f.seed(), index);
    }

    // ---------------------------------------------------------------- automatic differentiation

    /**
     * f′(x) by automatic differentiation ({@link DerivativeStructure}, order 1) of the plain
     * catalogue formula f(x) — no stable rewriting, no special-value branches. Used to check the
     * closed forms of {@link #derivative(ActivationFunction, double, long)} where the plain formula
     * is well conditioned (moderate |x|, away from kinks). NaN for noisy ReLU and PReLU.
     */
    public static double derivativeByDs(ActivationFunction f, double x) {
        DerivativeStructure v = new DerivativeStructure(1, 1, 0, x);
        DerivativeStructure one = v.createConstant(1);
        Activation a = f.activation();
        double p0 = f.param(0);
        DerivativeStructure y;
        switch (a) {
            case IDENTITY: y = v; break;
            case BINARY_STEP: y = v.createConstant(x >= 0 ? 1 : 0); break;
            case SIGMOID: y = SIGMOID.value(v); break;
            case GENERALIZED_LOGISTIC: y = one.add(v.negate().exp()).pow(-p0); break;
            case TANH: y = TANH.value(v); break;
            case ARCTAN: y = ATAN.value(v); break;
            case GUDERMANNIAN: y = v.divide(2).tanh().atan().multiply(2); break;
            // Commons Math has no DerivativeStructure erf: compose with the value and erf′ = (2/√π)e^−x²
            case ERF: y = v.compose(Erf.erf(x), TWO_OVER_SQRT_PI * FastMath.exp(-x * x)); break;
            case ALGEBRAIC_SIGMOID: y = v.divide(v.multiply(v).add(1).sqrt()); break;
            case SOFTSIGN: y = v.divide(v.abs().add(1)); break;
            case HARD_SIGMOID: {
                double t = p0 * x + f.param(1);
                y = t > 0 && t < 1 ? v.multiply(p0).add(f.param(1)) : v.createConstant(t <= 0 ? 0 : 1);
                break;
            }
            case RELU: y = x > 0 ? v : v.createConstant(0); break;
            case RELU6: y = x > 0 && x < 6 ? v : v.createConstant(x <= 0 ? 0 : 6); break;
            case LEAKY_RELU: y = x > 0 ? v : v.multiply(p0); break;
            case THRESHOLDED_RELU: y = x > p0 ? v : v.createConstant(0); break;
            case ELU: y = x > 0 ? v : v.expm1().multiply(p0); break;
            case SELU: y = (x > 0 ? v : v.expm1().multiply(Activation.SELU_ALPHA)).multiply(Activation.SELU_LAMBDA); break;
            case CELU: y = x > 0 ? v : v.divide(p0).expm1().multiply(p0); break;
            case SOFTPLUS: y = v.multiply(p0).exp().log1p().divide(p0); break;
            case LOG_SIGMOID: y = v.negate().exp().log1p().negate(); break;
            // Φ(x) composed from its value and φ; the product rule is what is checked
            case GELU: y = v.multiply(v.compose(phi(x), INV_SQRT_2PI * FastMath.exp(-0.5 * x * x))); break;
            case GELU_TANH: {
                DerivativeStructure u = v.add(v.pow(3).multiply(GELU_TANH_C)).multiply(SQRT_2_OVER_PI);
                y = v.multiply(0.5).multiply(u.tanh().add(1));
                break;
            }
            case SILU: y = v.multiply(SIGMOID.value(v.multiply(p0))); break;
            case MISH: y = v.multiply(v.exp().log1p().tanh()); break;
            case HARD_SWISH: {
                if (x < -3) {
                    y = v.createConstant(0);
                } else if (x > 3) {
                    y = v;
                } else {
                    y = v.multiply(v.add(3)).divide(6);
                }
                break;
            }
            default:
                return Double.NaN;
        }
        return y.getPartialDerivative(1);
    }

    // ---------------------------------------------------------------- row-wise

    /**
     * Softmax (or log-softmax) of each row in double, subtracting the row max first; the catalogue's
     * special rows: a NaN makes the row NaN; k entries +∞ share the mass (1/k each, 0 elsewhere; log:
     * −ln k and −∞); an all −∞ row gives zeros (log: −∞).
     *
     * @param x not modified; rows × cols, row-major
     */
    public static double[] softmax(float[] x, int rows, int cols, boolean log) {
        double[] y = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            double m = Double.NEGATIVE_INFINITY;
            boolean nan = false;
            int posInf = 0;
            for (int c = 0; c < cols; c++) {
                float v = x[o + c];
                nan |= Float.isNaN(v);
                if (v == Float.POSITIVE_INFINITY) {
                    posInf++;
                }
                m = Math.max(m, v);
            }
            if (nan) {
                java.util.Arrays.fill(y, o, o + cols, Double.NaN);
                continue;
            }
            if (posInf > 0) {
                for (int c = 0; c < cols; c++) {
                    boolean hit = x[o + c] == Float.POSITIVE_INFINITY;
                    y[o + c] = log ? (hit ? -Math.log(posInf) : Double.NEGATIVE_INFINITY) : (hit ? 1.0 / posInf : 0.0);
                }
                continue;
            }
            if (m == Double.NEGATIVE_INFINITY) {
                java.util.Arrays.fill(y, o, o + cols, log ? Double.NEGATIVE_INFINITY : 0.0);
                continue;
            }
            // s = 1 + s1, s1 = Σ e^(x−m) over all but one maximal entry: log s = log1p(s1) keeps full
            // relative accuracy for a peaked row (s1 ≪ 2^−53), where log_softmax of the max is ≈ −s1.
            // Terms ≤ 1, double summation error ≤ cols·2^−53 relative, negligible for float.
            double s1 = 0;
            boolean skipped = false;
            for (int c = 0; c < cols; c++) {
                if (!skipped && x[o + c] == m) {
                    skipped = true;
                    continue;
                }
                s1 += FastMath.exp(x[o + c] - m);
            }
            double s = 1 + s1;
            double logS = FastMath.log1p(s1);
            for (int c = 0; c < cols; c++) {
                double d = x[o + c] - m; // exact in double: both are floats
                y[o + c] = log ? d - logS : FastMath.exp(d) / s;
            }
        }
        return y;
    }

    /**
     * Backward of softmax (dx = y(dy − Σ dy·y)) or log-softmax (dx = dy − e^y·Σ dy) per row, in double,
     * from the float {@code y} and {@code dy} the backend receives. Not modified: y, dy.
     */
    public static double[] softmaxBackward(float[] y, float[] dy, int rows, int cols, boolean log) {
        double[] dx = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            double s = 0;
            for (int c = 0; c < cols; c++) {
                s += log ? dy[o + c] : (double) dy[o + c] * y[o + c];
            }
            for (int c = 0; c < cols; c++) {
                dx[o + c] = log ? dy[o + c] - FastMath.exp(y[o + c]) * s : y[o + c] * (dy[o + c] - s);
            }
        }
        return dx;
    }

    /**
     * The magnitude below which a backward entry is a cancellation residue: |y|(|dy| + |Σ dy·y|) for
     * softmax, |dy| + e^y|Σ dy| for log-softmax. See the tolerance note in the accuracy test.
     */
    public static double[] softmaxBackwardScale(float[] y, float[] dy, int rows, int cols, boolean log) {
        double[] scale = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            double s = 0;
            double sAbs = 0;
            for (int c = 0; c < cols; c++) {
                double t = log ? dy[o + c] : (double) dy[o + c] * y[o + c];
                s += t;
                sAbs += Math.abs(t);
            }
            for (int c = 0; c < cols; c++) {
                scale[o + c] = log ? Math.abs(dy[o + c]) + FastMath.exp(y[o + c]) * sAbs
                        : Math.abs(y[o + c]) * (Math.abs(dy[o + c]) + sAbs);
            }
        }
        return scale;
    }

    /**
     * The dense layer x·Wᵀ + b at (i, j) (x rows × k, W out × in, both row-major) in double, and the
     * error bound's Σₖ|xᵢₖwⱼₖ| + |bⱼ|: {value, magnitude}.
     */
    public static double[] denseAt(float[] x, float[] w, float[] bias, int k, int i, int j) {
        double dot = 0;
        double abs = 0;
        for (int q = 0; q < k; q++) {
            double p = (double) x[i * k + q] * w[j * k + q];
            dot += p;
            abs += Math.abs(p);
        }
        return new double[] {dot + bias[j], abs + Math.abs(bias[j])};
    }
}
