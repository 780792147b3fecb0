package dev.soma.hardening;

import dev.soma.Activation;
import dev.soma.ActivationFunction;
import dev.soma.Backend;
import dev.soma.Network;
import dev.soma.Soma;
import dev.soma.Tensor;
import dev.soma.WeightLayout;
import dev.soma.reference.Backends;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * One backend shared by {@value #THREADS} threads, each running {@value #OPS_PER_THREAD} mixed
 * operations (activations forward and backward, PReLU, softmax and log-softmax with their backward
 * passes, dense layers, GEMM, a shared network, host-array calls; shapes changing from call to call so
 * that the softmax scratch buffers regrow under contention), each on tensors the thread creates and
 * closes. The results must equal, bit for bit, the same operations run one after another on one
 * thread; no exception, and no deadlock (a preemptive timeout). The concurrent run comes first, on a
 * fresh backend, so that the programs are built under contention too.
 */
class ConcurrencyTest {

    static final int THREADS = 8;
    static final int OPS_PER_THREAD = 150;
    /** Few functions: each (function, forward or derivative, fused or not) is a program to build, twice. */
    private static final ActivationFunction[] FUNCTIONS = {Activation.RELU, Activation.GELU, Activation.ELU.with(0.7),
        Activation.SIGMOID, Activation.noisyRelu(0.1, 42L)};

    @Test
    void eightThreadsOnOneBackendGiveTheSingleThreadBits() throws Exception {
        for (String label : Backends.labels()) {
            Backend shared = label.equals("java") ? Soma.java() : Backends.openClOrSkip(label);
            try (Network net = network(shared)) {
                long t0 = System.nanoTime();
                float[][][] got = assertTimeoutPreemptively(Duration.ofSeconds(120), () -> runConcurrently(shared, net),
                        "8 threads on " + shared.info() + " did not finish: deadlock?");
                long t1 = System.nanoTime();
                for (int t = 0; t < THREADS; t++) { // then the same work on this thread, programs now built
                    for (int i = 0; i < OPS_PER_THREAD; i++) {
                        if (!Arrays.equals(op(shared, net, t, i), got[t][i])) {
                            fail("thread " + t + ", operation " + i + " (" + kind(t, i) + ") on " + shared.info()
                                    + " differs from the single-thread run");
                        }
                    }
                }
                assertEquals(2 + 2 + 1, ((dev.soma.AbstractBackend<?>) shared).liveTensors(),
                        "only the network's weights, biases and hidden buffer are left");
                System.out.printf("soma hardening: %d threads x %d operations on %s: bit-identical to one thread "
                        + "(%d ms concurrent, %d ms on one thread)%n", THREADS, OPS_PER_THREAD, shared.info(),
                        (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000);
            } finally {
                shared.close();
            }
        }
    }

    /**
     * Closing under load: 8 threads work on a backend (their own tensors, and one tensor they all read)
     * while the main thread first closes the shared tensor, then the backend. Every call either
     * completes or throws {@link IllegalStateException}; none uses a released buffer, queue or kernel
     * (that would be a use after free in the driver: a crash, not an exception).
     */
    @Test
    void closingATensorAndTheBackendUnderEightThreadsIsClean() throws Exception {
        for (String label : Backends.labels()) {
            Backend b = label.equals("java") ? Soma.java() : Backends.openClOrSkip(label);
            float[] data = values(64 * 64, 1, 2f);
            Tensor shared = b.upload(data, 64, 64);
            try (Tensor warm = b.tensor(64, 64)) { // programs built before the threads start
                b.forward(Activation.GELU, shared, warm);
                b.softmax(shared, warm);
            }
            java.util.concurrent.atomic.AtomicInteger completed = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    int thread = t;
                    futures.add(pool.submit(() -> {
                        for (int i = 0; !b.isClosed() || i < 10; i++) {
                            try (Tensor y = b.tensor(64, 64)) {
                                if ((thread + i) % 2 == 0) {
                                    b.forward(Activation.GELU, shared, y);
                                } else {
                                    b.softmax(shared, y);
                                }
                                y.download();
                                completed.incrementAndGet();
                            } catch (IllegalStateException e) {
                                refused.incrementAndGet(); // the documented outcome of a closed tensor or backend
                            }
                            if (b.isClosed() && i >= 10) {
                                return null;
                            }
                        }
                        return null;
                    }));
                }
                Thread.sleep(150);
                shared.close();
                Thread.sleep(100);
                b.close();
                assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                    for (Future<?> f : futures) {
                        f.get(); // an exception other than IllegalStateException fails here
                    }
                });
                assertTrue(completed.get() > 0 && refused.get() > 0, "completed " + completed + ", refused " + refused);
                System.out.printf("soma hardening: closing under %d threads on %s: %d calls completed, %d refused "
                        + "with IllegalStateException%n", THREADS, b.info(), completed.get(), refused.get());
            } finally {
                pool.shutdownNow();
                pool.awaitTermination(10, TimeUnit.SECONDS);
                b.close();
            }
        }
    }

    private static float[][][] runConcurrently(Backend b, Network net) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            CyclicBarrier start = new CyclicBarrier(THREADS);
            List<Future<float[][]>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    float[][] out = new float[OPS_PER_THREAD][];
                    for (int i = 0; i < OPS_PER_THREAD; i++) {
                        out[i] = op(b, net, thread, i);
                    }
                    return out;
                }));
            }
            float[][][] all = new float[THREADS][][];
            for (int t = 0; t < THREADS; t++) {
                all[t] = futures.get(t).get(); // rethrows the first exception of that thread
            }
            return all;
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    private static final int IN = 24;
    private static final int HIDDEN = 16;
    private static final int OUT = 10;

    private static Network network(Backend b) {
        return Network.builder().dense(values(HIDDEN * IN, 7, 0.1f), HIDDEN, IN, values(HIDDEN, 8, 0.05f),
                        Activation.GELU)
                .dense(values(OUT * HIDDEN, 9, 0.2f), OUT, HIDDEN, values(OUT, 10, 0.1f), null).softmax().build(b);
    }

    private static String kind(int t, int i) {
        return new String[] {"forward", "derivative", "prelu", "softmax", "log-softmax backward", "dense",
            "gemm", "network", "host forward", "host softmax"}[(t * 3 + i) % 10];
    }

    /** Operation i of thread t: a deterministic function of (t, i) alone. */
    private static float[] op(Backend b, Network net, int t, int i) {
        int rows = 1 + (t * 5 + i * 3) % 13;
        int cols = 1 + (t * 11 + i * 7) % 61;
        float[] x = values(rows * cols, t * 1000 + i, 3f);
        ActivationFunction f = FUNCTIONS[(t + i) % FUNCTIONS.length];
        switch ((t * 3 + i) % 10) {
            case 0:
            case 1:
                try (Tensor tx = b.upload(x, rows, cols); Tensor ty = b.tensor(rows, cols)) {
                    if ((t * 3 + i) % 10 == 0) {
                        b.forward(f, tx, ty);
                    } else {
                        b.derivative(f, tx, ty);
                    }
                    return ty.download();
                }
            case 2:
                try (Tensor tx = b.upload(x, rows, cols)) {
                    b.forward(Activation.prelu(values(cols, i, 0.5f)), tx, tx);
                    return tx.download();
                }
            case 3:
                try (Tensor tx = b.upload(x, rows, cols); Tensor ty = b.tensor(rows, cols)) {
                    b.softmax(tx, ty);
                    return ty.download();
                }
            case 4:
                try (Tensor tx = b.upload(x, rows, cols); Tensor ty = b.tensor(rows, cols);
                     Tensor dy = b.upload(values(rows * cols, i, 1f), rows, cols)) {
                    b.logSoftmax(tx, ty);
                    b.logSoftmaxBackward(ty, dy, dy);
                    return dy.download();
                }
            case 5:
                try (Tensor tx = b.upload(x, rows, cols); Tensor w = b.upload(values(cols * 9, i, 0.3f), cols, 9);
                     Tensor bias = b.upload(values(9, t, 1f), 1, 9); Tensor y = b.tensor(rows, 9)) {
                    b.dense(tx, w, WeightLayout.IN_OUT, bias, f, y);
                    return y.download();
                }
            case 6:
                try (Tensor a = b.upload(x, rows, cols); Tensor bm = b.upload(values(5 * cols, i, 1f), 5, cols);
                     Tensor c = b.upload(values(rows, t, 1f), rows, 1); Tensor y = b.tensor(rows, 5)) {
                    b.gemm(a, false, bm, true, 0.75f, c, -1.5f, y);
                    return y.download();
                }
            case 7:
                return net.forward(values(rows * IN, t * 31 + i, 2f), rows);
            case 8:
                return b.forward(f, x);
            default:
                return b.softmax(x, rows, cols);
        }
    }

    /** n pseudo-random values in [-scale, scale) from seed (a fixed LCG: the same on every run). */
    static float[] values(int n, long seed, float scale) {
        float[] v = new float[n];
        long s = seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
        for (int j = 0; j < n; j++) {
            s = s * 6364136223846793005L + 1442695040888963407L;
            v[j] = ((s >>> 40) / (float) (1 << 24) * 2f - 1f) * scale;
        }
        return v;
    }
}
