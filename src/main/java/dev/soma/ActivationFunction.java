package dev.soma;

/**
 * An element-wise activation with its parameters fixed: what the backends run. Each
 * {@link Activation} constant is one (with the catalogue's defaults); {@link Activation#with},
 * {@link Activation#prelu} and {@link Activation#noisyRelu} make others.
 */
public sealed interface ActivationFunction permits Activation, Activation.Parameterized {

    /** Which function of the catalogue this is. */
    Activation activation();

    /** Numeric parameter {@code index} as float32 (the precision the kernels receive); 0 when absent. */
    float param(int index);

    /** PReLU's per-column slopes (a copy), or {@code null} for every other function. */
    float[] slopes();

    /** Noisy ReLU's generator seed; 0 for every other function. */
    long seed();

    /** Range, monotonicity, smoothness and behaviour at the origin, for these parameters. */
    Properties properties();
}
