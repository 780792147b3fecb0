package dev.soma;

import java.util.ArrayList;
import java.util.List;

/**
 * A multi-layer perceptron on one backend: a sequence of dense layers (each y = f(x·Wᵀ + b), the
 * activation fused into the layer's kernel), optionally followed by softmax or log-softmax over the
 * outputs. The weights are uploaded once when the network is built; {@link #forward} runs every layer
 * on the device into intermediate buffers kept from call to call (while the batch size stays), and
 * touches the host only at the ends.
 *
 * <pre>{@code
 * try (Network net = Network.builder()
 *         .dense(w1, 512, 784, b1, Activation.RELU)
 *         .dense(w2, 10, 512, b2, null)
 *         .softmax()
 *         .build(backend)) {
 *     float[] probabilities = net.forward(images, batch);   // batch x 10
 * }
 * }</pre>
 *
 * <p>Shapes are checked when the network is built (each layer's inputs must equal the previous
 * layer's outputs, the arrays must hold out × in weights and out biases) and when it is called; the
 * messages name the layer. NaN in weights is not an error: it propagates, as arithmetic says. A
 * network is safe to share between threads; forward calls are serialised. Closing it releases its
 * weights and buffers, not the backend.
 */
public final class Network implements AutoCloseable {

    /** The row-wise function after the last layer. */
    public enum Output { NONE, SOFTMAX, LOG_SOFTMAX }

    private final Backend backend;
    private final List<Layer> layers;
    private final Output output;
    private final int inputs;
    private final List<Tensor> hidden = new ArrayList<>();
    private int bufferedBatch = -1;
    private boolean closed;

    private record Layer(int index, int in, int out, Tensor weights, WeightLayout layout, Tensor bias,
                         ActivationFunction f) {
    }

    private Network(Backend backend, List<Layer> layers, Output output) {
        this.backend = backend;
        this.layers = layers;
        this.output = output;
        this.inputs = layers.get(0).in();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Features each input row must have. */
    public int inputs() {
        return inputs;
    }

    /** Features of each output row. */
    public int outputs() {
        return layers.get(layers.size() - 1).out();
    }

    public int layerCount() {
        return layers.size();
    }

    public Backend backend() {
        return backend;
    }

    /**
     * The outputs for a batch given as a host array.
     *
     * @param x     not modified; batch × {@link #inputs()}, row-major
     * @param batch rows of x; 0 gives an empty result
     * @return batch × {@link #outputs()}, row-major
     */
    public float[] forward(float[] x, int batch) {
        Checks.notNull(x, "x");
        if (batch < 0) {
            throw new IllegalArgumentException("batch is " + batch + ", must be >= 0");
        }
        if ((long) batch * inputs != x.length) {
            throw new IllegalArgumentException("x has length " + x.length + ", a batch of " + batch + " needs "
                    + (long) batch * inputs + " (" + inputs + " inputs per row)");
        }
        long rows = piece();
        if (batch > rows) { // more than one tensor may hold (an OpenCL device's allocation limit): in pieces of whole rows
            float[] y = new float[batch * outputs()];
            for (int r = 0; r < batch; r += (int) rows) {
                int n = (int) Math.min(rows, batch - r);
                float[] part = forward(java.util.Arrays.copyOfRange(x, r * inputs, (r + n) * inputs), n);
                System.arraycopy(part, 0, y, r * outputs(), part.length);
            }
            return y;
        }
        try (Tensor in = backend.upload(x, batch, inputs); Tensor out = backend.tensor(batch, outputs())) {
            forward(in, out);
            return out.download();
        }
    }

    /** The most rows whose inputs, hidden values and outputs each fit one tensor of the backend. */
    private long piece() {
        int widest = inputs;
        for (Layer l : layers) {
            widest = Math.max(widest, l.out());
        }
        long rows = AbstractBackend.maxElements(backend, false) / widest;
        if (output != Output.NONE) {
            rows = Math.min(rows, AbstractBackend.maxElements(backend, true) / outputs());
        }
        if (rows == 0) {
            throw new IllegalArgumentException("one row of " + widest + " values is more than " + backend.info()
                    + " holds in one tensor");
        }
        return rows;
    }

    /**
     * Runs the network on the device: {@code y} = the network applied to each row of {@code x}.
     *
     * @param x batch × {@link #inputs()}, a tensor of this network's backend; not modified
     * @param y batch × {@link #outputs()}; modified
     */
    public synchronized void forward(Tensor x, Tensor y) {
        checkOpen();
        Checks.notNull(x, "x");
        Checks.notNull(y, "y");
        if (x.cols() != inputs) {
            throw new IllegalArgumentException("layer 0 takes " + inputs + " inputs per row, x has " + x.cols());
        }
        if (y.rows() != x.rows() || y.cols() != outputs()) {
            throw new IllegalArgumentException("y is " + y.rows() + " x " + y.cols() + ", the network gives "
                    + x.rows() + " x " + outputs());
        }
        if (x == y) {
            throw new IllegalArgumentException("y must not be x");
        }
        int batch = x.rows();
        if (batch == 0) {
            return;
        }
        buffers(batch);
        Tensor in = x;
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            boolean last = i == layers.size() - 1;
            Tensor out = last ? y : hidden.get(i);
            backend.dense(in, l.weights(), l.layout(), l.bias(), l.f(), out);
            in = out;
        }
        if (output == Output.SOFTMAX) {
            backend.softmax(y, y);
        } else if (output == Output.LOG_SOFTMAX) {
            backend.logSoftmax(y, y);
        }
    }

