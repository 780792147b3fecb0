package dev.soma.bench;

import dev.soma.Activation;
import dev.soma.Backend;
import dev.soma.BackendInfo;
import dev.soma.Network;
import dev.soma.Soma;
import dev.soma.Tensor;
import dev.soma.WeightLayout;
import dev.soma.opencl.OpenClBackend;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

import static dev.soma.bench.BenchSupport.firstLine;
import static dev.soma.bench.BenchSupport.fmt2;
import static dev.soma.bench.BenchSupport.loadAverage;
import static dev.soma.bench.BenchSupport.median;
import static dev.soma.bench.BenchSupport.positive;

/**
 * soma's own dense-layer measurements, shared by {@code soma bench --suite dense} (no peers) and the
 * dense benchmark {@code scripts/bench-dense} (src/bench DenseBench, which adds CLBlast, EJML and
 * netlib through {@link Peers}).
 *
 * <ul>
 *   <li>dense: the fused dense forward y = f(x·Wᵀ + b), W out × in (default M = 256, N = 1024, K = 1024):
 *       GFLOP/s of dense+relu, and the fused kernel against the same dense layer without activation
 *       followed by a separate activation pass (ReLU and GELU; target: fused faster, ratio &gt; 1).</li>
 *   <li>square: soma's {@code gemm} on square matrices (default 512, 1024, 2048), GFLOP/s.</li>
 *   <li>network: 784 → 512 → 256 → 10 softmax network (default batch 256): images per second host to
 *       host and with the data already on the device, and the share of the host-to-host time that
 *       moving the data takes (upload of the input and download of the output, timed separately).</li>
 * </ul>
 *
 * <p>Method: every contestant of a measurement runs on its own preallocated buffers. OpenCL
 * contestants warm up with one full-size call (it builds the kernels); Java ones on a small problem of
 * the same kind for about 0.4 s each (JIT; 0.05 s with --quick). Then the contestants run in batches,
 * interleaved batch by batch (the order rotates from batch to batch); each batch of a contestant is
 * {@code repeat} back-to-back calls ended by its queue's finish. GFLOP/s = 2·M·N·K / median seconds
 * per call; a ratio is the median over batches of t(other) / t(soma) from the same batch, so that
 * noise hitting a batch hits both sides. A slow measurement gets fewer batches (as few as one) so that
 * it lasts about {@value #BUDGET_SECONDS} s.
 *
 * <p>The fused-versus-unfused ratios need more care: the gain for ReLU is one pass over the output
 * against a whole GEMM, a few per cent at most, well inside the drift of a shared machine between
 * batches. So they come from interleaved pairs after the batches: a pair is one fused call and one
 * call of the dense layer followed by the activation pass, each timed alone (queue drained before and
 * after), in the order fused-unfused, then unfused-fused for the next pair (so that neither side
 * always finds the caches warmed by the other). The ratio is the median over pairs of
 * t(unfused) / t(fused), printed with a distribution-free 95 % confidence interval of that median and
 * the share of pairs in which fused won; about {@value #PAIR_SECONDS} s per comparison
 * ({@value #MIN_PAIRS} to {@value #MAX_PAIRS} pairs). Such a row passes only when the whole
 * interval lies above the target (with too few pairs for an interval, the median decides).
 */
public final class DenseMeasure {

    public static final double FUSED_TARGET = 1.0;
    public static final double BATCH_SECONDS = 0.08;
    public static final int MAX_AUTO_REPEAT = 32;
    public static final double BUDGET_SECONDS = 10.0;
    /** Time for one fused-versus-unfused comparison (interleaved pairs), and its pair counts. */
    public static final double PAIR_SECONDS = 6.0;
    public static final int MIN_PAIRS = 21;
    public static final int MAX_PAIRS = 401;
    public static final int QUICK_PAIRS = 3;
    public static final long WARMUP_NANOS = 400_000_000L;
    public static final long QUICK_WARMUP_NANOS = 50_000_000L;
    public static final int JAVA_WARM_SIZE = 192;
    public static final Set<String> SECTIONS = Set.of("dense", "square", "network");
    static final int[] NETWORK = {784, 512, 256, 10};

    /** What a section measures. */
    public enum Kind { DENSE, SQUARE, NETWORK }

    /** One timed operation. */
    public interface Op {
        void run();
    }

    /**
     * What a benchmark adds to soma's measurements (DenseBench: the peers). Every method has a no-op
     * default; the network section has no peers.
     */
    public interface Peers {
        /** After the benchmark's header lines. */
        default void header(PrintStream out) {
        }

        /** After a backend's header line, before its sections. */
        default void begin(Backend b, String label, PrintStream out) {
        }

        /** Before a dense or square section is measured: add contestants with {@link Section#add}. */
        default void add(Section s) {
        }

        /** After the section was measured and soma's rows recorded: {@link Section#ratio}, checks. */
        default void after(Section s) {
        }

