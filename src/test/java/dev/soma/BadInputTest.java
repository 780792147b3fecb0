package dev.soma;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input gets a clear exception naming the problem, before any device work, and the caller's
 * arrays and tensors are left as they were.
 */
class BadInputTest {

    private static final List<Backend> BACKENDS = new ArrayList<>();

    @BeforeAll
    static void open() {
        BACKENDS.add(Soma.java());
        Soma.openClDevices().forEach(s -> BACKENDS.add(DeviceTests.openCl(s)));
        if (BACKENDS.size() == 1) {
            DeviceTests.openClSelectorsOrSkip();
        }
    }

    @AfterAll
    static void close() {
        BACKENDS.forEach(Backend::close);
    }

    private static void rejects(Class<? extends RuntimeException> type, String fragment, Executable call) {
        RuntimeException e = assertThrows(type, call);
        assertTrue(e.getMessage() != null && e.getMessage().contains(fragment),
                "message should name '" + fragment + "': " + e.getMessage());
    }

    @Test
    void parametersOutsideTheCatalogueAreRejected() {
        rejects(IllegalArgumentException.class, "alpha is -0.5, must be >= 0", () -> Activation.ELU.with(-0.5));
        rejects(IllegalArgumentException.class, "alpha is NaN", () -> Activation.LEAKY_RELU.with(Double.NaN));
        rejects(IllegalArgumentException.class, "beta is Infinity", () -> Activation.SOFTPLUS.with(Double.POSITIVE_INFINITY));
        rejects(IllegalArgumentException.class, "beta is 0.0, must be > 0", () -> Activation.SOFTPLUS.with(0));
        rejects(IllegalArgumentException.class, "alpha is 0.0, must be > 0", () -> Activation.CELU.with(0));
        rejects(IllegalArgumentException.class, "float32 cannot hold", () -> Activation.LEAKY_RELU.with(1e300));
        rejects(IllegalArgumentException.class, "takes 2 parameter(s)", () -> Activation.HARD_SIGMOID.with(0.2));
        rejects(IllegalArgumentException.class, "takes 0 parameter(s)", () -> Activation.RELU.with(1));
        rejects(IllegalArgumentException.class, "slope[1] is NaN", () -> Activation.prelu(0.1f, Float.NaN));
        rejects(IllegalArgumentException.class, "slopes array is empty", Activation::prelu);
        rejects(IllegalArgumentException.class, "s is -1.0", () -> Activation.noisyRelu(-1, 1));
        rejects(IllegalArgumentException.class, "unknown activation 'relu7'", () -> Activation.byName("relu7"));
    }

    @Test
    void badArgumentsAreRejectedAndNothingIsModified() {
        for (Backend b : BACKENDS) {
            float[] x = {1f, -2f, 3f, Float.NaN, -0f, 6f};
            float[] before = x.clone();
            try (Tensor t23 = b.upload(x, 2, 3); Tensor t32 = b.upload(x, 3, 2); Tensor dy = b.upload(x, 2, 3)) {
                rejects(IllegalArgumentException.class, "activation is null", () -> b.forward(null, x));
                rejects(IllegalArgumentException.class, "x is null", () -> b.forward(Activation.RELU, (float[]) null));
                rejects(IllegalArgumentException.class, "x is 2 x 3 but y is 3 x 2", () -> b.forward(Activation.TANH, t23, t32));
                rejects(IllegalArgumentException.class, "y is null", () -> b.derivative(Activation.TANH, t23, null));
                rejects(IllegalArgumentException.class, "data has length 6, shape 2 x 2 needs 4", () -> b.upload(x, 2, 2));
                rejects(IllegalArgumentException.class, "negative dimension", () -> b.tensor(-1, 3));
                rejects(IllegalArgumentException.class, "more than a Java array holds", () -> b.tensor(1 << 16, 1 << 16));
                rejects(IllegalArgumentException.class, "has length 6, shape 1 x 7 needs 7", () -> b.softmax(x, 1, 7));
                rejects(IllegalArgumentException.class, "prelu has 2 slopes but the tensor has 3 columns",
                        () -> b.forward(Activation.prelu(0.1f, 0.2f), t23, t23));
                rejects(IllegalArgumentException.class, "dst has length 5", () -> t23.download(new float[5]));
                rejects(IllegalArgumentException.class, "src has length 7", () -> t23.upload(new float[7]));
                rejects(IllegalArgumentException.class, "dx must not be y", () -> b.softmaxBackward(t23, dy, t23));
                for (Backend other : BACKENDS) {
                    if (other != b) {
                        try (Tensor foreign = other.upload(x, 2, 3)) {
                            rejects(IllegalArgumentException.class, "belongs to another backend",
                                    () -> b.forward(Activation.RELU, foreign, t23));
                        }
                    }
                }
                assertArrayEquals(before, x, "the caller's array is untouched");
                assertArrayEquals(before, t23.download(), "the tensor is untouched");
            }
        }
    }
}
