package dev.soma.opencl;

import dev.soma.Activation;
import dev.soma.ActivationFunction;
import dev.soma.Tensor;
import dev.soma.Warmup;
import dev.soma.WeightLayout;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntSupplier;

/**
 * {@link OpenClBackend#warmup()}: every program the backend's operations can use, built (or loaded
 * from the {@link BinaryCache}) on a few threads at once.
 *
 * <p>The element-wise programs are named directly (the activation options, and the
 * {@code SOMA_P0_ONE} variant for functions with parameters, as {@code doElementwise} chooses).
 * Softmax and the dense layer are warmed by running them on tiny tensors, so that exactly the
 * programs their own code chooses are built, whatever that code becomes: the dense layer for both
 * weight layouts, with and without bias, for one row and for a batch, with every activation.
 * General GEMM with other transposes or broadcast modes is still built on first use.
 */
final class ClWarmup {

    /** Dense shapes that take the batch kernels: inputs, outputs (at least 16: the vector kernels), rows. */
    private static final int IN = 32;
    private static final int OUT = 32;
    private static final int BATCH = 8;

    private ClWarmup() {
    }

    static Warmup run(OpenClBackend be, IntSupplier programCount) {
        return run(be, programCount, List.of(Activation.values()), true);
    }

    /** Warms the programs of {@code activations} only, the dense ones when {@code dense} (tests stay quick). */
    static Warmup run(OpenClBackend be, IntSupplier programCount, List<Activation> activations, boolean dense) {
        long t0 = System.nanoTime();
        int compiled0 = BinaryCache.SOURCE_BUILDS.get();
        int loaded0 = BinaryCache.BINARY_LOADS.get();
        List<Runnable> jobs = new ArrayList<>();
        for (Activation a : activations) {
            for (boolean derivative : new boolean[] {false, true}) {
                String options = OpenClBackend.activationOptions(a, derivative);
                jobs.add(() -> be.program(OpenClBackend.ACTIVATIONS, options));
                if (!a.params().isEmpty()) { // a first parameter of 1 has its own program
                    jobs.add(() -> be.program(OpenClBackend.ACTIVATIONS, options + " -DSOMA_P0_ONE=1"));
                }
            }
        }
        jobs.add(() -> softmax(be));
        for (Activation a : dense ? activations : List.<Activation>of()) {
            for (WeightLayout layout : WeightLayout.values()) {
                for (boolean bias : new boolean[] {false, true}) {
                    for (int rows : new int[] {1, BATCH}) {
                        jobs.add(() -> dense(be, a, layout, bias, rows));
                    }
                }
            }
        }
        runAll(jobs);
        be.finish();
        // store now (they have run: their binaries hold what the driver compiled at launch), in parallel
        runAll(be.builtPrograms().stream().map(p -> (Runnable) p::store).toList());
        Path folder = BinaryCache.folder();
        return new Warmup(programCount.getAsInt(), BinaryCache.SOURCE_BUILDS.get() - compiled0,
                BinaryCache.BINARY_LOADS.get() - loaded0, folder == null ? "off" : folder.toString(),
                Duration.ofNanos(System.nanoTime() - t0));
    }

    private static void softmax(OpenClBackend be) {
        try (Tensor x = be.tensor(2, 4); Tensor y = be.tensor(2, 4)) {
            be.softmax(x, y);
            be.logSoftmax(x, y);
        }
    }

    private static void dense(OpenClBackend be, ActivationFunction f, WeightLayout layout, boolean bias, int rows) {
        int wr = layout == WeightLayout.OUT_IN ? OUT : IN;
        int wc = layout == WeightLayout.OUT_IN ? IN : OUT;
        try (Tensor x = be.tensor(rows, IN); Tensor w = be.tensor(wr, wc); Tensor b = be.tensor(1, OUT);
             Tensor y = be.tensor(rows, OUT)) {
            be.dense(x, w, layout, bias ? b : null, f, y);
        }
    }

    /** Runs every job on up to four threads (compilers are single-threaded); the first failure is thrown. */
    private static void runAll(List<Runnable> jobs) {
        int threads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "soma-warmup");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (Runnable job : jobs) {
                futures.add(pool.submit(job));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("warmup interrupted", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) {
                throw r;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException("warmup failed", c);
        } finally {
            pool.shutdownNow();
        }
    }
}
