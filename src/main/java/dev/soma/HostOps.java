package dev.soma;

/** The host-array conveniences of {@link Backend}, written once on top of tensors. */
final class HostOps {

    private HostOps() {
    }

    static float[] elementwise(Backend b, ActivationFunction f, float[] x, boolean derivative) {
        Checks.notNull(f, "activation");
        Checks.notNull(x, "x");
        int cols = x.length;
        if (f.activation() == Activation.PRELU) {
            // a flat array is rows of one element per slope: element i takes slope i % slopes.length
            int c = f.slopes().length;
            if (x.length % c != 0) {
                throw new IllegalArgumentException("prelu has " + c + " slopes but the array's length " + x.length
                        + " is not a multiple of it");
            }
            cols = c;
        }
        try (Tensor t = b.upload(x, cols == 0 ? 0 : x.length / cols, cols)) {
            if (derivative) {
                b.derivative(f, t, t);
            } else {
                b.forward(f, t, t);
            }
            return t.download();
        }
    }

    static float[] rowwise(Backend b, float[] x, int rows, int cols, boolean log) {
        Checks.notNull(x, "x");
        try (Tensor t = b.upload(x, rows, cols)) {
            if (log) {
                b.logSoftmax(t, t);
            } else {
                b.softmax(t, t);
            }
            return t.download();
        }
    }
}
