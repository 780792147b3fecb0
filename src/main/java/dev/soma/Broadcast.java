package dev.soma;

/**
 * How the C term of a GEMM (ONNX {@code Gemm}) spreads over the M × N result, read off C's shape:
 * none, a scalar (1 × 1), a row (1 × N, e.g. a bias), a column (M × 1) or the full M × N matrix.
 */
public enum Broadcast {
    NONE, SCALAR, ROW, COLUMN, FULL;

    /**
     * The broadcast of a {@code cRows} × {@code cCols} C over an {@code m} × {@code n} result.
     *
     * @throws IllegalArgumentException when C's shape fits none of them
     */
    public static Broadcast of(int cRows, int cCols, int m, int n) {
        if (cRows == m && cCols == n) {
            return FULL;
        }
        if (cRows == 1 && cCols == 1) {
            return SCALAR;
        }
        if (cRows == 1 && cCols == n) {
            return ROW;
        }
        if (cRows == m && cCols == 1) {
            return COLUMN;
        }
        throw new IllegalArgumentException("C is " + cRows + " x " + cCols + ", which does not broadcast over the "
                + m + " x " + n + " result (use 1 x 1, 1 x " + n + ", " + m + " x 1 or " + m + " x " + n + ")");
    }
}
