package dev.soma;

/** The host-array conveniences of {@link Backend}, written once on top of tensors. */
final class HostOps {

    private HostOps() {
    }

    static float[] elementwise(Backend b, ActivationFunction f, float[] x, boolean derivative) {
        Checks.notNull(f, "activation");
        Checks.notNull(x, "x");
        try (Tensor t = b.upload(x, 1, x.length)) {
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
