package dev.soma;

/**
 * Where soma computes: one OpenCL device, or the pure-Java path. Get one from {@link Soma#open()}.
 *
 * <p>Every operation checks its arguments (null, shape, closed tensor, foreign tensor, parameter
 * values) before any device work and throws {@link IllegalArgumentException} or
 * {@link IllegalStateException} naming the problem; the caller's arrays are never modified by a
 * failing call. Element-wise operations may write in place ({@code y == x}).
 *
 * <p>Host-array methods are conveniences on top of tensors: each uploads, computes and downloads.
 * For real work upload once, chain operations on tensors, download once.
 *
 * <p>A backend is safe to share between threads. Closing it closes every tensor it still owns.
 */
public interface Backend extends AutoCloseable {

    BackendInfo info();

    /** How this backend computes: {@link Precision#EXACT} on the pure-Java path, else as opened. */
    Precision precision();

    /** A new zero-filled tensor. */
    Tensor tensor(int rows, int cols);

    /**
     * A new tensor holding a copy of {@code data}, row-major.
     *
     * @param data not modified; length must be rows × cols
     */
    Tensor upload(float[] data, int rows, int cols);

    /** {@code upload(data, 1, data.length)}. */
    default Tensor upload(float[] data) {
        if (data == null) {
            throw new IllegalArgumentException("data is null");
        }
        return upload(data, 1, data.length);
    }

    /** y = f(x) element-wise. {@code y} may be {@code x}; shapes must match. */
    void forward(ActivationFunction f, Tensor x, Tensor y);

    /** y = f′(x) element-wise. {@code y} may be {@code x}; shapes must match. */
    void derivative(ActivationFunction f, Tensor x, Tensor y);

    /** Softmax over each row (the last axis). {@code y} may be {@code x}. */
    void softmax(Tensor x, Tensor y);

    /** Log-softmax over each row. {@code y} may be {@code x}. */
    void logSoftmax(Tensor x, Tensor y);

    /** dx = y ⊙ (dy − Σ dy·y) per row, given y = softmax(x). {@code dx} may be {@code dy}. */
    void softmaxBackward(Tensor y, Tensor dy, Tensor dx);

    /** dx = dy − e^y · Σ dy per row, given y = logSoftmax(x). {@code dx} may be {@code dy}. */
    void logSoftmaxBackward(Tensor y, Tensor dy, Tensor dx);

    /**
     * ONNX {@code Gemm}: y = alpha·op(a)·op(b) + beta·c, where op(a) = a (or aᵀ when {@code transA})
     * is M × K and op(b) = b (or bᵀ when {@code transB}) is K × N.
     *
     * @param c    null for no C term, else 1 × 1, 1 × N, M × 1 or M × N, broadcast over the result
     *             ({@link Broadcast}); not modified unless it is y
     * @param y    M × N; modified; must not be a or b (may be c)
     * @throws IllegalArgumentException for mismatched shapes, K = 0, aliasing, or a non-finite
     *         alpha or beta; NaN inside the matrices is not an error and propagates
     */
    void gemm(Tensor a, boolean transA, Tensor b, boolean transB, float alpha, Tensor c, float beta, Tensor y);

    /**
     * The dense layer y = f(x·Wᵀ + bias) in one kernel: bias and activation are applied to each
     * result before it is written.
     *
     * @param x      batch × in; not modified
     * @param w      out × in for {@link WeightLayout#OUT_IN} (PyTorch), in × out for
     *               {@link WeightLayout#IN_OUT} (Keras); not modified
     * @param bias   1 × out, or null for none; not modified
     * @param f      the activation, or null for none
     * @param y      batch × out; modified; must not be x or w
     */
    void dense(Tensor x, Tensor w, WeightLayout layout, Tensor bias, ActivationFunction f, Tensor y);

    /**
     * f(x) into a new array.
     *
     * @param x not modified
     */
    default float[] forward(ActivationFunction f, float[] x) {
        return HostOps.elementwise(this, f, x, false);
    }

    /**
     * f′(x) into a new array.
     *
     * @param x not modified
     */
    default float[] derivative(ActivationFunction f, float[] x) {
        return HostOps.elementwise(this, f, x, true);
    }

    /**
     * Softmax of each row of the rows × cols matrix {@code x}, into a new array.
     *
     * @param x not modified
     */
    default float[] softmax(float[] x, int rows, int cols) {
        return HostOps.rowwise(this, x, rows, cols, false);
    }

    /**
     * Log-softmax of each row of the rows × cols matrix {@code x}, into a new array.
     *
     * @param x not modified
     */
    default float[] logSoftmax(float[] x, int rows, int cols) {
        return HostOps.rowwise(this, x, rows, cols, true);
    }

    /**
     * Builds every program this backend can use now rather than on first use: each activation
     * forward and derivative, softmax and log-softmax, and the dense-layer programs (both weight
     * layouts, with and without bias, single rows and batches). On OpenCL each comes from soma's
     * program binary cache when it is there and is stored in it otherwise, so a warmup when a
     * deployment image is made spares every later process the compiler. Safe to call more than
     * once (the second call finds everything built) and from any thread. On the pure-Java path a
     * no-op that returns at once.
     */
    default Warmup warmup() {
        return Warmup.none(java.time.Duration.ZERO);
    }

    /** Whether {@link #close()} has run. */
    boolean isClosed();

    /** Closes every tensor this backend still owns, then its device resources. Idempotent. */
    @Override
    void close();
}