        /** After the backend's sections (also when one failed). */
        default void end(Backend b) {
        }
    }

    /** A contestant of a measurement: its op, its warm-up op (null: one call of op) and its queue's finish. */
    public static final class Contestant {
        public final String name;
        final Op op;
        final Op warm;
        final Runnable sync;
        double[] t = new double[0];
        String error;

        Contestant(String name, Op op, Op warm, Runnable sync) {
            this.name = name;
            this.op = op;
            this.warm = warm;
            this.sync = sync;
        }

        /** Seconds per call, one per batch (empty before the measurement). */
        public double[] times() {
            return t.clone();
        }

        public double median() {
            return BenchSupport.median(t);
        }

        /** The first line of the error it threw, or null. */
        public String error() {
            return error;
        }
    }

    /**
     * One result line; NaN where there is no value.
     *
     * @param unit          "GFLOP/s" or "images/s"
     * @param strict        whether the ratio must exceed the target (else reach it)
     * @param transferShare the network's share of host-to-host time spent moving data, else NaN
     * @param ratioLow      for a ratio from interleaved pairs: the lower end of the 95 % confidence
     *                      interval of its median (distribution-free, from order statistics), else NaN
     * @param ratioHigh     the upper end of that interval, else NaN
     * @param pairs         the number of interleaved pairs the ratio is the median of, else 0
     */
    public record Row(String backend, String section, String measurement, double value, String unit, double ratio,
                      double target, boolean strict, double transferShare, String error, double ratioLow,
                      double ratioHigh, int pairs) {

        /** A row without pair statistics (ratioLow / ratioHigh NaN, pairs 0). */
        public Row(String backend, String section, String measurement, double value, String unit, double ratio,
                   double target, boolean strict, double transferShare, String error) {
            this(backend, section, measurement, value, unit, ratio, target, strict, transferShare, error, Double.NaN,
                    Double.NaN, 0);
        }

        public String status() {
            if (error != null) {
                return "ERROR";
            }
            if (Double.isNaN(target)) {
                return "info";
            }
            if (pairs > 0 && !Double.isNaN(ratioLow)) {
                // a ratio from interleaved pairs passes only when its whole 95 % interval does
                return (strict ? ratioLow > target : ratioLow >= target) ? "PASS" : "MISS";
            }
            return (strict ? ratio > target : ratio >= target) ? "PASS" : "MISS";
        }

        /** "> 1.00", ">=5.00" or "-". */
        public String targetText() {
            return Double.isNaN(target) ? "-" : (strict ? "> " : ">=") + fmt2(target);
        }
    }

    /** What a run measured, and its settings; exitCode 1 when no backend could be measured. */
    public record Report(int exitCode, List<Row> rows, List<String> backends, Options options, double seconds) {
    }

    /** One dense or square measurement on one backend, as the peers see it. */
    public final class Section {
        public final Kind kind;
        public final Backend backend;
        public final String label;
        public final String name;
        /** y (m × n) = a (m × k) · bᵀ (dense: b is W, n × k) or a · b (square: k × n). */
        public final int m, n, k;
        /** Host copies of the inputs; bias is null for square. */
        public final float[] a, b, bias;
        /** soma's fused dense+relu (dense) or gemm (square), and its output. */
        public final Contestant soma;
        public final Tensor somaOut;
        /** The dense layer without activation and its output (dense only, else null). */
        public final Contestant plain;
        public final Tensor plainOut;
        public final double flops;
        final List<Contestant> contestants;

        Section(Kind kind, Backend backend, String label, String name, int m, int n, int k, float[] a, float[] b,
                float[] bias, Contestant soma, Tensor somaOut, Contestant plain, Tensor plainOut,
                List<Contestant> contestants) {
            this.kind = kind;
            this.backend = backend;
            this.label = label;
            this.name = name;
            this.m = m;
            this.n = n;
            this.k = k;
            this.a = a;
            this.b = b;
            this.bias = bias;
            this.soma = soma;
            this.somaOut = somaOut;
            this.plain = plain;
            this.plainOut = plainOut;
            this.flops = 2.0 * m * n * k;
            this.contestants = contestants;
        }

        /** Adds a contestant; warm null: warm up with one call of op. */
        public Contestant add(String name, Op op, Op warm, Runnable sync) {
            Contestant c = new Contestant(name, op, warm, sync);
            contestants.add(c);
            return c;
        }

        /** Records and prints the ratio t(other) / t(mine), with mine's GFLOP/s as the row's value. */
        public void ratio(String what, Contestant mine, Contestant other, double target, boolean strict) {
            ratioRow(label, name, what, mine, other, flops, target, strict);
        }

        public void error(String what, String error) {
            rows.add(new Row(label, name, what, Double.NaN, "GFLOP/s", Double.NaN, Double.NaN, false, Double.NaN,
                    error));
        }

        public PrintStream out() {
            return out;
        }
    }

