package dev.soma;

/** Argument checks shared by every backend; each message names what is wrong. */
public final class Checks {

    private Checks() {
    }

    public static <T> T notNull(T value, String what) {
        if (value == null) {
            throw new IllegalArgumentException(what + " is null");
        }
        return value;
    }

    public static void shape(int rows, int cols) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("shape " + rows + " x " + cols + " has a negative dimension");
        }
        if ((long) rows * cols > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("shape " + rows + " x " + cols + " has " + (long) rows * cols
                    + " elements, more than a Java array holds");
        }
    }

    public static void length(float[] data, int rows, int cols, String what) {
        notNull(data, what);
        shape(rows, cols);
        if (data.length != (long) rows * cols) {
            throw new IllegalArgumentException(what + " has length " + data.length + ", shape " + rows + " x " + cols
                    + " needs " + (long) rows * cols);
        }
    }

    public static void sameShape(Tensor a, String an, Tensor b, String bn) {
        if (a.rows() != b.rows() || a.cols() != b.cols()) {
            throw new IllegalArgumentException(an + " is " + a.rows() + " x " + a.cols() + " but " + bn + " is "
                    + b.rows() + " x " + b.cols());
        }
    }
}
