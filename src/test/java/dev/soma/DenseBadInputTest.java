package dev.soma;

import dev.soma.reference.Backends;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GEMM, dense and network: bad shapes, null weights, closed networks, empty batches, NaN weights. */
class DenseBadInputTest {

    private static final Backends.Pool POOL = new Backends.Pool();

    @AfterAll
    static void close() {
        POOL.close();
    }

    private static void rejects(Class<? extends RuntimeException> type, String fragment, Executable call) {
        RuntimeException e = assertThrows(type, call);
        assertTrue(e.getMessage() != null && e.getMessage().contains(fragment),
                "message should name '" + fragment + "': " + e.getMessage());
    }

    @Test
    void badGemmAndDenseArgumentsAreRejectedBeforeAnyWork() {
        for (String label : Backends.labels()) {
            Backend b = POOL.get(label);
            float[] six = {1, 2, 3, 4, 5, 6};
            try (Tensor a23 = b.upload(six, 2, 3); Tensor b32 = b.upload(six, 3, 2); Tensor y22 = b.tensor(2, 2);
                 Tensor y33 = b.tensor(3, 3); Tensor c13 = b.upload(new float[3], 1, 3);
                 Tensor empty = b.tensor(2, 0); Tensor b02 = b.tensor(0, 2)) {
                rejects(IllegalArgumentException.class, "inner dimensions differ",
                        () -> b.gemm(a23, false, a23, false, 1, null, 0, y22));
                rejects(IllegalArgumentException.class, "so y must be 2 x 2, not 3 x 3",
                        () -> b.gemm(a23, false, b32, false, 1, null, 0, y33));
                rejects(IllegalArgumentException.class, "does not broadcast",
                        () -> b.gemm(a23, false, b32, false, 1, c13, 1, y22));
                rejects(IllegalArgumentException.class, "alpha = NaN",
                        () -> b.gemm(a23, false, b32, false, Float.NaN, null, 0, y22));
                rejects(IllegalArgumentException.class, "inner dimension is 0",
                        () -> b.gemm(empty, false, b02, false, 1, null, 0, y22));
                rejects(IllegalArgumentException.class, "y must not be a",
                        () -> b.gemm(y22, false, y22, false, 1, null, 0, y22));
                rejects(IllegalArgumentException.class, "w is null",
                        () -> b.dense(a23, null, WeightLayout.OUT_IN, null, null, y22));
                rejects(IllegalArgumentException.class, "weight layout is null",
                        () -> b.dense(a23, b32, null, null, null, y22));
                rejects(IllegalArgumentException.class, "prelu has 3 slopes but the result has 2 columns",
                        () -> b.dense(a23, b32, WeightLayout.IN_OUT, null, Activation.prelu(1, 2, 3), y22));
                assertArrayEquals(six, a23.download());
                assertArrayEquals(new float[4], y22.download(), "y untouched by rejected calls");
            }
        }
    }

    @Test
    void networkShapesAreCheckedWithTheLayerNamed() {
        Backend b = POOL.get("java");
        float[] w23 = new float[6];
        rejects(IllegalArgumentException.class, "layer 1 takes 4 inputs but layer 0 gives 2",
                () -> Network.builder().dense(w23, 2, 3, null, null).dense(new float[8], 2, 4, null, null).build(b));
        rejects(IllegalArgumentException.class, "layer 0: weights have length 6, 3 x 3 needs 9",
                () -> Network.builder().dense(w23, 3, 3, null, null).build(b));
        rejects(IllegalArgumentException.class, "layer 0: weights are null",
                () -> Network.builder().dense(null, 3, 3, null, null).build(b));
        rejects(IllegalArgumentException.class, "layer 0: bias has length 1, the layer has 2 outputs",
                () -> Network.builder().dense(w23, 2, 3, new float[1], null).build(b));
        rejects(IllegalArgumentException.class, "at least one layer", () -> Network.builder().build(b));
        assertEquals(0, ((AbstractBackend<?>) b).liveTensors(), "nothing uploaded by a rejected build");
    }

    @Test
    void networkCallsAreCheckedAndClosedNetworksRefuse() {
        for (String label : Backends.labels()) {
            Backend b = POOL.get(label);
            Network net = Network.builder().dense(new float[] {1, 0, 0, 1, 1, 1}, 3, 2, null, Activation.RELU).build(b);
            rejects(IllegalArgumentException.class, "x has length 3, a batch of 2 needs 4", () -> net.forward(new float[3], 2));
            rejects(IllegalArgumentException.class, "batch is -1", () -> net.forward(new float[0], -1));
            assertEquals(0, net.forward(new float[0], 0).length, "an empty batch gives an empty result");
            // NaN in the weights propagates (it is arithmetic, not an error)
            float[] y = net.forward(new float[] {1, 2}, 1);
            assertArrayEquals(new float[] {1, 2, 3}, y);
            net.close();
            net.close();
            rejects(IllegalStateException.class, "network is closed", () -> net.forward(new float[2], 1));
            try (Network nan = Network.builder().dense(new float[] {Float.NaN, 1, 0, 1}, 2, 2, null, null).build(b)) {
                float[] out = nan.forward(new float[] {0, 1}, 1);
                assertTrue(Float.isNaN(out[0]), "0·NaN is NaN: " + out[0]);
                assertEquals(1f, out[1]);
            }
        }
    }
}
