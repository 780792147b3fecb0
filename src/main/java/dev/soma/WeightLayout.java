package dev.soma;

/** How a dense layer's weight matrix is stored. */
public enum WeightLayout {
    /** out × in, row-major: PyTorch's {@code nn.Linear.weight}. y = x·Wᵀ. The default. */
    OUT_IN,
    /** in × out, row-major: Keras' {@code Dense} kernel. y = x·W. */
    IN_OUT
}
