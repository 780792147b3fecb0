package dev.soma;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * The checks every backend shares, done once here before any backend-specific work: null
 * arguments, closed or foreign tensors, shapes and PReLU's slope count. A subclass implements the
 * {@code do*} methods and may assume valid, non-empty arguments. Not for use outside soma.
 *
 * @param <T> the backend's tensor class
 */
public abstract class AbstractBackend<T extends AbstractTensor> implements Backend {

    private final Class<T> tensorClass;
    private final Set<Leaks.Handle> owned = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    /**
     * Operations hold the read lock while they touch native objects; closing the backend or a tensor
     * takes the write lock, so that nothing is released under a call in flight on another thread
     * (which would be a use after free in the driver).
     */
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();

    protected AbstractBackend(Class<T> tensorClass) {
        this.tensorClass = tensorClass;
    }

    @Override
    public final Tensor tensor(int rows, int cols) {
        Checks.shape(rows, cols);
        checkOpen();
        return run(true, () -> newTensor(rows, cols, null));
    }

    @Override
    public final Tensor upload(float[] data, int rows, int cols) {
        Checks.length(data, rows, cols, "data");
        checkOpen();
        return run(true, () -> newTensor(rows, cols, data));
    }

    @Override
    public final void forward(ActivationFunction f, Tensor x, Tensor y) {
        elementwise(f, x, y, false);
    }

    @Override
    public final void derivative(ActivationFunction f, Tensor x, Tensor y) {
        elementwise(f, x, y, true);
    }

    private void elementwise(ActivationFunction f, Tensor x, Tensor y, boolean derivative) {
        Checks.notNull(f, "activation");
        T xt = own(x, "x");
        T yt = own(y, "y");
        Checks.sameShape(x, "x", y, "y");
        if (f.activation() == Activation.PRELU) {
            int n = f.slopes().length;
            if (n != 1 && n != x.cols()) {
                throw new IllegalArgumentException("prelu has " + n + " slopes but the tensor has " + x.cols()
                        + " columns (give one slope, or one per column)");
            }
        }
        if (x.size() > 0) {
            run(() -> doElementwise(f, derivative, xt, yt), xt, yt);
        }
    }

    @Override
    public final void softmax(Tensor x, Tensor y) {
        rowwise(x, y, false);
    }

    @Override
    public final void logSoftmax(Tensor x, Tensor y) {
        rowwise(x, y, true);
    }

    private void rowwise(Tensor x, Tensor y, boolean log) {
        T xt = own(x, "x");
        T yt = own(y, "y");
        Checks.sameShape(x, "x", y, "y");
        if (x.size() > 0) {
            run(() -> doSoftmax(xt, yt, log), xt, yt);
        }
    }

