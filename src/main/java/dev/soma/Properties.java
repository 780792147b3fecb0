package dev.soma;

/**
 * What the catalogue says of an activation with given parameters.
 *
 * @param lower            infimum of the range (may be {@code -Infinity})
 * @param lowerInclusive   whether {@code lower} is attained
 * @param upper            supremum of the range (may be {@code +Infinity})
 * @param upperInclusive   whether {@code upper} is attained
 * @param monotonic        non-decreasing over all of ℝ (noisy ReLU: false, it is not a function of x alone)
 * @param continuouslyDifferentiable  C¹ over all of ℝ
 * @param identityAtOrigin f(0) = 0 and f′(0) = 1
 */
public record Properties(double lower, boolean lowerInclusive, double upper, boolean upperInclusive,
                         boolean monotonic, boolean continuouslyDifferentiable, boolean identityAtOrigin) {

    private static final double INF = Double.POSITIVE_INFINITY;
    private static final double HALF_PI = Math.PI / 2;

    /** Minimum of x·Φ(x), at x ≈ −0.75179. */
    public static final double GELU_MIN = -0.16997120747990526;
    /** Minimum of the tanh approximation of GELU, at x ≈ −0.75229. */
    public static final double GELU_TANH_MIN = -0.17004075057743978;
    /** Minimum of x·σ(x), at x ≈ −1.27846; for SiLU with β it is this over β. */
    public static final double SILU_MIN = -0.27846454276107380;
    /** Minimum of x·tanh(softplus(x)), at x ≈ −1.19243. */
    public static final double MISH_MIN = -0.3088434130172504;

    static Properties of(Activation a, double[] p, float[] slopes) {
        switch (a) {
            case IDENTITY: return open(-INF, INF, true, true, true);
            case BINARY_STEP: return new Properties(0, true, 1, true, true, false, false);
            case SIGMOID: case GENERALIZED_LOGISTIC: return open(0, 1, true, true, false);
            case TANH: return open(-1, 1, true, true, true);
            case ARCTAN: case GUDERMANNIAN: return open(-HALF_PI, HALF_PI, true, true, true);
            case ERF: return open(-1, 1, true, true, false);
            case ALGEBRAIC_SIGMOID: case SOFTSIGN: return open(-1, 1, true, true, true);
            case HARD_SIGMOID: return new Properties(0, true, 1, true, true, false, false);
            case RELU: return new Properties(0, true, INF, false, true, false, false);
            case RELU6: return new Properties(0, true, 6, true, true, false, false);
            case LEAKY_RELU: {
                double alpha = (float) p[0];
                return leaky(alpha >= 0, alpha > 0);
            }
            case PRELU: {
                boolean allNonNegative = true;
                boolean anyPositive = false;
                for (float s : slopes) {
                    allNonNegative &= s >= 0;
                    anyPositive |= s > 0;
                }
                return leaky(allNonNegative, anyPositive);
            }
            case THRESHOLDED_RELU: {
                double theta = (float) p[0];
                // {0} ∪ (θ, ∞). For θ ≥ 0 that is [0, ∞) and f is non-decreasing (the catalogue's "no"
                // is too strict there). For θ < 0 the infimum θ is not attained, f drops from 0 to
                // just above θ at x = θ, and near 0 f(x) = x, so it approximates the identity.
                return theta < 0 ? new Properties(theta, false, INF, false, false, false, true)
                        : new Properties(0, true, INF, false, true, false, false);
            }
            case NOISY_RELU: return new Properties(0, true, INF, false, false, false, false);
            case ELU: {
                double alpha = (float) p[0];
                boolean one = alpha == 1.0;
                return new Properties(-alpha, alpha == 0, INF, false, true, one, one);
            }
            case SELU: return new Properties(-Activation.SELU_LAMBDA * Activation.SELU_ALPHA, false,
                    INF, false, true, false, false);
            case CELU: return new Properties(-(float) p[0], false, INF, false, true, true, true);
            case SOFTPLUS: return open(0, INF, true, true, false);
            case LOG_SIGMOID: return open(-INF, 0, true, true, false);
            case GELU: return new Properties(GELU_MIN, true, INF, false, false, true, false);
            case GELU_TANH: return new Properties(GELU_TANH_MIN, true, INF, false, false, true, false);
            case SILU: {
                double beta = (float) p[0];
                if (beta == 0) { // x·σ(0) = x/2
                    return open(-INF, INF, true, true, false);
                }
                return beta > 0 ? new Properties(SILU_MIN / beta, true, INF, false, false, true, false)
                        : new Properties(-INF, false, -SILU_MIN / beta, true, false, true, false);
            }
            case MISH: return new Properties(MISH_MIN, true, INF, false, false, true, false);
            case HARD_SWISH: return new Properties(-0.375, true, INF, false, false, false, false);
            default: throw new AssertionError(a);
        }
    }

    private static Properties open(double lo, double hi, boolean monotonic, boolean c1, boolean identity) {
        return new Properties(lo, false, hi, false, monotonic, c1, identity);
    }

    private static Properties leaky(boolean monotonic, boolean unboundedBelow) {
        // a positive slope reaches all of ℝ; a zero or negative one folds x < 0 onto [0, ∞)
        return unboundedBelow ? open(-INF, INF, monotonic, false, false)
                : new Properties(0, true, INF, false, monotonic, false, false);
    }

    /** Whether {@code y} lies in the range (closed ends where inclusive). */
    public boolean contains(double y) {
        boolean aboveLower = lowerInclusive ? y >= lower : y > lower;
        boolean belowUpper = upperInclusive ? y <= upper : y < upper;
        return aboveLower && belowUpper;
    }
}