    /** The hidden layers' outputs for this batch size, kept until the batch size changes. */
    private void buffers(int batch) {
        if (batch == bufferedBatch) {
            return;
        }
        closeBuffers();
        for (int i = 0; i < layers.size() - 1; i++) {
            hidden.add(backend.tensor(batch, layers.get(i).out()));
        }
        bufferedBatch = batch;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("network is closed");
        }
    }

    private void closeBuffers() {
        hidden.forEach(Tensor::close);
        hidden.clear();
        bufferedBatch = -1;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            closeBuffers();
            for (Layer l : layers) {
                l.weights().close();
                if (l.bias() != null) {
                    l.bias().close();
                }
            }
        }
    }

    /** Collects layers from host arrays; {@link #build} checks them and uploads them once. */
    public static final class Builder {
        private final List<Object[]> specs = new ArrayList<>();
        private Output output = Output.NONE;

        private Builder() {
        }

        /** A layer with PyTorch-layout weights (out × in). See {@link #dense(float[], int, int, WeightLayout, float[], ActivationFunction)}. */
        public Builder dense(float[] weights, int out, int in, float[] bias, ActivationFunction f) {
            return dense(weights, out, in, WeightLayout.OUT_IN, bias, f);
        }

        /**
         * A dense layer y = f(x·Wᵀ + b).
         *
         * @param weights out × in ({@link WeightLayout#OUT_IN}) or in × out ({@link WeightLayout#IN_OUT}),
         *                row-major; copied at build time
         * @param bias    out values, or null for none; copied at build time
         * @param f       the activation, or null for none
         */
        public Builder dense(float[] weights, int out, int in, WeightLayout layout, float[] bias, ActivationFunction f) {
            specs.add(new Object[] {weights, out, in, layout, bias, f});
            return this;
        }

        /** Softmax over each output row, on the device, after the last layer. */
        public Builder softmax() {
            output = Output.SOFTMAX;
            return this;
        }

        /** Log-softmax over each output row, on the device, after the last layer. */
        public Builder logSoftmax() {
            output = Output.LOG_SOFTMAX;
            return this;
        }

        /**
         * Checks every layer and uploads the weights to {@code backend}.
         *
         * @throws IllegalArgumentException naming the layer whose shape, array length or
         *         activation does not fit, before anything is uploaded
         */
        public Network build(Backend backend) {
            Checks.notNull(backend, "backend");
            if (specs.isEmpty()) {
                throw new IllegalArgumentException("a network needs at least one layer");
            }
            int previous = -1;
            for (int i = 0; i < specs.size(); i++) {
                Object[] s = specs.get(i);
                float[] w = (float[]) s[0];
                int out = (Integer) s[1];
                int in = (Integer) s[2];
                WeightLayout layout = (WeightLayout) s[3];
                float[] b = (float[]) s[4];
                ActivationFunction f = (ActivationFunction) s[5];
                String at = "layer " + i;
                if (w == null) {
                    throw new IllegalArgumentException(at + ": weights are null");
                }
                if (layout == null) {
                    throw new IllegalArgumentException(at + ": weight layout is null");
                }
                if (out <= 0 || in <= 0) {
                    throw new IllegalArgumentException(at + ": " + out + " outputs x " + in + " inputs, both must be > 0");
                }
                if ((long) out * in != w.length) {
                    throw new IllegalArgumentException(at + ": weights have length " + w.length + ", " + out + " x "
                            + in + " needs " + (long) out * in);
                }
                if (b != null && b.length != out) {
                    throw new IllegalArgumentException(at + ": bias has length " + b.length + ", the layer has " + out
                            + " outputs");
                }
                if (previous >= 0 && in != previous) {
                    throw new IllegalArgumentException(at + " takes " + in + " inputs but layer " + (i - 1) + " gives "
                            + previous);
                }
                if (f != null && f.activation() == Activation.PRELU) {
                    int c = f.slopes().length;
                    if (c != 1 && c != out) {
                        throw new IllegalArgumentException(at + ": prelu has " + c + " slopes, the layer has " + out
                                + " outputs");
                    }
                }
                previous = out;
            }
            List<Layer> layers = new ArrayList<>();
            try {
                for (int i = 0; i < specs.size(); i++) {
                    Object[] s = specs.get(i);
                    int out = (Integer) s[1];
                    int in = (Integer) s[2];
                    WeightLayout layout = (WeightLayout) s[3];
                    float[] w = (float[]) s[0];
                    float[] b = (float[]) s[4];
                    Tensor wt = layout == WeightLayout.OUT_IN ? backend.upload(w, out, in) : backend.upload(w, in, out);
                    Tensor bt = null;
                    try {
                        bt = b == null ? null : backend.upload(b, 1, out);
                    } finally {
                        if (b != null && bt == null) {
                            wt.close();
                        }
                    }
                    layers.add(new Layer(i, in, out, wt, layout, bt, (ActivationFunction) s[5]));
                }
            } catch (RuntimeException e) {
                for (Layer l : layers) {
                    l.weights().close();
                    if (l.bias() != null) {
                        l.bias().close();
                    }
                }
                throw e;
            }
            return new Network(backend, List.copyOf(layers), output);
        }
    }
}
