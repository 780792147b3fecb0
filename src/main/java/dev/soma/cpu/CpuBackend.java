package dev.soma.cpu;

import dev.soma.AbstractBackend;
import dev.soma.AbstractTensor;
import dev.soma.ActivationFunction;
import dev.soma.BackendInfo;
import dev.soma.Precision;
import dev.soma.Broadcast;

import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;

/**
 * The pure-Java path: the same formulas as the kernels ({@link JavaKernels}), split over a
 * fork-join pool of one thread per core for large inputs.
 */
public final class CpuBackend extends AbstractBackend<CpuBackend.CpuTensor> {

    /** Below this many elements a call runs on the calling thread: forking costs more than it saves. */
    static final int PARALLEL_THRESHOLD = 1 << 15;

    private final ForkJoinPool pool;
    private final int threads;
    private final BackendInfo info;

    public CpuBackend(String requested, List<String> fallbacks) {
        super(CpuTensor.class);
        this.threads = Runtime.getRuntime().availableProcessors();
        this.pool = new ForkJoinPool(threads, p -> {
            ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            t.setName("soma-java-" + t.getPoolIndex());
            t.setDaemon(true);
            return t;
        }, null, false);
        this.info = new BackendInfo(BackendInfo.Kind.JAVA, "pure Java (" + threads + " threads)", "", "java",
                requested, fallbacks);
    }

    @Override
    public BackendInfo info() {
        return info;
    }

    /** Always {@link Precision#EXACT}: the Java path evaluates every formula in double and rounds once. */
    @Override
    public Precision precision() {
        return Precision.EXACT;
    }

    @Override
    protected CpuTensor newTensor(int rows, int cols, float[] data) {
        long bytes = 4L * rows * cols;
        long heap = Runtime.getRuntime().maxMemory();
        if (bytes > heap) { // refused before allocating: an OutOfMemoryError would be later and less clear
            throw new IllegalArgumentException("tensor " + rows + " x " + cols + " needs " + bytes + " bytes, more than "
                    + "the JVM's whole heap (" + heap + " bytes, -Xmx)");
        }
        float[] storage = data == null ? new float[rows * cols] : data.clone();
        return new CpuTensor(this, rows, cols, storage);
    }

    @Override
    protected void doElementwise(ActivationFunction f, boolean derivative, CpuTensor x, CpuTensor y) {
        float[] in = x.data;
        float[] out = y.data;
        split(in.length, 1, (from, to) -> JavaKernels.elementwise(f, derivative, in, out, from, to));
    }

    @Override
    protected void doSoftmax(CpuTensor x, CpuTensor y, boolean log) {
        int cols = x.cols();
        split(x.rows(), cols, (from, to) -> JavaKernels.softmaxRows(x.data, y.data, from, to, cols, log));
    }

    @Override
    protected void doSoftmaxBackward(CpuTensor y, CpuTensor dy, CpuTensor dx, boolean log) {
        int cols = y.cols();
        split(y.rows(), cols, (from, to) -> JavaKernels.softmaxBackwardRows(y.data, dy.data, dx.data, from, to, cols, log));
    }

    @Override
    protected void doGemm(CpuTensor a, boolean transA, CpuTensor b, boolean transB, int m, int n, int k, float alpha,
                          CpuTensor c, Broadcast mode, float beta, ActivationFunction f, CpuTensor y) {
        JavaGemm.gemm(a.data, transA, b.data, transB, m, n, k, alpha, c == null ? null : c.data, mode, beta, f, y.data,
                threads > 1 && (long) m * n * k >= PARALLEL_THRESHOLD ? pool : null);
    }

    @Override
    protected void closeResources() {
        pool.shutdown();
    }

    /** Runs {@code body} over [0, count) in chunks; each unit costs {@code weight} elements. */
    private void split(int count, int weight, Parallel.Range body) {
        long work = (long) count * weight;
        boolean parallel = threads > 1 && work >= PARALLEL_THRESHOLD && count >= 2;
        Parallel.run(parallel ? pool : null, (int) Math.min(count, threads * 4L), count, body);
    }

    /** A tensor on the Java heap. */
    public static final class CpuTensor extends AbstractTensor {
        final float[] data;

        CpuTensor(CpuBackend backend, int rows, int cols, float[] data) {
            super(backend, rows, cols, () -> { });
            this.data = data;
        }

        @Override
        protected void read(float[] dst) {
            System.arraycopy(data, 0, dst, 0, data.length);
        }

        @Override
        protected void write(float[] src) {
            System.arraycopy(src, 0, data, 0, data.length);
        }
    }
}