    private final Options opt;
    private final PrintStream out;
    private final PrintStream progress;
    private final Peers peers;
    private final List<Row> rows = new ArrayList<>();
    private final List<String> backendLabels = new ArrayList<>();
    private int done;
    private int planned;

    private DenseMeasure(Options opt, PrintStream out, PrintStream progress, Peers peers) {
        this.opt = opt;
        this.out = out;
        this.progress = progress;
        this.peers = peers == null ? new Peers() { } : peers;
    }

    /**
     * Runs soma's measurements in-process with the options of {@link Options#USAGE}.
     *
     * @param out      the tables
     * @param progress one line per section before it starts ("[2/8] square 512 on 0:0"), or null
     * @throws IllegalArgumentException for bad options
     */
    public static Report run(String[] args, PrintStream out, PrintStream progress) {
        return run(Options.parse(args), out, progress, null);
    }

    /** As {@link #run(String[], PrintStream, PrintStream)}, with what the peers add (null: none). */
    public static Report run(Options opt, PrintStream out, PrintStream progress, Peers peers) {
        DenseMeasure d = new DenseMeasure(opt, out, progress, peers);
        long start = System.nanoTime();
        d.run();
        return new Report(d.backendLabels.isEmpty() ? 1 : 0, List.copyOf(d.rows), List.copyOf(d.backendLabels), opt,
                (System.nanoTime() - start) / 1e9);
    }

    // ------------------------------------------------------------------------------------------------
    // Driver

