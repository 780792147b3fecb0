package dev.soma.reference;

import dev.soma.Activation;
import dev.soma.ActivationFunction;
import dev.soma.Backend;
import dev.soma.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The functions every accuracy test covers, and how to run one on a backend over a whole grid. */
public final class Functions {

    /** Slopes for the per-column PReLU case: positive, zero, negative, fractional. */
    public static final float[] PRELU_SLOPES = {0.25f, 0f, -0.5f, 0.01f, 1.5f, -2f, 0.1f};

    private Functions() {
    }

    /**
     * Every activation with its defaults, then at least one non-default parameter set for each
     * parameterized one (the catalogue's "others" values among them).
     */
    public static List<ActivationFunction> all() {
        List<ActivationFunction> l = new ArrayList<>(Arrays.asList(Activation.values()));
        l.add(Activation.GENERALIZED_LOGISTIC.with(0.5));
        l.add(Activation.GENERALIZED_LOGISTIC.with(2));
        l.add(Activation.HARD_SIGMOID.with(1.0 / 6, 0.5));
        l.add(Activation.LEAKY_RELU.with(0.2));
        l.add(Activation.prelu(PRELU_SLOPES));
        l.add(Activation.THRESHOLDED_RELU.with(-1));
        l.add(Activation.THRESHOLDED_RELU.with(2.5));
        l.add(Activation.noisyRelu(0.3, 42));
        l.add(Activation.ELU.with(0.5));
        l.add(Activation.CELU.with(2));
        l.add(Activation.SOFTPLUS.with(2));
        l.add(Activation.SILU.with(1.702));
        return l;
    }

    /** The catalogue name. */
    public static String name(ActivationFunction f) {
        return f.activation().catalogueName();
    }

    /** The parameters as text ("default" for an {@link Activation} constant). */
    public static String params(ActivationFunction f) {
        if (f instanceof Activation) {
            return "default";
        }
        String s = f.toString();
        int open = s.indexOf('(');
        return open < 0 ? s : s.substring(open + 1, s.length() - 1);
    }

    /** A short label: {@code gelu} or {@code elu(alpha=0.5)}. */
    public static String label(ActivationFunction f) {
        return f instanceof Activation ? name(f) : f.toString();
    }

    /**
     * f(x) or f′(x) on {@code b}, through device tensors. Element {@code i} has flat index {@code i};
     * a per-column PReLU runs on a rows × slopes.length tensor (x padded with zeros to a whole number
     * of rows, the padding dropped from the result), so column = i % slopes.length as in
     * {@link Reference}.
     *
     * @param x not modified
     */
    public static float[] run(Backend b, ActivationFunction f, boolean derivative, float[] x) {
        float[] slopes = f.slopes();
        boolean perColumn = slopes != null && slopes.length > 1;
        int cols = perColumn ? slopes.length : x.length;
        int rows = perColumn ? (x.length + cols - 1) / cols : 1;
        float[] in = Arrays.copyOf(x, rows * cols);
        try (Tensor t = b.upload(in, rows, cols); Tensor y = b.tensor(rows, cols)) {
            if (derivative) {
                b.derivative(f, t, y);
            } else {
                b.forward(f, t, y);
            }
            float[] out = y.download();
            return out.length == x.length ? out : Arrays.copyOf(out, x.length);
        }
    }
}
