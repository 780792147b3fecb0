package dev.soma.opencl;

import dev.soma.Activation;
import dev.soma.Backend;
import dev.soma.Soma;
import dev.soma.Tensor;
import dev.soma.Warmup;
import dev.soma.reference.Backends;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * warmup(): builds the programs the operations then use (no build on first use afterwards), fills
 * the cache for the next backend, and is a no-op on the Java path. Counted, never timed; a subset of
 * activations and no dense programs keep it quick (the full set is what {@code soma warmup} builds).
 */
class WarmupTest {

    @TempDir
    Path dir;
    private CacheFolder cache;

    @BeforeEach
    void useTempCache() {
        cache = CacheFolder.use(dir.toString());
    }

    @AfterEach
    void restore() {
        cache.close();
    }

    @Test
    void javaPathWarmupDoesNothing() {
        try (Backend b = Soma.java()) {
            Warmup w = b.warmup();
            assertEquals(0, w.programs());
            assertEquals(0, w.compiled() + w.loaded());
        }
    }

    @Test
    void warmedOperationsBuildNothingOnFirstUseAndTheNextBackendLoadsThem() {
        List<String> sel = Backends.openClSelectors();
        if (sel.isEmpty()) {
            Backends.noOpenClDevice();
        }
        List<Activation> subset = List.of(Activation.ELU, Activation.TANH);
        try (Backend b = Backends.openCl(sel.get(0))) {
            OpenClBackend cl = (OpenClBackend) b;
            Warmup w = cl.warmup(subset, false);
            // ELU: forward and derivative, each plain and with alpha = 1; TANH: forward and derivative; softmax, log-softmax
            assertEquals(8, w.compiled(), w.toString());
            assertEquals(0, w.loaded(), w.toString());
            assertEquals(9, w.programs(), "and the program built at open: " + w);
            assertEquals(dir.toString(), w.cache());

            int built = BinaryCache.SOURCE_BUILDS.get() + BinaryCache.BINARY_LOADS.get();
            float[] x = {-2f, -0.5f, 0f, 0.5f, 2f};
            b.forward(Activation.ELU, x);
            b.forward(Activation.ELU.with(0.5), x);
            b.derivative(Activation.ELU.with(2.0), x);
            b.derivative(Activation.ELU, x);
            b.forward(Activation.TANH, x);
            b.derivative(Activation.TANH, x);
            b.softmax(x, 1, 5);
            b.logSoftmax(x, 1, 5);
            try (Tensor t = b.upload(x, 1, 5); Tensor dy = b.upload(x, 1, 5); Tensor dx = b.tensor(1, 5)) {
                b.softmaxBackward(t, dy, dx);
                b.logSoftmaxBackward(t, dy, dx);
            }
            assertEquals(built, BinaryCache.SOURCE_BUILDS.get() + BinaryCache.BINARY_LOADS.get(),
                    "nothing built on first use after warmup");

            Warmup again = cl.warmup(subset, false);
            assertEquals(0, again.compiled() + again.loaded(), "a second warmup finds everything built");
        }
        try (Backend b = Backends.openCl(sel.get(0))) {
            Warmup w = ((OpenClBackend) b).warmup(subset, false);
            assertEquals(0, w.compiled(), w.toString());
            assertEquals(8, w.loaded(), w.toString());
            assertTrue(w.time().toNanos() > 0);
        }
    }
}
