package dev.soma.opencl;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The kernel parameters the tuner chooses per device ({@link Tuner}, stored by {@link TuningStore}):
 *
 * <ul>
 *   <li>{@code soma_gemm_nt} (the dense layer x·Wᵀ on CPU devices): register block {@code ntRm} rows ×
 *       {@code ntRn} columns of dot products per work-item, at most {@code ntWg} work-items per group
 *       (the work-group shape: {@code ntWg / 4} blocks wide, up to 4 high), vector width {@code ntVw}
 *       (4, 8 or 16 lanes of k per load);</li>
 *   <li>{@code soma_gemm_tiled} (GPUs): work-group side {@code gpuWg} (a gpuWg × gpuWg group), elements
 *       per work-item side {@code gpuR}, k step {@code gpuTk};</li>
 *   <li>element-wise kernels: {@code elemItems} elements per work-item (1, 2, 4 or 8).</li>
 * </ul>
 *
 * <p>Defaults for a device never tuned ({@link #defaults}): on CPUs the constants soma shipped before
 * the tuner (measured on POCL, AVX-512: 6 × 4 float16 accumulators fill 24 of the 32 vector registers,
 * leaving room for the 6 + 1 operand vectors) and two elements per work-item (measured on POCL: 1.5 to
 * 2 × the speed of one for GELU, SiLU, mish, 0.9 to 1 × for the memory-bound ReLU family, against 1.3 to
 * 1.5 × for four or eight; the tuner found two in every tune since the float kernels got cheaper); on
 * GPUs, reasoned, not measured (no GPU was available):
 * 16 × 16 = 256 work-items per group (8 × 8 where the device allows fewer), 4 × 4 results per work-item
 * (a 64 × 64 tile: 16 accumulators and 8 operands stay in registers, 2 × 16 × 64 floats = 8 KiB of
 * local memory per group, so several groups fit per compute unit), and one element per work-item
 * (element-wise kernels are memory-bound; GPUs hide latency with many work-items, not with work per
 * item).
 */
public record Tuning(int ntRm, int ntRn, int ntWg, int ntVw, int gpuWg, int gpuR, int gpuTk, int elemItems) {

    public Tuning {
        check("ntRm", ntRm, 1, 16);
        check("ntRn", ntRn, 1, 16);
        check("ntWg", ntWg, 4, 1024);
        check("gpuWg", gpuWg, 1, 32);
        check("gpuR", gpuR, 1, 16);
        check("gpuTk", gpuTk, 1, 64);
        if (Integer.bitCount(ntWg) != 1) {
            throw new IllegalArgumentException("ntWg = " + ntWg + ": must be a power of two");
        }
        if (ntVw != 4 && ntVw != 8 && ntVw != 16) {
            throw new IllegalArgumentException("ntVw = " + ntVw + ": must be 4, 8 or 16");
        }
        if (elemItems != 1 && elemItems != 2 && elemItems != 4 && elemItems != 8) {
            throw new IllegalArgumentException("elemItems = " + elemItems + ": must be 1, 2, 4 or 8");
        }
    }

    private static void check(String name, int v, int lo, int hi) {
        if (v < lo || v > hi) {
            throw new IllegalArgumentException(name + " = " + v + ": must be in [" + lo + ", " + hi + "]");
        }
    }

    /** What soma uses on {@code d} when it was never tuned. */
    public static Tuning defaults(DeviceInfo d) {
        if (d.category() == DeviceInfo.Category.CPU) {
            return new Tuning(6, 4, 64, 16, 16, 4, 16, 2);
        }
        return new Tuning(6, 4, 64, 16, d.maxWorkGroupSize() >= 256 ? 16 : 8, 4, 16, 1);
    }

    /** Local memory of soma_gemm_nt's tile, bytes. */
    long ntLocalBytes() {
        return 4L * ntWg * ntRm * ntRn;
    }

    /** Local memory of soma_gemm_tiled's two slices, bytes (rows padded by GPU_PAD, as in dense.cl). */
    long gpuLocalBytes() {
        int vw = Integer.bitCount(gpuR) == 1 && gpuR > 1 ? gpuR : 1;
        int pad0 = gpuTk >= 32 ? 1 : 32 / gpuTk;
        int pad = (pad0 + vw - 1) / vw * vw;
        return 2L * 4 * gpuTk * (gpuWg * gpuR + pad);
    }

    /** The parameters by name, in a fixed order (the store's and the probe's format). */
    public Map<String, Integer> asMap() {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("nt.rm", ntRm);
        m.put("nt.rn", ntRn);
        m.put("nt.wg", ntWg);
        m.put("nt.vw", ntVw);
        m.put("gpu.wg", gpuWg);
        m.put("gpu.r", gpuR);
        m.put("gpu.tk", gpuTk);
        m.put("elementwise.items", elemItems);
        return m;
    }

    /** The inverse of {@link #asMap()}; a missing or invalid value throws IllegalArgumentException. */
    static Tuning fromMap(Map<String, String> m) {
        int[] v = new int[8];
        int i = 0;
        for (String key : new String[] {"nt.rm", "nt.rn", "nt.wg", "nt.vw", "gpu.wg", "gpu.r", "gpu.tk",
                "elementwise.items"}) {
            String s = m.get(key);
            if (s == null) {
                throw new IllegalArgumentException("missing " + key);
            }
            try {
                v[i++] = Integer.parseInt(s.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(key + " = " + s + ": not an integer");
            }
        }
        return new Tuning(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
    }

    /** The dense parameters of the kernel family {@code gpu} or not, for printing. */
    public String dense(boolean gpu) {
        return gpu ? String.format(Locale.ROOT, "tiled %dx%d work-group, %dx%d per item, k step %d", gpuWg, gpuWg,
                gpuR, gpuR, gpuTk)
                : String.format(Locale.ROOT, "nt block %dx%d, <= %d items per group, float%d", ntRm, ntRn, ntWg, ntVw);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        asMap().forEach((k, v) -> sb.append(sb.length() == 0 ? "" : " ").append(k).append('=').append(v));
        return sb.toString();
    }
}
