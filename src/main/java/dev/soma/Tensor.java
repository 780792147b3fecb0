package dev.soma;

/**
 * A rows × cols float32 matrix, row-major, living where its {@link Backend} computes: in device
 * memory for OpenCL, in a Java array for the pure-Java path. Upload once, chain operations,
 * download once.
 *
 * <p>A tensor is owned by the code that created it and must be closed once; closing the backend
 * closes every tensor it still owns. Use after close throws {@link IllegalStateException}. A tensor
 * that is garbage-collected without being closed is reported by {@link Leaks}.
 */
public interface Tensor extends AutoCloseable {

    int rows();

    int cols();

    /** rows × cols. */
    default long size() {
        return (long) rows() * cols();
    }

    /** The backend that owns this tensor; operations take tensors of that backend only. */
    Backend backend();

    /** Copies the contents into a new array of length {@link #size()}. */
    float[] download();

    /**
     * Copies the contents into {@code dst}.
     *
     * @param dst modified; its length must equal {@link #size()}
     */
    void download(float[] dst);

    /**
     * Replaces the contents with {@code src}.
     *
     * @param src not modified; its length must equal {@link #size()}
     */
    void upload(float[] src);

    boolean isClosed();

    /** Releases the storage. Idempotent: a second call does nothing. */
    @Override
    void close();
}
