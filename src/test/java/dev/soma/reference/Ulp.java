package dev.soma.reference;

/**
 * Error of a float result in ULPs of the float-rounded reference: {@code |got − ref| / ulp(float(ref))},
 * with {@code ref} the double reference (so a correctly rounded result scores ≤ 0.5).
 *
 * <ul>
 *   <li>both NaN → 0; an exact match, infinities included → 0;</li>
 *   <li>a NaN or infinity on one side only → +∞ (also a finite result where the float reference
 *       overflows to ±∞, or ±∞ where it does not);</li>
 *   <li>flush-to-zero is allowed: when |ref| is below {@link Float#MIN_NORMAL} (the float reference
 *       is subnormal or zero), a result within {@code Float.MIN_NORMAL} of it, ±0 included, counts
 *       as 0. Devices may flush subnormals (OpenCL's default without {@code -cl-denorms-are-zero}
 *       is implementation-defined for float), so subnormal outputs carry no accuracy claim;</li>
 *   <li>the sign of zero is ignored here (−0 vs +0 counts 0); where the catalogue requires −0.0 to
 *       be kept, {@code KnownCasesTest} checks the sign bit separately.</li>
 * </ul>
 */
public final class Ulp {

    private Ulp() {
    }

    /** The error of {@code got} against the double reference {@code ref}, in ULPs of {@code (float) ref}. */
    public static double error(float got, double ref) {
        boolean gotNaN = Float.isNaN(got);
        boolean refNaN = Double.isNaN(ref);
        if (gotNaN || refNaN) {
            return gotNaN && refNaN ? 0 : Double.POSITIVE_INFINITY;
        }
        float rf = (float) ref;
        if (got == rf) {
            return 0; // includes ±∞ == ±∞ and −0 == +0
        }
        if (Float.isInfinite(got) || Float.isInfinite(rf)) {
            return Double.POSITIVE_INFINITY;
        }
        double diff = Math.abs((double) got - ref);
        if (Math.abs(ref) < Float.MIN_NORMAL) {
            // subnormal or zero reference: flush-to-zero and subnormal rounding are allowed
            return diff <= Float.MIN_NORMAL ? 0 : diff / Float.MIN_VALUE;
        }
        return diff / Math.ulp(rf);
    }

    /** The error of {@code got} measured in ULPs of {@code max(|ref|, scale)} (a magnitude floor for cancellation residues). */
    public static double errorWithFloor(float got, double ref, double scale) {
        double e = error(got, ref);
        if (e == 0 || Double.isInfinite(e) || !(Math.abs(ref) < scale)) {
            return e;
        }
        float s = (float) scale;
        if (Float.isInfinite(s) || s < Float.MIN_NORMAL) {
            return e;
        }
        return Math.abs((double) got - ref) / Math.ulp(s);
    }

    /** The largest error of {@code got[i]} against {@code ref[i]} and where it is. */
    public static Worst worst(float[] got, double[] ref) {
        if (got.length != ref.length) {
            throw new IllegalArgumentException("lengths differ: " + got.length + " vs " + ref.length);
        }
        Worst w = new Worst();
        for (int i = 0; i < got.length; i++) {
            w.offer(i, error(got[i], ref[i]));
        }
        return w;
    }

    /** A running maximum of errors with its index. */
    public static final class Worst {
        public double maxUlp;
        public int index = -1;
        public int count;

        public void offer(int i, double ulp) {
            count++;
            if (index < 0 || ulp > maxUlp) {
                maxUlp = ulp;
                index = i;
            }
        }
    }
}