    @Override
    public final void softmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        rowwiseBackward(y, dy, dx, false);
    }

    @Override
    public final void logSoftmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        rowwiseBackward(y, dy, dx, true);
    }

    private void rowwiseBackward(Tensor y, Tensor dy, Tensor dx, boolean log) {
        T yt = own(y, "y");
        T dyt = own(dy, "dy");
        T dxt = own(dx, "dx");
        Checks.sameShape(y, "y", dy, "dy");
        Checks.sameShape(y, "y", dx, "dx");
        if (dx == y && y != dy) {
            throw new IllegalArgumentException("dx must not be y: the backward pass reads y after writing dx "
                    + "(dx may be dy)");
        }
        if (y.size() > 0) {
            run(() -> doSoftmaxBackward(yt, dyt, dxt, log), yt, dyt, dxt);
        }
    }

    @Override
    public final void gemm(Tensor a, boolean transA, Tensor b, boolean transB, float alpha, Tensor c, float beta,
                           Tensor y) {
        gemm(a, "a", transA, b, "b", transB, alpha, c, beta, null, y);
    }

    @Override
    public final void dense(Tensor x, Tensor w, WeightLayout layout, Tensor bias, ActivationFunction f, Tensor y) {
        Checks.notNull(layout, "weight layout");
        Checks.notNull(w, "w");
        int out = layout == WeightLayout.OUT_IN ? w.rows() : w.cols();
        if (bias != null && (bias.rows() != 1 || bias.cols() != out)) {
            throw new IllegalArgumentException("bias is " + bias.rows() + " x " + bias.cols() + ", the layer has " + out
                    + " outputs: it must be 1 x " + out);
        }
        gemm(x, "x", false, w, "w", layout == WeightLayout.OUT_IN, 1f, bias, 1f, f, y);
    }

    private void gemm(Tensor a, String an, boolean transA, Tensor b, String bn, boolean transB, float alpha, Tensor c,
                      float beta, ActivationFunction f, Tensor y) {
        T at = own(a, an);
        T bt = own(b, bn);
        T yt = own(y, "y");
        T ct = c == null ? null : own(c, c.rows() == 1 && an.equals("x") ? "bias" : "c");
        if (!Float.isFinite(alpha) || !Float.isFinite(beta)) {
            throw new IllegalArgumentException("alpha = " + alpha + ", beta = " + beta + ": both must be finite");
        }
        int m = transA ? a.cols() : a.rows();
        int k = transA ? a.rows() : a.cols();
        int kb = transB ? b.cols() : b.rows();
        int n = transB ? b.rows() : b.cols();
        String shapes = an + (transA ? "ᵀ" : "") + " is " + m + " x " + k + ", " + bn + (transB ? "ᵀ" : "") + " is "
                + kb + " x " + n;
        if (k != kb) {
            throw new IllegalArgumentException(shapes + ": the inner dimensions differ");
        }
        if (k == 0) {
            throw new IllegalArgumentException(shapes + ": the inner dimension is 0");
        }
        if (y.rows() != m || y.cols() != n) {
            throw new IllegalArgumentException(shapes + ", so y must be " + m + " x " + n + ", not " + y.rows() + " x "
                    + y.cols());
        }
        if (y == a || y == b) {
            throw new IllegalArgumentException("y must not be " + (y == a ? an : bn) + ": the product reads it while y is written");
        }
        Broadcast mode = c == null ? Broadcast.NONE : Broadcast.of(c.rows(), c.cols(), m, n);
        if (c != null && c == y && mode != Broadcast.FULL) {
            throw new IllegalArgumentException("y may be c only when c is the full " + m + " x " + n + " matrix");
        }
        if (f != null && f.activation() == Activation.PRELU) {
            int s = f.slopes().length;
            if (s != 1 && s != n) {
                throw new IllegalArgumentException("prelu has " + s + " slopes but the result has " + n + " columns");
            }
        }
        if (m > 0 && n > 0) {
            run(() -> doGemm(at, transA, bt, transB, m, n, k, alpha, ct, mode, beta, f, yt), at, bt, ct, yt);
        }
    }

    /** Checks that {@code t} is an open tensor of this backend and returns it typed. */
    protected final T own(Tensor t, String name) {
        Checks.notNull(t, name);
        if (!tensorClass.isInstance(t) || t.backend() != this) {
            throw new IllegalArgumentException(name + " belongs to another backend (" + t.backend().info()
                    + "), not to " + info());
        }
        T typed = tensorClass.cast(t);
        if (typed.isClosed()) {
            throw new IllegalStateException(name + " (tensor " + t.rows() + " x " + t.cols() + ") is closed");
        }
        checkOpen();
        return typed;
    }

    /** Throws {@link IllegalStateException} when this backend is closed. */
    public final void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("backend " + info() + " is closed");
        }
    }

    @Override
    public final boolean isClosed() {
        return closed.get();
    }

    @Override
    public final void close() {
        Lock l = lifecycle.writeLock();
        l.lock(); // waits for calls in flight on other threads
        try {
            if (closed.compareAndSet(false, true)) {
                for (Leaks.Handle h : owned) {
                    h.close();
                }
                owned.clear();
                closeResources();
            }
        } finally {
            l.unlock();
        }
    }

    /** Runs {@code release} (a tensor's close) when no call is in flight. */
    final void closeTensor(Runnable release) {
        Lock l = lifecycle.writeLock();
        l.lock();
        try {
            release.run();
        } finally {
            l.unlock();
        }
    }

    /** Number of tensors this backend owns that are still open (a leaked tensor stops counting once collected). */
    public final int liveTensors() {
        return (int) owned.stream().filter(h -> !h.isClosed()).count();
    }

    final void adopt(Leaks.Handle h) {
        owned.add(h);
        int n = owned.size();
        if (n >= 1024 && Integer.bitCount(n) == 1) {
            owned.removeIf(Leaks.Handle::isClosed); // drop leaked tensors released by the cleaner
        }
    }

    final void release(Leaks.Handle h) {
        owned.remove(h);
    }

    /** Runs one operation's backend work (arguments already checked) and reports how it ended to {@link #outcome}. */
    final void run(Runnable work, AbstractTensor... uses) {
        run(false, () -> {
            work.run();
            return null;
        }, uses);
    }

    private <R> R run(boolean allocation, Supplier<R> work, AbstractTensor... uses) {
        Lock l = lifecycle.readLock();
        l.lock();
        try {
            checkOpen(); // again, under the lock: another thread may have closed the backend or a tensor meanwhile
            for (AbstractTensor t : uses) {
                if (t != null && t.isClosed()) {
                    throw new IllegalStateException(t + " was closed by another thread while this call began");
                }
            }
            R r;
            try {
                r = work.get();
            } catch (RuntimeException e) {
                outcome(allocation, e);
                throw e;
            }
            outcome(allocation, null);
            return r;
        } finally {
            l.unlock();
        }
    }

    /**
     * Told after each operation's backend work: whether it made a tensor ({@code allocation}), and
     * null when it succeeded, else what it threw (the OpenCL backend counts failures in a row, see
     * {@code DeviceHealth}). Does nothing by default.
     */
    protected void outcome(boolean allocation, RuntimeException failure) {
    }

    /**
     * The most elements one tensor may hold on this backend, for an element-wise operation or (when
     * {@code rowwise}) a softmax; the host-array calls split longer arrays into pieces of at most this
     * many. A Java array's limit unless the backend has a smaller one (an OpenCL device's
     * {@code CL_DEVICE_MAX_MEM_ALLOC_SIZE}).
     */
    protected long maxElements(boolean rowwise) {
        return Integer.MAX_VALUE - 8;
    }

    /** {@link #maxElements} of {@code b}, or no limit for a backend that is not soma's. */
    static long maxElements(Backend b, boolean rowwise) {
        return b instanceof AbstractBackend<?> ab ? ab.maxElements(rowwise) : Long.MAX_VALUE;
    }

    /** A new tensor, zero-filled when {@code data} is null, else holding a copy of it. */
    protected abstract T newTensor(int rows, int cols, float[] data);

    protected abstract void doElementwise(ActivationFunction f, boolean derivative, T x, T y);

    protected abstract void doSoftmax(T x, T y, boolean log);

    /**
     * y = f(alpha·op(a)·op(b) + beta·c) with valid shapes, M, N, K ≥ 1, c null exactly when mode is
     * NONE, f null for none.
     */
    protected abstract void doGemm(T a, boolean transA, T b, boolean transB, int m, int n, int k, float alpha, T c,
                                   Broadcast mode, float beta, ActivationFunction f, T y);

    protected abstract void doSoftmaxBackward(T y, T dy, T dx, boolean log);

    /** Releases the backend's own resources after all its tensors are closed. */
    protected abstract void closeResources();
}
