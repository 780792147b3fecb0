package dev.soma;

import java.util.Arrays;

/**
 * The host-array conveniences of {@link Backend}, written once on top of tensors. An array larger
 * than one tensor of the backend may hold ({@link AbstractBackend#maxElements}: an OpenCL device's
 * {@code CL_DEVICE_MAX_MEM_ALLOC_SIZE}) is processed in pieces, with the same result: element-wise
 * functions in runs of whole PReLU rows, softmax in whole rows. What cannot be split (a single row
 * larger than the limit; noisy ReLU, whose noise depends on each element's index) is refused with
 * {@link IllegalArgumentException} before anything is allocated.
 */
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
        long max = AbstractBackend.maxElements(b, false);
        if (x.length > max) {
            if (f.activation() == Activation.NOISY_RELU) {
                throw new IllegalArgumentException("noisy_relu on " + x.length + " elements: more than " + b.info()
                        + " holds in one tensor (" + max + " elements), and its noise depends on each element's "
                        + "index, so the array cannot be split");
            }
            int width = cols == x.length ? 1 : cols; // PReLU: whole rows of slopes
            long piece = max / width * width;
            if (piece == 0) {
                throw new IllegalArgumentException("prelu with " + width + " slopes: one row is more than " + b.info()
                        + " holds in one tensor (" + max + " elements)");
            }
            float[] out = new float[x.length];
            for (int from = 0; from < x.length; from += (int) piece) {
                int to = (int) Math.min(x.length, from + piece);
                int n = to - from;
                float[] part = elementwise(b, f, Arrays.copyOfRange(x, from, to), derivative, width == 1 ? n : width);
                System.arraycopy(part, 0, out, from, n);
            }
            return out;
        }
        return elementwise(b, f, x, derivative, cols);
    }

    private static float[] elementwise(Backend b, ActivationFunction f, float[] x, boolean derivative, int cols) {
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
        Checks.length(x, rows, cols, "x");
        long max = AbstractBackend.maxElements(b, true);
        if (x.length > max) {
            long piece = max / cols;
            if (piece == 0) {
                throw new IllegalArgumentException("a row of " + cols + " elements is more than " + b.info()
                        + " can take in one softmax (" + max + " elements); rows cannot be split");
            }
            float[] out = new float[x.length];
            for (int r = 0; r < rows; r += (int) piece) {
                int n = (int) Math.min(piece, rows - r);
                float[] part = rowwise(b, Arrays.copyOfRange(x, r * cols, (r + n) * cols), n, cols, log);
                System.arraycopy(part, 0, out, r * cols, n * cols);
            }
            return out;
        }
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