    private void run() {
        long start = System.nanoTime();
        out.println("soma dense benchmark");
        out.printf(Locale.ROOT, "  dense: y = f(x·Wᵀ + b), x %d x %d, W %d x %d (out x in); square GEMM %s;"
                        + " network 784-512-256-10 softmax, batch %d%n", opt.m, opt.k, opt.n, opt.k,
                Arrays.toString(opt.squares), opt.netBatch);
        out.printf(Locale.ROOT, "  up to %d batch(es) per measurement (fewer when slow, ~%.0f s each), %s;"
                        + " contestants interleaved batch by batch%n", opt.batches, BUDGET_SECONDS,
                opt.repeat > 0 ? opt.repeat + " call(s) per batch" : "auto calls per batch (~"
                        + (int) (BATCH_SECONDS * 1000) + " ms)");
        out.println("  GFLOP/s = 2·M·N·K / median time per call; ratio = median over batches of"
                + " t(other) / t(soma) (> 1: soma faster);");
        out.println("  fused vs unfused: median over interleaved pairs (one call each, alternating order) of"
                + " t(unfused) / t(fused), with a 95% CI; PASS needs the whole CI > 1");
        out.printf(Locale.ROOT, "  host: %d cores, Java %s%s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"), loadAverage());
        peers.header(out);
        List<String> selectors = new ArrayList<>();
        if (opt.device != null) {
            selectors.add(opt.device);
        } else {
            try {
                List<String> cl = Soma.openClDevices();
                if (cl.isEmpty()) {
                    out.println("no OpenCL device found: " + Soma.devices().problem());
                }
                selectors.addAll(cl);
            } catch (RuntimeException e) {
                out.println("OpenCL discovery failed: " + firstLine(e.getMessage()));
            }
            selectors.add("java");
        }
        int perBackend = (opt.wants("dense") ? 1 : 0) + (opt.wants("square") ? opt.squares.length : 0)
                + (opt.wants("network") ? 1 : 0);
        planned = selectors.size() * perBackend;
        for (String sel : selectors) {
            int doneBefore = done;
            Backend b;
            try {
                b = sel.equalsIgnoreCase("java") ? Soma.java() : Soma.open(sel);
            } catch (RuntimeException e) {
                out.println();
                out.println("== " + sel + ": cannot open: " + firstLine(e.getMessage()));
                done = doneBefore + perBackend;
                continue;
            }
            try (b) {
                String label = b.info().kind() == BackendInfo.Kind.JAVA ? "java" : b.info().selector();
                backendLabels.add(label);
                benchBackend(b, label);
            } catch (RuntimeException e) {
                out.println("   backend aborted: " + e);
            }
            done = doneBefore + perBackend;
        }
        printSummary();
        out.printf(Locale.ROOT, "%ntotal time %.1f s%s%n", (System.nanoTime() - start) / 1e9, loadAverage());
    }

    private void benchBackend(Backend b, String label) {
        boolean cl = b instanceof OpenClBackend;
        out.println();
        out.println(cl ? "== OpenCL " + label + ": " + b.info()
                : "== Java path: " + b.info() + " (all " + Runtime.getRuntime().availableProcessors() + " cores)");
        Runnable sync = cl ? ((OpenClBackend) b)::finish : () -> { };
        try {
            peers.begin(b, label, out);
            if (opt.wants("dense")) {
                dense(b, label, cl, sync);
            }
            if (opt.wants("square")) {
                for (int s : opt.squares) {
                    square(b, label, cl, s, sync);
                }
            }
            if (opt.wants("network")) {
                network(b, label, sync);
            }
        } finally {
            peers.end(b);
        }
    }

    private void progress(String section, String label) {
        done++;
        if (progress != null) {
            progress.printf(Locale.ROOT, "[%d/%d] %s on %s%n", done, Math.max(done, planned), section, label);
            progress.flush();
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Dense and square

    /** The tensors of soma's dense contestants: x, W (out × in), bias and one output per contestant. */
    private static final class DenseProblem implements AutoCloseable {
        final Tensor x, w, bias, yr, yp, yu, yg, ygu;

        DenseProblem(Backend b, float[] hx, float[] hw, float[] hb, int m, int n, int k) {
            x = b.upload(hx, m, k);
            w = b.upload(hw, n, k);
            bias = b.upload(hb, 1, n);
            yr = b.tensor(m, n);
            yp = b.tensor(m, n);
            yu = b.tensor(m, n);
            yg = b.tensor(m, n);
            ygu = b.tensor(m, n);
        }

        void fused(Backend b, Activation f, Tensor y) {
            b.dense(x, w, WeightLayout.OUT_IN, bias, f, y);
        }

        void unfused(Backend b, Activation f, Tensor y) {
            b.dense(x, w, WeightLayout.OUT_IN, bias, null, y);
            b.forward(f, y, y);
        }

        @Override
        public void close() {
            for (Tensor t : new Tensor[] {x, w, bias, yr, yp, yu, yg, ygu}) {
                t.close();
            }
        }
    }

    private void dense(Backend b, String label, boolean cl, Runnable sync) {
        int m = opt.m, n = opt.n, k = opt.k;
        String section = "dense " + m + "x" + n + "x" + k;
        progress(section, label);
        header(section, "y = f(x·Wᵀ + b), W out x in");
        float[] hx = random(m * k, 1), hw = random(n * k, 2), hb = random(n, 3);
        int wm = Math.min(m, JAVA_WARM_SIZE), wn = Math.min(n, JAVA_WARM_SIZE), wk = Math.min(k, JAVA_WARM_SIZE);
        try (DenseProblem p = new DenseProblem(b, hx, hw, hb, m, n, k);
             DenseProblem w = cl ? null : new DenseProblem(b, random(wm * wk, 1), random(wn * wk, 2), random(wn, 3),
                     wm, wn, wk)) {
            List<Contestant> cs = new ArrayList<>();
            Section s = new Section(Kind.DENSE, b, label, section, m, n, k, hx, hw, hb,
                    new Contestant("soma dense+relu (fused)", () -> p.fused(b, Activation.RELU, p.yr),
                            w == null ? null : () -> w.fused(b, Activation.RELU, w.yr), sync), p.yr,
                    new Contestant("soma dense, no activation", () -> p.fused(b, null, p.yp),
                            w == null ? null : () -> w.fused(b, null, w.yp), sync), p.yp, cs);
            cs.add(s.soma);
            cs.add(s.plain);
            Contestant ur = s.add("soma dense + relu pass", () -> p.unfused(b, Activation.RELU, p.yu),
                    w == null ? null : () -> w.unfused(b, Activation.RELU, w.yu), sync);
            Contestant fg = s.add("soma dense+gelu (fused)", () -> p.fused(b, Activation.GELU, p.yg),
                    w == null ? null : () -> w.fused(b, Activation.GELU, w.yg), sync);
            Contestant ug = s.add("soma dense + gelu pass", () -> p.unfused(b, Activation.GELU, p.ygu),
                    w == null ? null : () -> w.unfused(b, Activation.GELU, w.ygu), sync);
            peers.add(s);
            if (!measure(cs)) {
                return;
            }
            printGflops(cs, s.flops);
            valueRow(label, section, s.soma, s.flops);
            pairRow(label, section, "fused relu vs dense + relu pass", s.soma, ur, s.flops);
            pairRow(label, section, "fused gelu vs dense + gelu pass", fg, ug, s.flops);
            peers.after(s);
        }
    }

    private void square(Backend b, String label, boolean cl, int size, Runnable sync) {
        String section = "square " + size;
        progress(section, label);
        header(section, "y = a·b, all " + size + " x " + size);
        float[] ha = random(size * size, 4), hb = random(size * size, 5);
        int ws = Math.min(size, JAVA_WARM_SIZE);
        try (Tensor a = b.upload(ha, size, size); Tensor bb = b.upload(hb, size, size); Tensor y = b.tensor(size, size);
             Tensor wa = cl ? null : b.upload(random(ws * ws, 4), ws, ws);
             Tensor wb = cl ? null : b.upload(random(ws * ws, 5), ws, ws);
             Tensor wy = cl ? null : b.tensor(ws, ws)) {
            List<Contestant> cs = new ArrayList<>();
            Section s = new Section(Kind.SQUARE, b, label, section, size, size, size, ha, hb, null,
                    new Contestant("soma gemm (NN)", () -> b.gemm(a, false, bb, false, 1f, null, 0f, y),
                            cl ? null : () -> b.gemm(wa, false, wb, false, 1f, null, 0f, wy), sync), y,
                    null, null, cs);
            cs.add(s.soma);
            peers.add(s);
            if (!measure(cs)) {
                return;
            }
            printGflops(cs, s.flops);
            valueRow(label, section, s.soma, s.flops);
            peers.after(s);
        }
    }

    private void valueRow(String label, String section, Contestant c, double flops) {
        rows.add(c.error != null
                ? new Row(label, section, c.name, Double.NaN, "GFLOP/s", Double.NaN, Double.NaN, false, Double.NaN,
                        c.error)
                : new Row(label, section, c.name, flops / c.median() / 1e9, "GFLOP/s", Double.NaN, Double.NaN, false,
                        Double.NaN, null));
    }

    // ------------------------------------------------------------------------------------------------
    // Network

    private void network(Backend b, String label, Runnable sync) {
        int batch = opt.netBatch;
        String section = "network b" + batch;
        progress(section, label);
        header(section, "784-512-256-10 (relu, relu, none) + softmax, batch " + batch);
        Network.Builder nb = Network.builder();
        long flopsPerImage = 0;
        for (int i = 0; i + 1 < NETWORK.length; i++) {
            int in = NETWORK[i], o = NETWORK[i + 1];
            flopsPerImage += 2L * in * o;
            nb.dense(random(o * in, 10 + i, (float) Math.sqrt(6.0 / in)), o, in, random(o, 20 + i, 0.1f),
                    i + 2 < NETWORK.length ? Activation.RELU : null);
        }
        nb.softmax();
        float[] images = random(batch * 784, 30);
        float[] probs = new float[batch * 10];
        try (Network net = nb.build(b); Tensor x = b.upload(images, batch, 784); Tensor y = b.tensor(batch, 10)) {
            List<Contestant> cs = new ArrayList<>();
            Contestant host = add(cs, "forward host -> host", () -> net.forward(images, batch), () -> { });
            Contestant dev = add(cs, "forward on device", () -> net.forward(x, y), sync);
            Contestant up = add(cs, "upload " + batch + "x784 (new tensor)", () -> {
                try (Tensor t = b.upload(images, batch, 784)) {
                    sync.run(); // the tensor must not be released before its copy ran
                }
            }, sync);
            Contestant down = add(cs, "download " + batch + "x10", () -> y.download(probs), sync);
            if (!measure(cs)) {
                return;
            }
            for (Contestant c : cs) {
                if (c.error != null) {
                    rows.add(new Row(label, section, c.name, Double.NaN, "images/s", Double.NaN, Double.NaN, false,
                            Double.NaN, c.error));
                    return;
                }
            }
            double flops = (double) flopsPerImage * batch;
            out.printf(Locale.ROOT, "   %-34s %10s %10s %12s%n", "contestant", "GFLOP/s", "ms/call", "images/s");
            for (Contestant c : cs) {
                double t = c.median();
                boolean fw = c == host || c == dev;
                out.printf(Locale.ROOT, "   %-34s %10s %10.3f %12s%n", c.name,
                        fw ? String.format(Locale.ROOT, "%.2f", flops / t / 1e9) : "-", t * 1e3,
                        fw ? String.format(Locale.ROOT, "%.0f", batch / t) : "-");
            }
            double[] share = new double[host.t.length];
            for (int i = 0; i < share.length; i++) {
                share[i] = (up.t[i] + down.t[i]) / host.t[i];
            }
            double sh = median(share);
            out.printf(Locale.ROOT, "   transfer share of host -> host time: %.1f%% (upload+download %.3f ms"
                    + " of %.3f ms)%n", sh * 100, (up.median() + down.median()) * 1e3, host.median() * 1e3);
            rows.add(new Row(label, section, "images/s host -> host", batch / host.median(), "images/s", Double.NaN,
                    Double.NaN, false, sh, null));
            rows.add(new Row(label, section, "images/s on device", batch / dev.median(), "images/s", Double.NaN,
                    Double.NaN, false, Double.NaN, null));
            float[] p = net.forward(images, batch);
            double worst = 0;
            for (int i = 0; i < batch; i++) {
                double s = 0;
                for (int j = 0; j < 10; j++) {
                    s += p[i * 10 + j];
                }
                worst = Math.max(worst, Math.abs(s - 1));
            }
            out.printf(Locale.ROOT, "   check: max |sum of probabilities - 1| = %.2e%n", worst);
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Timing

    private static Contestant add(List<Contestant> cs, String name, Op op, Runnable sync) {
        Contestant c = new Contestant(name, op, null, sync);
        cs.add(c);
        return c;
    }

    /**
     * Warm-up, then interleaved batches (see the class comment). A contestant that throws is dropped
     * (its error printed); returns false when nothing is left.
     */
    private boolean measure(List<Contestant> all) {
        long warmNanos = opt.quick ? QUICK_WARMUP_NANOS : WARMUP_NANOS;
        List<Contestant> cs = new ArrayList<>();
        for (Contestant c : all) {
            try {
                long t0 = System.nanoTime();
                int i = 0;
                do {
                    (c.warm != null ? c.warm : c.op).run();
                    c.sync.run();
                    i++;
                } while (c.warm != null && i < 200 && System.nanoTime() - t0 < warmNanos);
                cs.add(c);
            } catch (RuntimeException | LinkageError e) {
                c.error = firstLine(String.valueOf(e.getMessage() == null ? e : e.getMessage()));
                out.println("   " + c.name + ": ERROR " + c.error);
                try {
                    c.sync.run();
                } catch (RuntimeException ignored) {
                    // reported by the next call, if at all
                }
            }
        }
        if (cs.isEmpty()) {
            return false;
        }
        int k = cs.size();
        double[] first = new double[k];
        int[] reps = new int[k];
        double perBatch = 0;
        boolean firstCounts = opt.repeat <= 0 || opt.repeat == 1;
        for (int j = 0; j < k; j++) {
            first[j] = time(cs.get(j), 1);
            reps[j] = opt.repeat > 0 ? opt.repeat
                    : (int) Math.max(1, Math.min(MAX_AUTO_REPEAT, Math.round(BATCH_SECONDS / first[j])));
            firstCounts &= reps[j] == 1;
            perBatch += reps[j] * first[j];
        }
        int n = opt.batches;
        if (opt.repeat <= 0 && n * perBatch > BUDGET_SECONDS) {
            n = (int) Math.max(1, Math.min(n, Math.floor(BUDGET_SECONDS / perBatch)));
        }
        double[][] t = new double[k][n];
        for (int i = 0; i < n; i++) {
            for (int jj = 0; jj < k; jj++) {
                int j = (jj + i) % k;
                t[j][i] = i == 0 && firstCounts ? first[j] : time(cs.get(j), reps[j]);
            }
        }
        for (int j = 0; j < k; j++) {
            cs.get(j).t = t[j];
        }
        return true;
    }

    /** Seconds per call of {@code reps} back-to-back calls, the queue drained before and after. */
    private static double time(Contestant c, int reps) {
        c.sync.run();
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) {
            c.op.run();
        }
        c.sync.run();
        return (System.nanoTime() - t0) / 1e9 / reps;
    }

    // ------------------------------------------------------------------------------------------------
    // Reporting

    private void header(String section, String what) {
        out.println("   -- " + section + ": " + what);
    }

    private void printGflops(List<Contestant> cs, double flops) {
        out.printf(Locale.ROOT, "   %-34s %10s %10s %8s%n", "contestant", "GFLOP/s", "ms/call", "batches");
        for (Contestant c : cs) {
            if (c.error != null) {
                out.printf(Locale.ROOT, "   %-34s %10s%n", c.name, "ERROR");
                continue;
            }
            double t = c.median();
            out.printf(Locale.ROOT, "   %-34s %10.2f %10.3f %8d%s%n", c.name, flops / t / 1e9, t * 1e3,
                    c.t.length, spreadNote(c.t));
        }
    }

    private static String spreadNote(double[] t) {
        if (t.length < 3) {
            return "";
        }
        double md = median(t);
        double spread = (Arrays.stream(t).max().orElse(md) - Arrays.stream(t).min().orElse(md)) / md;
        return spread > 0.2 ? String.format(Locale.ROOT, "   (noisy: batch times spread %.0f%%)", spread * 100) : "";
    }

    private void ratioRow(String label, String section, String what, Contestant mine, Contestant other,
                          double flops, double target, boolean strict) {
        if (other == null || mine == null || mine.error != null || other.error != null) {
            rows.add(new Row(label, section, what, Double.NaN, "GFLOP/s", Double.NaN, Double.NaN, false, Double.NaN,
                    other == null ? "peer unavailable" : "error"));
            out.printf(Locale.ROOT, "   %-40s   n/a%n", what);
            return;
        }
        int n = Math.min(mine.t.length, other.t.length);
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            r[i] = other.t[i] / mine.t[i];
        }
        double ratio = median(r);
        Row row = new Row(label, section, what, flops / mine.median() / 1e9, "GFLOP/s", ratio, target, strict,
                Double.NaN, null);
        rows.add(row);
        String extra = "";
        if (strict && target == FUSED_TARGET && what.startsWith("fused")) {
            extra = String.format(Locale.ROOT, "   (fused %s by %.1f%%)", ratio >= 1 ? "faster" : "SLOWER",
                    Math.abs(ratio - 1) * 100);
        }
        out.printf(Locale.ROOT, "   %-40s %6.2f  %-8s %s%s%n", what, ratio, row.targetText(), row.status(), extra);
    }

    /**
     * The fused-versus-unfused row: the median over interleaved pairs of t(unfused) / t(fused) (see the
     * class comment), target &gt; {@value #FUSED_TARGET}, with its confidence interval; fused's
     * GFLOP/s (from the batches) as the row's value.
     */
    private void pairRow(String label, String section, String what, Contestant fused, Contestant unfused,
                         double flops) {
        if (fused == null || unfused == null || fused.error != null || unfused.error != null) {
            rows.add(new Row(label, section, what, Double.NaN, "GFLOP/s", Double.NaN, Double.NaN, false, Double.NaN,
                    "error"));
            out.printf(Locale.ROOT, "   %-40s   n/a%n", what);
            return;
        }
        int n;
        if (opt.quick) {
            n = QUICK_PAIRS;
        } else {
            double pair = fused.median() + unfused.median();
            n = (int) Math.max(MIN_PAIRS, Math.min(MAX_PAIRS, Math.round(PAIR_SECONDS / pair)));
        }
        double[] r;
        try {
            r = pairs(fused, unfused, n);
        } catch (RuntimeException | LinkageError e) {
            String err = firstLine(String.valueOf(e.getMessage() == null ? e : e.getMessage()));
            rows.add(new Row(label, section, what, Double.NaN, "GFLOP/s", Double.NaN, Double.NaN, false, Double.NaN,
                    err));
            out.printf(Locale.ROOT, "   %-40s   ERROR %s%n", what, err);
            return;
        }
        double[] sorted = r.clone();
        Arrays.sort(sorted);
        double ratio = median(r);
        // distribution-free 95 % interval of the median: order statistics j and n - 1 - j with
        // j = floor(n/2 - 0.98·sqrt(n)) (the normal approximation of Binomial(n, 1/2))
        int j = (int) Math.floor(n / 2.0 - 0.98 * Math.sqrt(n));
        double lo = j >= 0 ? sorted[j] : Double.NaN;
        double hi = j >= 0 ? sorted[n - 1 - j] : Double.NaN;
        int wins = 0;
        for (double x : r) {
            if (x > 1) {
                wins++;
            }
        }
        Row row = new Row(label, section, what, flops / fused.median() / 1e9, "GFLOP/s", ratio, FUSED_TARGET, true,
                Double.NaN, null, lo, hi, n);
        rows.add(row);
        boolean significant = !Double.isNaN(lo) && (lo > 1 || hi < 1);
        out.printf(Locale.ROOT, "   %-40s %6.3f  %-8s %s   (fused %s by %.1f%%%s; %d interleaved pairs, %s;"
                        + " fused faster in %d of %d)%n", what, ratio, row.targetText(), row.status(),
                ratio >= 1 ? "faster" : "SLOWER", Math.abs(ratio - 1) * 100, significant ? "" : ", not significant", n,
                Double.isNaN(lo) ? "too few for a 95% interval"
                        : String.format(Locale.ROOT, "95%% CI %.3f-%.3f", lo, hi), wins, n);
    }

    /**
     * n interleaved pairs: t(unfused) / t(fused) per pair, each call timed alone with its queue drained
     * before and after; even pairs run fused first, odd pairs unfused first.
     */
    private static double[] pairs(Contestant fused, Contestant unfused, int n) {
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            double tf;
            double tu;
            if (i % 2 == 0) {
                tf = time(fused, 1);
                tu = time(unfused, 1);
            } else {
                tu = time(unfused, 1);
                tf = time(fused, 1);
            }
            r[i] = tu / tf;
        }
        return r;
    }

    private void printSummary() {
        if (rows.isEmpty()) {
            return;
        }
        out.println();
        out.println("== Summary (soma's value; ratio = t(other) / t(soma), > 1: soma faster)");
        out.printf(Locale.ROOT, "   %-6s %-20s %-42s %14s %7s %8s  %s%n", "device", "shape", "measurement",
                "soma", "ratio", "target", "status");
        for (Row r : rows) {
            String v = Double.isNaN(r.value()) ? "-" : String.format(Locale.ROOT, "%.1f %s", r.value(),
                    r.unit().equals("GFLOP/s") ? "GF/s" : "img/s");
            String what = r.measurement() + (Double.isNaN(r.transferShare()) ? ""
                    : String.format(Locale.ROOT, " (transfers %.0f%%)", r.transferShare() * 100))
                    + (Double.isNaN(r.ratioLow()) ? "" : String.format(Locale.ROOT, " [CI %.3f-%.3f]",
                    r.ratioLow(), r.ratioHigh()));
            out.printf(Locale.ROOT, "   %-6s %-20s %-42s %14s %7s %8s  %s%n", r.backend(), r.section(), what, v,
                    Double.isNaN(r.ratio()) ? "-" : r.pairs() > 0 ? String.format(Locale.ROOT, "%.3f", r.ratio())
                            : fmt2(r.ratio()), r.targetText(),
                    r.status().equals("ERROR") ? "ERROR (" + r.error() + ")" : r.status());
        }
        out.println();
        for (String b : backendLabels) {
            int pass = 0, miss = 0, err = 0;
            for (Row r : rows) {
                if (r.backend().equals(b)) {
                    switch (r.status()) {
                        case "PASS" -> pass++;
                        case "MISS" -> miss++;
                        case "ERROR" -> err++;
                        default -> { }
                    }
                }
            }
            out.printf(Locale.ROOT, "   %-10s PASS %d, MISS %d, ERROR %d%n",
                    b.equals("java") ? "Java" : "OpenCL " + b, pass, miss, err);
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Options

    /** The options of scripts/bench-dense and of the dense part of {@code soma bench}. */
    public static final class Options {
        public static final String USAGE = String.join("\n",
                "usage: bench-dense [--quick] [--device SEL] [--only dense,square,network] [--dense MxNxK]",
                "                   [--batches B] [--repeat R]",
                "  --quick           smoke run: dense 64x256x256, square 128,256, network batch 32; 1 call, 1 batch",
                "  --device SEL      one backend only: java, P:D, gpu, cpu or part of a device name",
                "                    (default: every OpenCL device, then the Java path)",
                "  --only SECTIONS   comma-separated: dense (256x1024x1024), square (512,1024,2048), network",
                "  --dense MxNxK     the dense section's shape: batch M, N outputs, K inputs (fusion gains most",
                "                    where K is small: the activation pass is then a larger share)",
                "  --batches B       timed batches per measurement, median taken (default 9; 1 with --quick)",
                "  --repeat R        calls per timed batch (default: automatic, ~" + (int) (BATCH_SECONDS * 1000)
                        + " ms per batch)");

        public int m = 256, n = 1024, k = 1024;
        public int[] squares = {512, 1024, 2048};
        public int netBatch = 256;
        public int batches = -1;
        public int repeat = -1;
        public Set<String> only;
        public String device;
        public boolean quick;
        public boolean help;
        /** --dense M, N, K; applied after --quick's sizes, so that it wins. */
        private int[] dense;

        /** @throws IllegalArgumentException for bad options */
        public static Options parse(String[] args) {
            Options o = new Options();
            BenchSupport.options(args, Set.of("--quick", "-h", "--help"),
                    Set.of("--device", "--only", "--dense", "--batches", "--repeat"), (a, v) -> {
                        switch (a) {
                            case "--quick" -> o.quick = true;
                            case "-h", "--help" -> o.help = true;
                            case "--device" -> o.device = v.strip();
                            case "--batches" -> o.batches = positive(a, v);
                            case "--repeat" -> o.repeat = positive(a, v);
                            case "--dense" -> {
                                String[] p = v.toLowerCase(Locale.ROOT).split("x", -1);
                                if (p.length != 3) {
                                    throw new IllegalArgumentException("--dense takes MxNxK (batch x outputs x inputs),"
                                            + " got '" + v + "'");
                                }
                                o.dense = new int[] {positive(a, p[0]), positive(a, p[1]), positive(a, p[2])};
                            }
                            default -> {
                                o.only = new LinkedHashSet<>();
                                for (String part : v.split(",")) {
                                    String t = part.strip().toLowerCase(Locale.ROOT);
                                    if (t.isEmpty()) {
                                        continue;
                                    }
                                    if (!SECTIONS.contains(t)) {
                                        throw new IllegalArgumentException("--only: unknown section '" + t
                                                + "' (dense, square, network)");
                                    }
                                    o.only.add(t);
                                }
                                if (o.only.isEmpty()) {
                                    throw new IllegalArgumentException("--only names nothing");
                                }
                            }
                        }
                    });
            if (o.quick) {
                o.m = 64;
                o.n = 256;
                o.k = 256;
                o.squares = new int[] {128, 256};
                o.netBatch = 32;
                if (o.repeat < 0) {
                    o.repeat = 1;
                }
            }
            if (o.dense != null) {
                o.m = o.dense[0];
                o.n = o.dense[1];
                o.k = o.dense[2];
            }
            if (o.batches < 0) {
                o.batches = o.quick ? 1 : 9;
            }
            return o;
        }

        public boolean wants(String section) {
            return only == null || only.contains(section);
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Helpers

    public static float[] random(int n, long seed) {
        return random(n, seed, 1f);
    }

    /** Uniform on [-scale, scale). */
    public static float[] random(int n, long seed, float scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        }
        return a;
    }

    /** "max |got - ref| / max |ref|" and max |ref|, formatted. */
    public static String relErr(float[] got, float[] ref) {
        double maxErr = 0, maxRef = 0;
        for (int i = 0; i < ref.length; i++) {
            maxErr = Math.max(maxErr, Math.abs((double) got[i] - ref[i]));
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
        }
        return String.format(Locale.ROOT, "%.1e (max |ref| %.3g)", maxRef == 0 ? maxErr : maxErr / maxRef, maxRef);
    }
}
