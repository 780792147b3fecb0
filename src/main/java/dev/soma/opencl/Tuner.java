package dev.soma.opencl;

import dev.soma.Activation;
import dev.soma.Tensor;
import dev.soma.WeightLayout;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Chooses a device's {@link Tuning}: for the dense kernel (the family the device runs: soma_gemm_nt on
 * CPUs, soma_gemm_tiled elsewhere) and for the element-wise kernels, it tries a bounded set of
 * candidate settings, always the defaults first, and keeps the fastest that passes the correctness
 * check; the result is stored by {@link TuningStore} and used by every later backend on the device.
 *
 * <p>Each candidate is built and run once on fresh output (a build or launch failure is recorded and
 * skipped, never fatal), checked, then timed: every call alone, the queue drained before and after;
 * the defaults by the median of {@value #TIMED_CALLS} calls, every other candidate in a few interleaved
 * pairs with the defaults ({@link Options#screenPairs}; the order alternates from pair to pair, so
 * that drift of a shared machine hits both sides), ranked by the median ratio t(default) /
 * t(candidate). Checks: the dense layer y = x·Wᵀ + b at M × N × K (default 256 × 1024 × 1024)
 * against a double reference computed in Java with the standard bound of a float dot product
 * accumulated in any order, |ŷ − y| ≤ (K + 2)·u·(Σ|x||w| + |b|), u = 2⁻²⁴ (the dense tests' bound);
 * element-wise (ReLU and GELU forward over {@value #ELEMENTS} floats): within 4 ULP of the pure-Java
 * path (the forward accuracy bar) and bit-identical to the defaults' result (each element is computed
 * by the same code; only which work-item computes it changes).
 *
 * <p>So that noise does not pick a slower setting, a candidate (one of the {@value #CONFIRMED} best in
 * the screening; of those that pass, the one with the best confirmed median) replaces the defaults
 * only when more interleaved pairs ({@link Options#pairs}) give a median ratio t(default) /
 * t(candidate) of at least 1 + {@value #MARGIN} with the whole distribution-free 95 % confidence
 * interval of that median above 1. A time budget bounds the candidates tried (the defaults and the
 * confirmation always run).
 */
public final class Tuner {

    /** Test hook: {@code after} runs after each candidate's first run, before its check, and may change y or throw. */
    interface Hook {
        /** Before the candidate's first run (its build), e.g. to install a {@link Faults} injector. */
        default void before(String family, Tuning candidate) {
        }

        void after(String family, Tuning candidate, Tensor y);
    }

    static volatile Hook hook;

    static final int TIMED_CALLS = 5;
    static final int ELEMENTS = 1 << 22;
    static final double MARGIN = 0.02;
    /** How many of the best-screened candidates get the full confirmation against the defaults. */
    static final int CONFIRMED = 2;
    static final double U = 0x1p-24;

    /** What to tune and how hard. */
    public static final class Options {
        public int m = 256, n = 1024, k = 1024;
        public int elements = ELEMENTS;
        public double budgetSeconds = 120;
        public int pairs = 61;
        /** Interleaved pairs with the defaults per candidate, to find the fastest (the winner then gets {@link #pairs}). */
        public int screenPairs = 21;
        /** Candidates to try instead of the built-in set (null: built-in); the defaults come first anyway. */
        List<Tuning> dense;
        List<Tuning> elementwise;
    }

    /** One tried setting. */
    public record Trial(String family, Tuning tuning, String settings, String status, double seconds) {
        public boolean ok() {
            return status.equals("ok");
        }
    }

    /**
     * The outcome of one family: its defaults' and its winner's time, and the confirmation of the winner
     * against the defaults (ratio t(default) / t(winner), its 95 % interval and number of pairs; NaN and 0
     * when the defaults were the fastest or nothing else passed).
     */
    public record Choice(String family, Tuning chosen, boolean isDefault, double defaultSeconds, double chosenSeconds,
                         double ratio, double low, double high, int pairs, String reason) {
    }

    /** The tuner's result: the setting stored, and everything it tried. */
    public record Result(Tuning tuning, Tuning defaults, List<Trial> trials, Choice dense, Choice elementwise,
                         Path file, double seconds) {
    }

    private Tuner() {
    }

    /** What a device uses now: the stored tuning or the defaults, and a line saying which and why. */
    public record Status(Tuning tuning, boolean tuned, String origin, String dense) {
    }

    /** Whether the dense layer runs the tiled (GPU) kernel family on {@code d}, else soma_gemm_nt (soma.gemmKernels). */
    public static boolean tiledKernels(DeviceInfo d) {
        return ClGemm.gpuKernels(d);
    }

    /** What a backend opened on {@code d} now would use (for the probe; reads the store, opens nothing). */
    public static Status status(DeviceInfo d) {
        TuningStore.Found f = TuningStore.read(d, KernelSources.classpath());
        Tuning t = f.tuning() != null ? f.tuning() : Tuning.defaults(d);
        String origin = f.tuning() != null ? "tuned (" + f.file() + ")"
                : "defaults, " + (f.file() == null ? "program cache off"
                : f.problem() != null ? "stored tuning ignored: " + f.problem() : "not tuned (scripts/soma tune)");
        return new Status(t, f.tuning() != null, origin, t.dense(ClGemm.gpuKernels(d)));
    }

    /** Tunes {@code be}'s device with the built-in candidates and stores the result; see the class comment. */
    public static Result tune(OpenClBackend be, Options opt, PrintStream log) {
        long t0 = System.nanoTime();
        long deadline = t0 + (long) (opt.budgetSeconds * 1e9);
        DeviceInfo d = be.device();
        Tuning def = Tuning.defaults(d);
        Tuning saved = be.tuning();
        String savedOrigin = be.tuningOrigin();
        List<Trial> trials = new ArrayList<>();
        boolean gpu = ClGemm.gpuKernels(d);
        Choice dense;
        Choice elem;
        try {
            List<Tuning> dc = opt.dense != null ? withDefault(def, opt.dense) : denseCandidates(def, d, gpu);
            log.printf(Locale.ROOT, "dense layer %d x %d x %d (x·Wᵀ + b, %s kernel): %d candidates%n", opt.m, opt.n,
                    opt.k, gpu ? "tiled" : "nt", dc.size());
            dense = tuneDense(be, opt, dc, gpu, deadline, trials, log);
            List<Tuning> ec = opt.elementwise != null ? withDefault(def, opt.elementwise) : elementCandidates(def);
            log.printf(Locale.ROOT, "element-wise relu + gelu over %d floats: %d candidates%n", opt.elements,
                    ec.size());
            elem = tuneElementwise(be, opt, ec, deadline, trials, log);
        } finally {
            be.useTuning(saved, savedOrigin);
        }
        // the family not tuned here (soma.gemmKernels can force either) keeps what the device had
        Tuning nt = gpu ? saved : dense.chosen;
        Tuning tiled = gpu ? dense.chosen : saved;
        Tuning c = new Tuning(nt.ntRm(), nt.ntRn(), nt.ntWg(), nt.ntVw(), tiled.gpuWg(), tiled.gpuR(), tiled.gpuTk(),
                elem.chosen.elemItems());
        List<String> notes = List.of(
                "device " + d.name().strip() + ", tuned " + java.time.Instant.now(),
                note(dense, dense.chosen.dense(gpu), opt.m, opt.n, opt.k),
                note(elem, "elements per work-item " + elem.chosen.elemItems(), 0, 0, 0));
        Path file = TuningStore.write(d, be.sources(), c, notes);
        be.useTuning(c, file == null ? "tuned in this process (program cache off: not stored)" : "tuned (" + file + ")");
        return new Result(c, def, trials, dense, elem, file, (System.nanoTime() - t0) / 1e9);
    }

    private static String note(Choice c, String settings, int m, int n, int k) {
        String what = c.family + (m > 0 ? " " + m + "x" + n + "x" + k : "");
        return c.isDefault ? what + ": defaults kept (" + c.reason + ")"
                : String.format(Locale.ROOT, "%s: %s chosen, %.3f x the defaults' speed (95%% CI %.3f-%.3f, %d pairs)",
                what, settings, c.ratio, c.low, c.high, c.pairs);
    }

    private static List<Tuning> withDefault(Tuning def, List<Tuning> cs) {
        LinkedHashSet<Tuning> s = new LinkedHashSet<>();
        s.add(def);
        s.addAll(cs);
        return new ArrayList<>(s);
    }

    /** The built-in dense candidates: the defaults first, then variations of one or two parameters. */
    static List<Tuning> denseCandidates(Tuning def, DeviceInfo d, boolean gpu) {
        LinkedHashSet<Tuning> s = new LinkedHashSet<>();
        s.add(def);
        long local = d.localMemory() > 0 ? d.localMemory() : 32 * 1024;
        if (!gpu) {
            // register blocks that keep rm·rn accumulators + rm + 1 operand vectors near 32 registers
            int[][] blocks = {{6, 4}, {4, 4}, {5, 4}, {4, 6}, {3, 8}, {8, 2}, {2, 8}};
            for (int[] b : blocks) {
                s.add(nt(def, b[0], b[1], def.ntWg(), def.ntVw()));
            }
            for (int wg : new int[] {32, 128}) {
                s.add(nt(def, def.ntRm(), def.ntRn(), wg, def.ntVw()));
            }
            s.add(nt(def, def.ntRm(), def.ntRn(), def.ntWg(), 8));
            s.add(nt(def, 4, 4, def.ntWg(), 8));
            s.removeIf(t -> t.ntLocalBytes() > local);
        } else {
            int max = Math.max(1, d.maxWorkGroupSize());
            for (int wg : new int[] {16, 8}) {
                for (int r : new int[] {2, 4, 8}) {
                    s.add(tiled(def, wg, r, def.gpuTk()));
                }
            }
            for (int tk : new int[] {8, 32}) {
                s.add(tiled(def, def.gpuWg(), def.gpuR(), tk));
            }
            s.removeIf(t -> !t.equals(def) && (t.gpuWg() * t.gpuWg() > max || t.gpuLocalBytes() > local));
        }
        return new ArrayList<>(s);
    }

    static List<Tuning> elementCandidates(Tuning def) {
        LinkedHashSet<Tuning> s = new LinkedHashSet<>();
        s.add(def);
        for (int items : new int[] {1, 2, 4, 8}) {
            s.add(items(def, items));
        }
        return new ArrayList<>(s);
    }

    static Tuning nt(Tuning t, int rm, int rn, int wg, int vw) {
        return new Tuning(rm, rn, wg, vw, t.gpuWg(), t.gpuR(), t.gpuTk(), t.elemItems());
    }

    static Tuning tiled(Tuning t, int wg, int r, int tk) {
        return new Tuning(t.ntRm(), t.ntRn(), t.ntWg(), t.ntVw(), wg, r, tk, t.elemItems());
    }

    static Tuning items(Tuning t, int items) {
        return new Tuning(t.ntRm(), t.ntRn(), t.ntWg(), t.ntVw(), t.gpuWg(), t.gpuR(), t.gpuTk(), items);
    }

    // ------------------------------------------------------------------------------------------------

    private interface Check {
        String check();
    }

    private static Choice tuneDense(OpenClBackend be, Options opt, List<Tuning> cands, boolean gpu, long deadline,
                                    List<Trial> trials, PrintStream log) {
        int m = opt.m, n = opt.n, k = opt.k;
        SplittableRandom rnd = new SplittableRandom(20261129);
        float[] x = random(rnd, m * k);
        float[] w = random(rnd, n * k);
        float[] bias = random(rnd, n);
        double[] want = new double[m * n];
        double[] tol = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                double a = 0;
                for (int q = 0; q < k; q++) {
                    double p = (double) x[i * k + q] * w[j * k + q];
                    s += p;
                    a += Math.abs(p);
                }
                want[i * n + j] = s + bias[j];
                tol[i * n + j] = (k + 2) * U * (a + Math.abs(bias[j]));
            }
        }
        float[] nan = new float[m * n];
        Arrays.fill(nan, Float.NaN);
        float[] got = new float[m * n];
        try (Tensor xt = be.upload(x, m, k); Tensor wt = be.upload(w, n, k); Tensor bt = be.upload(bias, 1, n);
             Tensor yt = be.tensor(m, n)) {
            Runnable op = () -> be.dense(xt, wt, WeightLayout.OUT_IN, bt, null, yt);
            Check check = () -> {
                yt.download(got);
                for (int i = 0; i < got.length; i++) {
                    if (!(Math.abs(got[i] - want[i]) <= tol[i])) {
                        return String.format(Locale.ROOT, "y[%d,%d] = %s, reference %s, bound %.3g", i / n, i % n,
                                got[i], want[i], tol[i]);
                    }
                }
                return null;
            };
            double flops = 2.0 * m * n * k;
            return choose(be, "dense", cands, t -> t.dense(gpu), op, () -> yt.upload(nan), check, yt, flops, opt,
                    deadline, trials, log);
        }
    }

    private static Choice tuneElementwise(OpenClBackend be, Options opt, List<Tuning> cands, long deadline,
                                          List<Trial> trials, PrintStream log) {
        int len = opt.elements;
        SplittableRandom rnd = new SplittableRandom(7);
        float[] x = new float[len];
        for (int i = 0; i < len; i++) {
            x[i] = (float) (rnd.nextDouble() * 16 - 8);
        }
        float[] reluRef = new float[len];
        float[] geluRef;
        try (dev.soma.Backend java = dev.soma.Soma.java()) {
            reluRef = java.forward(Activation.RELU, x);
            geluRef = java.forward(Activation.GELU, x);
        }
        float[] nan = new float[len];
        Arrays.fill(nan, Float.NaN);
        float[] got = new float[len];
        float[][] first = new float[2][];
        float[][] refs = {reluRef, geluRef};
        try (Tensor xt = be.upload(x, 1, len); Tensor yr = be.tensor(1, len); Tensor yg = be.tensor(1, len)) {
            Runnable op = () -> {
                be.forward(Activation.RELU, xt, yr);
                be.forward(Activation.GELU, xt, yg);
            };
            Check check = () -> {
                Tensor[] ys = {yr, yg};
                for (int f = 0; f < 2; f++) {
                    ys[f].download(got);
                    float[] ref = refs[f];
                    for (int i = 0; i < len; i++) {
                        if (!(Math.abs(got[i] - ref[i]) <= 4 * Math.ulp(ref[i]))) {
                            return (f == 0 ? "relu" : "gelu") + "(" + x[i] + ") = " + got[i] + ", Java path "
                                    + ref[i] + " (bar 4 ULP)";
                        }
                    }
                    if (first[f] == null) {
                        first[f] = got.clone(); // the defaults' result, checked above
                    } else if (!Arrays.equals(first[f], got)) {
                        return (f == 0 ? "relu" : "gelu") + ": not bit-identical to the defaults' result";
                    }
                }
                return null;
            };
            Runnable reset = () -> {
                yr.upload(nan);
                yg.upload(nan);
            };
            return choose(be, "element-wise", cands, t -> "elements per work-item " + t.elemItems(), op, reset, check,
                    yg, 0, opt, deadline, trials, log);
        }
    }

    private static Choice choose(OpenClBackend be, String family, List<Tuning> cands,
                                 java.util.function.Function<Tuning, String> describe, Runnable op, Runnable reset,
                                 Check check, Tensor y, double flops, Options opt, long deadline, List<Trial> trials,
                                 PrintStream log) {
        Tuning def = cands.get(0);
        List<Tuning> screened = new ArrayList<>();
        List<Double> screenRatios = new ArrayList<>();
        double defT = Double.NaN;
        for (Tuning c : cands) {
            String settings = describe.apply(c);
            String status;
            double t = Double.NaN;
            double ratio = Double.NaN;
            if (c != def && System.nanoTime() > deadline) {
                status = "skipped (time budget)";
            } else if (c != def && Double.isNaN(defT)) {
                status = "skipped (the defaults failed: nothing to compare with)";
            } else {
                be.useTuning(c, "tuner candidate");
                status = attempt(be, family, c, op, reset, check, y);
                if (status.equals("ok") && c == def) {
                    t = defT = median(be, op, TIMED_CALLS);
                } else if (status.equals("ok")) {
                    // screening: a few interleaved pairs with the defaults (drift hits both sides alike)
                    double[][] p = pairs(be, def, c, op, Math.max(3, opt.screenPairs));
                    t = medianOf(p[1]);
                    ratio = medianOf(p[2]);
                    if (ratio > 1) {
                        screened.add(c);
                        screenRatios.add(ratio);
                    }
                }
            }
            Trial tr = new Trial(family, c, settings, status, t);
            trials.add(tr);
            log.printf(Locale.ROOT, "  %-8s %-52s %s%n", c == def ? "default" : "", settings,
                    tr.ok() ? String.format(Locale.ROOT, "%8.3f ms%s%s", t * 1e3,
                            flops > 0 ? String.format(Locale.ROOT, " %8.1f GFLOP/s", flops / t / 1e9) : "",
                            Double.isNaN(ratio) ? "" : String.format(Locale.ROOT, "   %.3f x the defaults", ratio))
                            : status);
        }
        if (Double.isNaN(defT)) {
            String why = "the defaults failed the check; kept anyway (nothing else was compared)";
            log.printf(Locale.ROOT, "  -> %s: defaults kept (%s)%n", family, why);
            return new Choice(family, def, true, defT, defT, Double.NaN, Double.NaN, Double.NaN, 0, why);
        }
        if (screened.isEmpty()) {
            String why = "no other candidate was faster in screening";
            log.printf(Locale.ROOT, "  -> %s: defaults kept (%s)%n", family, why);
            return new Choice(family, def, true, defT, defT, Double.NaN, Double.NaN, Double.NaN, 0, why);
        }
        // confirm the fastest few of the screening against the defaults with more interleaved pairs (a
        // screening of a few pairs on a noisy machine can rank a lucky candidate first); keep the one
        // with the best confirmed median that passes
        Integer[] order = new Integer[screened.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (x, z) -> Double.compare(screenRatios.get(z), screenRatios.get(x)));
        int np = Math.max(3, opt.pairs);
        Choice kept = null;
        String why = null;
        for (int o = 0; o < Math.min(CONFIRMED, order.length); o++) {
            Tuning cand = screened.get(order[o]);
            double[][] p = pairs(be, def, cand, op, np);
            double[] ci = medianCi(p[2]);
            boolean wins = ci[0] >= 1 + MARGIN && ci[1] > 1;
            log.printf(Locale.ROOT, "  confirm %-52s %.3f x the defaults (95%% CI %.3f-%.3f, %d interleaved pairs)%s%n",
                    describe.apply(cand), ci[0], ci[1], ci[2], np, wins ? "" : ": not measurably faster");
            if (wins && (kept == null || ci[0] > kept.ratio)) {
                kept = new Choice(family, cand, false, defT, medianOf(p[1]), ci[0], ci[1], ci[2], np,
                        "measurably faster");
            } else if (!wins && why == null) {
                why = String.format(Locale.ROOT, "the fastest candidate, %s, was not measurably faster: median ratio"
                        + " %.3f, 95%% CI %.3f-%.3f over %d pairs (needs >= %.2f and CI above 1)", describe.apply(cand),
                        ci[0], ci[1], ci[2], np, 1 + MARGIN);
            }
        }
        if (kept != null) {
            log.printf(Locale.ROOT, "  -> %s: chose %s, %.3f x the defaults' speed (95%% CI %.3f-%.3f, %d interleaved"
                    + " pairs)%n", family, describe.apply(kept.chosen), kept.ratio, kept.low, kept.high, kept.pairs);
            return kept;
        }
        log.printf(Locale.ROOT, "  -> %s: defaults kept (%s)%n", family, why);
        return new Choice(family, def, true, defT, defT, Double.NaN, Double.NaN, Double.NaN, np, why);
    }

    /** Runs a candidate once on fresh output and checks it: "ok", or what went wrong. */
    private static String attempt(OpenClBackend be, String family, Tuning c, Runnable op, Runnable reset, Check check,
                                  Tensor y) {
        try {
            reset.run();
            Hook h = hook;
            if (h != null) {
                h.before(family, c);
            }
            op.run();
            be.finish();
            if (h != null) {
                h.after(family, c, y);
            }
            String bad = check.check();
            return bad == null ? "ok" : "wrong result: " + bad;
        } catch (BuildException e) {
            return "build failed: " + firstLine(e.getMessage());
        } catch (OpenClException e) {
            return "launch failed: " + firstLine(e.getMessage());
        } catch (RuntimeException e) {
            return "failed: " + firstLine(String.valueOf(e.getMessage() == null ? e : e.getMessage()));
        }
    }

    /**
     * n interleaved pairs of single calls, the defaults first in even pairs, the candidate first in odd
     * ones: {t(default)}, {t(candidate)}, {t(default) / t(candidate)}. Leaves the candidate in use.
     * Also scripts/bench-tune's measurement (dev.soma.bench.TuneBench).
     */
    public static double[][] pairs(OpenClBackend be, Tuning def, Tuning cand, Runnable op, int n) {
        double[][] r = new double[3][n];
        for (int i = 0; i < n; i++) {
            if (i % 2 == 0) {
                r[0][i] = timed(be, def, op);
                r[1][i] = timed(be, cand, op);
            } else {
                r[1][i] = timed(be, cand, op);
                r[0][i] = timed(be, def, op);
            }
            r[2][i] = r[0][i] / r[1][i];
        }
        be.useTuning(cand, "tuner candidate");
        return r;
    }

    private static double timed(OpenClBackend be, Tuning t, Runnable op) {
        be.useTuning(t, "tuner candidate");
        be.finish();
        long t0 = System.nanoTime();
        op.run();
        be.finish();
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double median(OpenClBackend be, Runnable op, int calls) {
        double[] t = new double[calls];
        for (int i = 0; i < calls; i++) {
            be.finish();
            long t0 = System.nanoTime();
            op.run();
            be.finish();
            t[i] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(t);
        return t[calls / 2];
    }

    private static double medianOf(double[] v) {
        return medianCi(v)[0];
    }

    /**
     * The median of {@code r} and its distribution-free 95 % confidence interval: order statistics j and
     * n − 1 − j with j = ⌊n/2 − 0.98·√n⌋ (the normal approximation of Binomial(n, ½)); NaN bounds when
     * n is too small for one.
     */
    public static double[] medianCi(double[] r) {
        double[] s = r.clone();
        Arrays.sort(s);
        int n = s.length;
        double med = n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
        int j = (int) Math.floor(n / 2.0 - 0.98 * Math.sqrt(n));
        return new double[] {med, j >= 0 ? s[j] : Double.NaN, j >= 0 ? s[n - 1 - j] : Double.NaN};
    }

    private static float[] random(SplittableRandom r, int len) {
        float[] v = new float[len];
        for (int i = 0; i < len; i++) {
            v[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return v;
    }

    private static String firstLine(String s) {
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }
}
