package dev.soma;

/**
 * The part of a tensor every backend shares: shape, owner, the single close, leak reporting and the
 * checks of {@link #download} and {@link #upload}. Not for use outside soma's backends.
 */
public abstract class AbstractTensor implements Tensor {

    private final AbstractBackend<?> backend;
    private final int rows;
    private final int cols;
    private final Leaks.Handle handle;

    /**
     * @param release frees the storage; must not refer to this tensor (it runs after a leaked
     *                tensor has been collected)
     */
    protected AbstractTensor(AbstractBackend<?> backend, int rows, int cols, Runnable release) {
        this.backend = backend;
        this.rows = rows;
        this.cols = cols;
        this.handle = Leaks.register(this, "tensor " + rows + " x " + cols + " on " + backend.info().device(), release);
        backend.adopt(handle);
    }

    @Override
    public final int rows() {
        return rows;
    }

    @Override
    public final int cols() {
        return cols;
    }

    @Override
    public final Backend backend() {
        return backend;
    }

    @Override
    public final float[] download() {
        checkOpen();
        float[] out = new float[(int) size()];
        backend.run(() -> read(out), this);
        return out;
    }

    @Override
    public final void download(float[] dst) {
        Checks.length(dst, rows, cols, "dst");
        checkOpen();
        backend.run(() -> read(dst), this);
    }

    @Override
    public final void upload(float[] src) {
        Checks.length(src, rows, cols, "src");
        checkOpen();
        backend.run(() -> write(src), this);
    }

    @Override
    public final boolean isClosed() {
        return handle.isClosed();
    }

    @Override
    public final void close() {
        if (!handle.isClosed()) {
            backend.closeTensor(() -> { // not under a call that uses it on another thread
                handle.close();
                backend.release(handle);
            });
        }
    }

    /** Throws {@link IllegalStateException} when this tensor or its backend is closed. */
    public final void checkOpen() {
        if (handle.isClosed()) {
            throw new IllegalStateException("tensor " + rows + " x " + cols + " is closed");
        }
        backend.checkOpen();
    }

    /** Copies all of the storage into {@code dst} (length checked). */
    protected abstract void read(float[] dst);

    /** Replaces all of the storage with {@code src} (length checked). */
    protected abstract void write(float[] src);

    @Override
    public String toString() {
        return "Tensor[" + rows + " x " + cols + (isClosed() ? ", closed" : "") + "]";
    }
}
