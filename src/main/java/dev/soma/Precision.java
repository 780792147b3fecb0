package dev.soma;

import java.util.Locale;

/**
 * How an OpenCL device computes the element-wise functions, softmax and the dense layer's
 * activation. Chosen when a backend opens: {@link Soma#open(String, Precision)}, else the system
 * property {@value #PROPERTY}, else the environment variable {@value #ENV}, else {@link #FAST}.
 *
 * <p>The pure-Java path always computes {@link #EXACT}ly: there the double evaluation costs little
 * (see the README's benchmark figures).
 */
public enum Precision {

    /**
     * In float, with soma's own elementary functions built from + − × ÷ and exponent bits only (no
     * vendor {@code exp}, {@code erf}, ...), so every OpenCL device gives the same bits. Within
     * 4 ULP of the correctly rounded result forward and 16 ULP for derivatives and softmax (the
     * README's accuracy table has the measured figure of every function); runs on any device at full
     * float speed.
     */
    FAST,

    /**
     * In double, rounded once to float: the correctly rounded result within 1 ULP (0 almost
     * everywhere), bit-identical to the pure-Java path. Needs a device with {@code cl_khr_fp64};
     * a device without it cannot serve this precision (under {@code auto} the next one is tried).
     */
    EXACT;

    public static final String PROPERTY = "soma.precision";
    public static final String ENV = "SOMA_PRECISION";

    /** The precision in force: the system property, else the environment variable, else {@link #FAST}. */
    public static Precision configured() {
        String s = System.getProperty(PROPERTY);
        if (s == null || s.isBlank()) {
            s = System.getenv(ENV);
        }
        return s == null || s.isBlank() ? FAST : parse(s);
    }

    /** {@code fast} or {@code exact}, ignoring case. */
    public static Precision parse(String s) {
        Checks.notNull(s, "precision");
        switch (s.strip().toLowerCase(Locale.ROOT)) {
            case "fast": return FAST;
            case "exact": return EXACT;
            default: throw new IllegalArgumentException("precision '" + s + "': use fast or exact ("
                    + PROPERTY + " / " + ENV + ")");
        }
    }

    /** The lower-case name, as the property takes it. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
