package dev.soma;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The element-wise activation functions of the catalogue ({@code shared/design/ACTIVATIONS.md}),
 * each with its parameters, their defaults and the range each parameter may take.
 *
 * <p>An {@code Activation} is itself an {@link ActivationFunction} with the default parameters, so
 * {@code backend.forward(Activation.GELU, x)} works; {@link #with(double...)} gives the same
 * function with other parameters, {@link #prelu(float...)} and {@link #noisyRelu(double, long)}
 * the two that take more than numbers.
 *
 * <p>{@link #id()} is the number the OpenCL kernels know the function by: the host passes it as
 * {@code -DACT=id} and defines {@code SOMA_ACT_<NAME>} for every entry, so the enum is the one
 * place where the list lives.
 */
public enum Activation implements ActivationFunction {
    IDENTITY(0),
    BINARY_STEP(1),
    SIGMOID(2),
    GENERALIZED_LOGISTIC(3, Param.positive("alpha", 1.0)),
    TANH(4),
    ARCTAN(5),
    GUDERMANNIAN(6),
    ERF(7),
    ALGEBRAIC_SIGMOID(8),
    SOFTSIGN(9),
    HARD_SIGMOID(10, Param.positive("alpha", 0.2), Param.finite("beta", 0.5)),
    RELU(11),
    RELU6(12),
    LEAKY_RELU(13, Param.finite("alpha", 0.01)),
    /** Per-column slopes: use {@link #prelu(float...)}. The default is one slope of 0.25 (PyTorch). */
    PRELU(14),
    THRESHOLDED_RELU(15, Param.finite("theta", 1.0)),
    /** Noise from a counter-based generator keyed by (seed, element index); see {@link #noisyRelu}. */
    NOISY_RELU(16, Param.nonNegative("s", 1.0)),
    ELU(17, Param.nonNegative("alpha", 1.0)),
    SELU(18),
    CELU(19, Param.positive("alpha", 1.0)),
    SOFTPLUS(20, Param.positive("beta", 1.0)),
    LOG_SIGMOID(21),
    GELU(22),
    GELU_TANH(23),
    SILU(24, Param.finite("beta", 1.0)),
    MISH(25),
    HARD_SWISH(26);

    /** SELU's fixed α, the catalogue's value; both paths use it at their compute precision (double on fp64 devices). */
    public static final double SELU_ALPHA = 1.6732632423543772848170429916717;
    /** SELU's fixed λ. */
    public static final double SELU_LAMBDA = 1.0507009873554804934193349852946;
    /** PReLU's default slope when none is given (PyTorch's {@code nn.PReLU} initial value). */
    public static final float PRELU_DEFAULT_SLOPE = 0.25f;

    private final int id;
    private final List<Param> params;
    private final Parameterized defaults;

    Activation(int id, Param... params) {
        this.id = id;
        this.params = List.of(params);
        double[] values = new double[params.length];
        for (int i = 0; i < params.length; i++) {
            values[i] = params[i].defaultValue();
        }
        this.defaults = new Parameterized(this, values, null, 0L);
    }

    /** The kernel id ({@code -DACT=id}); stable across releases. */
    public int id() {
        return id;
    }

    /** The lower-case catalogue name, for example {@code "leaky_relu"}. */
    public String catalogueName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The numeric parameters, in the order {@link #with(double...)} takes them. */
    public List<Param> params() {
        return params;
    }

    /**
     * Looks an activation up by its catalogue name ({@code "gelu_tanh"}), case and {@code -}/{@code _}
     * insensitive; also accepts the other names the catalogue lists ({@code logistic}, {@code swish}).
     *
     * @throws IllegalArgumentException naming the unknown function and listing the known ones
     */
    public static Activation byName(String name) {
        if (name == null) {
            throw new IllegalArgumentException("activation name is null");
        }
        String n = name.trim().toLowerCase(Locale.ROOT).replace('-', '_');
        switch (n) {
            case "logistic": return SIGMOID;
            case "swish": return SILU;
            default: break;
        }
        for (Activation a : values()) {
            if (a.catalogueName().equals(n)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown activation '" + name + "'; known: "
                + Arrays.toString(Arrays.stream(values()).map(Activation::catalogueName).toArray()));
    }

    /**
     * This function with the given numeric parameters, in the order of {@link #params()}.
     *
     * @throws IllegalArgumentException when the count is wrong or a value is NaN, infinite or
     *         outside the range the catalogue allows (for example a negative ELU α)
     */
    public Parameterized with(double... values) {
        if (this == PRELU) {
            throw new IllegalArgumentException("prelu takes per-column slopes: use Activation.prelu(float...)");
        }
        if (values == null) {
            throw new IllegalArgumentException(catalogueName() + ": parameter array is null");
        }
        if (values.length != params.size()) {
            throw new IllegalArgumentException(catalogueName() + " takes " + params.size()
                    + " parameter(s) " + params + ", got " + values.length);
        }
        for (int i = 0; i < values.length; i++) {
            params.get(i).check(this, values[i]);
        }
        return new Parameterized(this, values.clone(), null, 0L);
    }

    /**
     * PReLU with one slope per column (or a single slope for every column). Element {@code i} of a
     * flat array, or column {@code c} of a tensor, uses {@code slopes[i % slopes.length]}; a tensor's
     * column count must equal {@code slopes.length} unless there is one slope.
     *
     * @param slopes not modified; copied
     */
    public static Parameterized prelu(float... slopes) {
        if (slopes == null) {
            throw new IllegalArgumentException("prelu: slopes array is null");
        }
        if (slopes.length == 0) {
            throw new IllegalArgumentException("prelu: slopes array is empty");
        }
        for (int i = 0; i < slopes.length; i++) {
            if (!Float.isFinite(slopes[i])) {
                throw new IllegalArgumentException("prelu: slope[" + i + "] is " + slopes[i] + ", must be finite");
            }
        }
        return new Parameterized(PRELU, new double[0], slopes.clone(), 0L);
    }

    /**
     * Noisy ReLU, {@code max(0, x + s·n)} with {@code n ~ N(0,1)} drawn from a counter-based
     * generator keyed by ({@code seed}, element index): the same noise on every backend and every
     * run, and independent of how the work is split. Elements 2k and 2k+1 take the two normals of
     * one Box–Muller draw (pair k of a 64-bit SplitMix hash): independent of each other, |n| ≤ 5.77.
     */
    public static Parameterized noisyRelu(double s, long seed) {
        NOISY_RELU.params.get(0).check(NOISY_RELU, s);
        return new Parameterized(NOISY_RELU, new double[] {s}, null, seed);
    }

    @Override
    public Activation activation() {
        return this;
    }

    @Override
    public float param(int index) {
        return defaults.param(index);
    }

    @Override
    public float[] slopes() {
        return this == PRELU ? new float[] {PRELU_DEFAULT_SLOPE} : null;
    }

    @Override
    public long seed() {
        return 0L;
    }

    @Override
    public Properties properties() {
        return this == PRELU ? Properties.of(this, new double[0], slopes()) : defaults.properties();
    }

    /** A numeric parameter: its name, default and the values it may take. */
    public record Param(String name, double defaultValue, double min, boolean minInclusive) {

        static Param finite(String name, double def) {
            return new Param(name, def, Double.NEGATIVE_INFINITY, false);
        }

        static Param positive(String name, double def) {
            return new Param(name, def, 0.0, false);
        }

        static Param nonNegative(String name, double def) {
            return new Param(name, def, 0.0, true);
        }

        void check(Activation a, double v) {
            if (Double.isNaN(v) || Double.isInfinite(v)) {
                throw new IllegalArgumentException(a.catalogueName() + ": parameter " + name + " is " + v
                        + ", must be finite");
            }
            if (v < min || (v == min && !minInclusive)) {
                throw new IllegalArgumentException(a.catalogueName() + ": parameter " + name + " is " + v
                        + ", must be " + (minInclusive ? ">= " : "> ") + min);
            }
            float f = (float) v;
            if (Float.isInfinite(f) || (f == 0f && v != 0.0 && !minInclusive && min == 0.0)) {
                throw new IllegalArgumentException(a.catalogueName() + ": parameter " + name + " is " + v
                        + ", which float32 cannot hold (" + f + ")");
            }
        }

        @Override
        public String toString() {
            return name + "=" + defaultValue;
        }
    }

    /** An activation with chosen parameters. Immutable. */
    public static final class Parameterized implements ActivationFunction {
        private final Activation activation;
        private final double[] values;
        private final float[] slopes;
        private final long seed;

        Parameterized(Activation activation, double[] values, float[] slopes, long seed) {
            this.activation = activation;
            this.values = values;
            this.slopes = slopes;
            this.seed = seed;
        }

        @Override
        public Activation activation() {
            return activation;
        }

        @Override
        public float param(int index) {
            return index < values.length ? (float) values[index] : 0f;
        }

        @Override
        public float[] slopes() {
            return slopes == null ? null : slopes.clone();
        }

        @Override
        public long seed() {
            return seed;
        }

        @Override
        public Properties properties() {
            return Properties.of(activation, values, slopes);
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(activation.catalogueName()).append('(');
            for (int i = 0; i < values.length; i++) {
                sb.append(i == 0 ? "" : ", ").append(activation.params.get(i).name()).append('=').append((float) values[i]);
            }
            if (slopes != null) {
                sb.append("slopes=").append(slopes.length == 1 ? String.valueOf(slopes[0]) : slopes.length + " columns");
            }
            if (activation == NOISY_RELU) {
                sb.append(", seed=").append(seed);
            }
            return sb.append(')').toString();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Parameterized p && p.activation == activation && Arrays.equals(p.values, values)
                    && Arrays.equals(p.slopes, slopes) && p.seed == seed;
        }

        @Override
        public int hashCode() {
            return activation.hashCode() * 31 + Arrays.hashCode(values) + Arrays.hashCode(slopes) + Long.hashCode(seed);
        }
    }
}
