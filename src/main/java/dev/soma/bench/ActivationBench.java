package dev.soma.bench;

import dev.soma.Activation;
import dev.soma.Backend;
import dev.soma.BackendInfo;
import dev.soma.Soma;
import dev.soma.Tensor;
import dev.soma.opencl.OpenClBackend;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;

import static dev.soma.bench.BenchSupport.firstLine;
import static dev.soma.bench.BenchSupport.fmt2;
import static dev.soma.bench.BenchSupport.loadAverage;
import static dev.soma.bench.BenchSupport.median;
import static dev.soma.bench.BenchSupport.positive;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The activation benchmark ({@code scripts/bench}, later {@code soma bench}): the throughput of every
 * function, forward and derivative, on every backend, and its ratio to a plain reference measured on
 * the same device in the same run.
 *
 * <ul>
 *   <li>Cheap functions (bandwidth-bound: identity, binary_step, the ReLU family, hard_sigmoid,
 *       hard_swish) against the copy kernel {@code y[i] = x[i]}; target 0.9.</li>
 *   <li>Every other function against the naive kernel {@code y = 1/(1+exp(-x))}; target 0.9.</li>
 *   <li>Softmax and log-softmax over rows against soma's own sigmoid on the same tensors; target 0.7.</li>
 *   <li>The pure-Java path (all cores) against the single-threaded plain code a user would write:
 *       {@code System.arraycopy} (cheap functions, target 0.8) and a {@code Math.exp} sigmoid loop
 *       (sigmoid, target 3; other functions are shown against it without a target).</li>
 * </ul>
 *
 * <p>Method: the input is uploaded once; every call is out of place (x → y) on device tensors. Each
 * measurement warms up (the first call builds the kernel), then runs {@code batches} batches of
 * {@code repeat} calls of the reference and of the function, alternating which goes first, each
 * batch ended by {@link OpenClBackend#finish()} on OpenCL (the queue is asynchronous). GB/s comes
 * from the median batch time; the ratio is the median over batches of t(reference) / t(function),
 * so that noise hitting a batch hits both sides.
 *
 * <p>Uses only the public API plus {@link OpenClBackend#baseline} and {@link OpenClBackend#finish()}.
 */
public final class ActivationBench {

    /** Bandwidth-bound functions, measured against the copy kernel. */
    static final Set<Activation> CHEAP = EnumSet.of(Activation.IDENTITY, Activation.BINARY_STEP, Activation.RELU,
            Activation.RELU6, Activation.LEAKY_RELU, Activation.PRELU, Activation.THRESHOLDED_RELU,
            Activation.HARD_SIGMOID, Activation.HARD_SWISH);

    static final double OPENCL_TARGET = 0.9;
    static final double SOFTMAX_TARGET = 0.7;
    static final double JAVA_COPY_TARGET = 0.8;
    static final double JAVA_SIGMOID_TARGET = 3.0;
    /** Bytes read + written per element by an element-wise call or a softmax (4 in, 4 out). */
    static final int BYTES_PER_ELEMENT = 8;
    /** With the default (automatic) repetition count, a batch lasts about this long. */
    static final double BATCH_SECONDS = 0.08;
    static final int MAX_AUTO_REPEAT = 32;
    /** With automatic repetition, a slow function gets fewer batches so that its own calls take about this long. */
    static final double SLOW_SECONDS = 1.5;
    /** Elements of the tensors the warm-up runs on. */
    static final int WARMUP_ELEMENTS_OPENCL = 1 << 16;
    static final int WARMUP_ELEMENTS_JAVA = 1 << 20;
    /** Warm-up calls after the first stop once this much time went by: a 16M-element call is enough for the JIT. */
    static final long WARMUP_NANOS = 400_000_000L;

    private final Options opt;
    /** Where the tables go (System.out from scripts/bench). */
    private final PrintStream out;
    /** Where the progress lines go, or null for none. */
    private final PrintStream progress;
    private final List<Row> rows = new ArrayList<>();
    /** Progress: measurements done and planned. */
    private int done;
    private int planned;
    private final List<String> backendLabels = new ArrayList<>();
    /** Untimed calls before a measurement: one builds an OpenCL kernel; the JIT wants more. */
    private int warmups = 1;

    private ActivationBench(Options opt, PrintStream out, PrintStream progress) {
        this.opt = opt;
        this.out = out;
        this.progress = progress;
    }

    /** One measured line of the benchmark, for machine-readable output; NaN where there is no value. */
    public record Measured(String backend, String function, String direction, double gbps, String reference,
                           double referenceGbps, double ratio, double target, String status, String error) {
    }

    /**
     * What a run measured, and its settings.
     *
     * @param exitCode 0, or 1 when no backend could be measured
     */
    public record Report(int exitCode, List<Measured> results, List<String> backends, int size, int repeat,
                         int batches, int softmaxRows, int softmaxCols, boolean quick, String device,
                         double seconds) {
    }

    /**
     * Runs the benchmark in-process, with the options of {@code scripts/bench} ({@link Options#USAGE}).
     *
     * @param out      the tables
     * @param progress one line per measurement before it starts ("[3/58] gelu deriv on 0:0"), or null
     * @throws IllegalArgumentException for bad options
     */
    public static Report run(String[] args, PrintStream out, PrintStream progress) {
        Options opt = Options.parse(args);
        ActivationBench bench = new ActivationBench(opt, out, progress);
        long start = System.nanoTime();
        int rc = bench.run();
        List<Measured> res = new ArrayList<>();
        for (Row r : bench.rows) {
            res.add(new Measured(r.backend, r.name, r.dir, r.gbps, r.refName, r.refGbps, r.ratio, r.target,
                    r.status(), r.error));
        }
        return new Report(rc, List.copyOf(res), List.copyOf(bench.backendLabels), opt.size,
                opt.repeat > 0 ? opt.repeat : 0, opt.batches, opt.smRows, opt.smCols, opt.quick, opt.device,
                (System.nanoTime() - start) / 1e9);
    }

    /** The usage text of the options {@link #run(String[], PrintStream, PrintStream)} takes. */
    public static String usage() {
        return Options.USAGE;
    }

    public static void main(String[] args) {
        Options opt;
        try {
            opt = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("bench: " + e.getMessage());
            System.err.println(Options.USAGE);
            System.exit(2);
            return;
        }
        if (opt.help) {
            System.out.println(Options.USAGE);
            return;
        }
        int rc = new ActivationBench(opt, System.out, null).run();
        if (rc != 0) {
            System.exit(rc); // nothing could be measured: say so to scripts
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Driver

    private int run() {
        long start = System.nanoTime();
        printHeader();
        List<String> selectors = new ArrayList<>();
        if (opt.device != null) {
            selectors.add(opt.device);
        } else {
            List<String> cl;
            try {
                cl = Soma.openClDevices();
            } catch (RuntimeException e) {
                out.println("OpenCL discovery failed: " + firstLine(e.getMessage()));
                cl = List.of();
            }
            if (cl.isEmpty()) {
                out.println("no OpenCL device found: " + Soma.devices().problem());
            }
            selectors.addAll(cl);
            selectors.add("java");
        }
        planned = selectors.size() * perBackend();
        for (String sel : selectors) {
            int doneBefore = done;
            Backend b;
            try {
                b = sel.equalsIgnoreCase("java") ? Soma.java() : Soma.open(sel);
            } catch (RuntimeException e) {
                out.println();
                out.println("== " + sel + ": cannot open: " + firstLine(e.getMessage()));
                done = doneBefore + perBackend();
                continue;
            }
            try (b) {
                String label = labelOf(b.info());
                backendLabels.add(label);
                benchBackend(b, label);
            } catch (RuntimeException e) {
                out.println("   backend aborted: " + e);
            }
            done = doneBefore + perBackend();
        }
        printSummary();
        out.printf(Locale.ROOT, "%ntotal time %.1f s%s%n", (System.nanoTime() - start) / 1e9, loadAverage());
        return backendLabels.isEmpty() ? 1 : 0;
    }

    /** Measurements per backend with these options. */
    private int perBackend() {
        int n = (int) Arrays.stream(Activation.values()).filter(a -> opt.wants(a.catalogueName())).count() * 2;
        return n + (opt.wants("softmax") ? 1 : 0) + (opt.wants("log_softmax") ? 1 : 0);
    }

    private void printHeader() {
        out.println("soma activation benchmark");
        out.printf(Locale.ROOT, "  element-wise: %d elements (%.1f MiB per tensor), x -> y out of place;"
                        + " softmax: %d x %d%n", opt.size, opt.size * 4.0 / (1 << 20), opt.smRows, opt.smCols);
        out.printf(Locale.ROOT, "  %d batch(es) per measurement, %s call(s) per batch; warm-up first"
                        + " (the first call builds the kernel)%n", opt.batches,
                opt.repeat > 0 ? String.valueOf(opt.repeat) : "auto (~" + (int) (BATCH_SECONDS * 1000) + " ms)");
        out.println("  GB/s = (bytes read + written) / median batch time per call, 8 bytes per element");
        out.println("  ratio = median over batches of t(reference) / t(function); reference and function"
                + " interleaved batch by batch");
        out.printf(Locale.ROOT, "  host: %d cores, Java %s%s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"), loadAverage());
    }

    // ------------------------------------------------------------------------------------------------
    // One backend

    private void benchBackend(Backend b, String label) {
        boolean cl = b instanceof OpenClBackend;
        OpenClBackend ocl = cl ? (OpenClBackend) b : null;
        out.println();
        out.println("== " + (cl ? "OpenCL " + label + ": " : "Java path: ") + b.info());
        if (cl) {
            out.println("   build options: " + ocl.buildOptions());
            out.println("   references on this device: copy = y[i] = x[i];  sigmoid = y = 1/(1+exp(-x))"
                    + " (opencl/baselines.cl); target ratio >= " + fmt2(OPENCL_TARGET));
        } else {
            out.println("   soma's pure-Java kernels run on all " + Runtime.getRuntime().availableProcessors()
                    + " cores; the references are the SINGLE-THREADED plain code a user would write:");
            out.println("   copy = System.arraycopy (target >= " + fmt2(JAVA_COPY_TARGET) + ");  sigmoid ="
                    + " for (i) y[i] = (float) (1 / (1 + Math.exp(-x[i]))) (target >= " + fmt2(JAVA_SIGMOID_TARGET)
                    + " for sigmoid; other functions shown without a target)");
        }
        out.printf(Locale.ROOT, "   %-20s %-5s %8s   %-8s %8s  %6s  %7s%n", "function", "dir", "GB/s", "ref",
                "ref GB/s", "ratio", "target");

        Runnable sync = cl ? ocl::finish : () -> { };
        warmups = cl || opt.quick ? 1 : 3;
        List<Activation> fns = Arrays.stream(Activation.values()).filter(a -> opt.wants(a.catalogueName())).toList();
        if (!fns.isEmpty()) {
            float[] host = randomInput(opt.size, 42);
            // The warm-up runs on small tensors: it only has to build the kernel (OpenCL) or get the
            // loops compiled (JIT), and a slow function must not pay a full-size call for it.
            int small = Math.min(opt.size, cl ? WARMUP_ELEMENTS_OPENCL : WARMUP_ELEMENTS_JAVA);
            float[] hostSmall = Arrays.copyOf(host, small);
            try (Tensor x = b.upload(host, 1, opt.size); Tensor y = b.tensor(1, opt.size);
                 Tensor xs = b.upload(hostSmall, 1, small); Tensor ys = b.tensor(1, small)) {
                float[] jx = cl ? null : host;
                float[] jy = cl ? null : new float[opt.size];
                float[] jxs = cl ? null : hostSmall;
                float[] jys = cl ? null : new float[small];
                Op copyRef = cl ? () -> ocl.baseline("copy", x, y) : () -> System.arraycopy(jx, 0, jy, 0, jx.length);
                Op sigRef = cl ? () -> ocl.baseline("sigmoid", x, y) : () -> naiveSigmoid(jx, jy);
                Op copyWarm = cl ? () -> ocl.baseline("copy", xs, ys) : () -> System.arraycopy(jxs, 0, jys, 0, small);
                Op sigWarm = cl ? () -> ocl.baseline("sigmoid", xs, ys) : () -> naiveSigmoid(jxs, jys);
                for (Activation a : fns) {
                    boolean cheap = CHEAP.contains(a);
                    for (boolean deriv : new boolean[] {false, true}) {
                        Op f = deriv ? () -> b.derivative(a, x, y) : () -> b.forward(a, x, y);
                        Op fWarm = deriv ? () -> b.derivative(a, xs, ys) : () -> b.forward(a, xs, ys);
                        double target = cl ? OPENCL_TARGET
                                : cheap ? JAVA_COPY_TARGET : a == Activation.SIGMOID ? JAVA_SIGMOID_TARGET : Double.NaN;
                        measureAndPrint(label, a.catalogueName(), deriv ? "deriv" : "fwd",
                                new Pair(f, cheap ? copyRef : sigRef), new Pair(fWarm, cheap ? copyWarm : sigWarm),
                                cheap ? "copy" : "sigmoid", sync, opt.size, target);
                    }
                }
            }
        }
        boolean sm = opt.wants("softmax");
        boolean lsm = opt.wants("log_softmax");
        if (sm || lsm) {
            int n = opt.smRows * opt.smCols;
            float[] h = randomInput(n, 7);
            try (Tensor x = b.upload(h, opt.smRows, opt.smCols); Tensor y = b.tensor(opt.smRows, opt.smCols)) {
                Op sig = () -> b.forward(Activation.SIGMOID, x, y);
                String ref = "sigmoid*";
                if (sm) {
                    Pair p = new Pair(() -> b.softmax(x, y), sig);
                    measureAndPrint(label, "softmax", "fwd", p, p, ref, sync, n, SOFTMAX_TARGET);
                }
                if (lsm) {
                    Pair p = new Pair(() -> b.logSoftmax(x, y), sig);
                    measureAndPrint(label, "log_softmax", "fwd", p, p, ref, sync, n, SOFTMAX_TARGET);
                }
                out.println("   (sigmoid* = soma's own sigmoid on the same " + opt.smRows + " x " + opt.smCols
                        + " tensors)");
            }
        }
    }

    private void measureAndPrint(String backend, String name, String dir, Pair timed, Pair warm, String refName,
                                 Runnable sync, long elements, double target) {
        Row row = new Row(backend, name, dir, target);
        row.refName = refName;
        rows.add(row);
        done++;
        if (progress != null) {
            progress.printf(Locale.ROOT, "[%d/%d] %s %s on %s%n", done, Math.max(done, planned), name, dir, backend);
            progress.flush();
        }
        try {
            Measurement m = measure(timed, warm, sync, opt.repeat, opt.batches, warmups);
            double bytes = (double) elements * BYTES_PER_ELEMENT;
            row.gbps = bytes / m.fSeconds / 1e9;
            row.ratio = m.ratio;
            row.refGbps = bytes / m.refSeconds / 1e9;
            String status = row.status();
            out.printf(Locale.ROOT, "   %-20s %-5s %8.2f   %-8s %8.2f  %6.2f  %7s  %s%s%n", name, dir, row.gbps,
                    refName, bytes / m.refSeconds / 1e9, m.ratio,
                    Double.isNaN(target) ? "-" : ">=" + fmt2(target), status,
                    notes(m));
        } catch (RuntimeException e) {
            row.error = firstLine(e.getMessage() == null ? e.toString() : e.getMessage());
            out.printf(Locale.ROOT, "   %-20s %-5s    ERROR  %s%n", name, dir, row.error);
            try {
                sync.run();
            } catch (RuntimeException ignored) {
                // the queue is reported broken by the next measurement, if at all
            }
        }
        out.flush();
    }

    private String notes(Measurement m) {
        List<String> n = new ArrayList<>();
        if (m.batches() < opt.batches) {
            n.add(m.batches() + (m.batches() == 1 ? " batch" : " batches") + ": slow");
        }
        if (m.spread() > 0.2) {
            n.add(String.format(Locale.ROOT, "noisy: batch ratios spread %.0f%%", m.spread() * 100));
        }
        return n.isEmpty() ? "" : "   (" + String.join("; ", n) + ")";
    }

    // ------------------------------------------------------------------------------------------------
    // Timing

    interface Op {
        void run();
    }

    record Measurement(double fSeconds, double refSeconds, double ratio, double spread, int batches) {
    }

    /** A function and its reference, on the same tensors. */
    record Pair(Op f, Op ref) {
    }

    /**
     * Warm-up on {@code warm}, then up to {@code batches} interleaved batches of {@code timed}; see the
     * class comment. With automatic repetition ({@code repeat} 0) the function and the reference each
     * get enough calls per batch to last about {@value #BATCH_SECONDS} s; a function so slow that one
     * call fills a batch gets fewer batches (as few as one) so that its calls take about
     * {@value #SLOW_SECONDS} s in all, and its first timed pair counts as a batch.
     */
    static Measurement measure(Pair timed, Pair warm, Runnable sync, int repeat, int batches, int warmups) {
        Op f = timed.f();
        Op ref = timed.ref();
        // Warm-up: builds the kernels (and, on POCL, the work-group function at the first launch); lets
        // the JIT compile the Java loops.
        long warmStart = System.nanoTime();
        for (int i = 0; i < warmups && (i == 0 || System.nanoTime() - warmStart < WARMUP_NANOS); i++) {
            warm.f().run();
            warm.ref().run();
            sync.run();
        }
        // First timed pair: sizes the batches (and touches the full-size tensors).
        double tr = time(ref, sync, 1);
        double tf = time(f, sync, 1);
        int repsF = repeat > 0 ? repeat : autoReps(tf);
        int repsR = repeat > 0 ? repeat : autoReps(tr);
        int n = batches;
        boolean firstCounts = repeat <= 0 && repsF == 1;
        if (repeat <= 0 && n * repsF * tf > SLOW_SECONDS) {
            n = (int) Math.max(1, Math.min(batches, Math.floor(SLOW_SECONDS / (repsF * tf))));
        }
        double[] fs = new double[n];
        double[] rs = new double[n];
        double[] ratios = new double[n];
        for (int i = 0; i < n; i++) {
            if (i == 0 && firstCounts) {
                rs[i] = tr;
                fs[i] = tf;
            } else if (i % 2 == 0) {
                rs[i] = time(ref, sync, repsR);
                fs[i] = time(f, sync, repsF);
            } else {
                fs[i] = time(f, sync, repsF);
                rs[i] = time(ref, sync, repsR);
            }
            ratios[i] = rs[i] / fs[i];
        }
        double ratio = median(ratios);
        double spread = n < 3 ? 0 : (max(ratios) - min(ratios)) / ratio;
        return new Measurement(median(fs), median(rs), ratio, spread, n);
    }

    private static int autoReps(double seconds) {
        return (int) Math.max(1, Math.min(MAX_AUTO_REPEAT, Math.round(BATCH_SECONDS / seconds)));
    }

    /** Seconds per call of {@code reps} back-to-back calls, the queue drained before and after. */
    static double time(Op op, Runnable sync, int reps) {
        sync.run();
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) {
            op.run();
        }
        sync.run();
        return (System.nanoTime() - t0) / 1e9 / reps;
    }

    /** The plain loop a user would write: one thread, double-precision Math.exp. */
    static void naiveSigmoid(float[] x, float[] y) {
        for (int i = 0; i < x.length; i++) {
            y[i] = (float) (1 / (1 + Math.exp(-x[i])));
        }
    }

    static float[] randomInput(int n, long seed) {
        // Uniform on [-8, 8): every branch of every function taken, no overflow anywhere.
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextDouble() * 16 - 8);
        }
        return a;
    }

    private static double max(double[] v) {
        return Arrays.stream(v).max().orElse(Double.NaN);
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }

    // ------------------------------------------------------------------------------------------------
    // Summary

    static final class Row {
        final String backend;
        final String name;
        final String dir;
        final double target;
        double gbps = Double.NaN;
        double ratio = Double.NaN;
        String refName;
        double refGbps = Double.NaN;
        String error;

        Row(String backend, String name, String dir, double target) {
            this.backend = backend;
            this.name = name;
            this.dir = dir;
            this.target = target;
        }

        String status() {
            if (error != null) {
                return "ERROR";
            }
            if (Double.isNaN(target)) {
                return "info";
            }
            return ratio >= target ? "PASS" : "MISS";
        }

        String cell() {
            if (error != null) {
                return "ERROR";
            }
            String s = status();
            return String.format(Locale.ROOT, "%5.2f %s", ratio, s.equals("PASS") ? "ok  " : s.equals("info") ? "    "
                    : s);
        }
    }

    private void printSummary() {
        if (rows.isEmpty()) {
            return;
        }
        out.println();
        out.println("== Summary: ratio to the reference (ok = meets target, MISS = below, blank = no target)");
        Map<String, Map<String, Row>> byName = new LinkedHashMap<>();
        for (Row r : rows) {
            byName.computeIfAbsent(r.name, k -> new LinkedHashMap<>()).put(r.backend + " " + r.dir, r);
        }
        StringBuilder h1 = new StringBuilder(String.format(Locale.ROOT, "   %-20s", ""));
        StringBuilder h2 = new StringBuilder(String.format(Locale.ROOT, "   %-20s", "function"));
        for (String b : backendLabels) {
            String title = b.equals("java") ? "Java" : "OpenCL " + b;
            h1.append(String.format(Locale.ROOT, " | %-21s", title));
            h2.append(String.format(Locale.ROOT, " | %-10s %-10s", "fwd", "deriv"));
        }
        out.println(h1);
        out.println(h2);
        for (Map.Entry<String, Map<String, Row>> e : byName.entrySet()) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "   %-20s", e.getKey()));
            for (String b : backendLabels) {
                Row fw = e.getValue().get(b + " fwd");
                Row dv = e.getValue().get(b + " deriv");
                line.append(String.format(Locale.ROOT, " | %-10s %-10s", fw == null ? "" : fw.cell(),
                        dv == null ? "" : dv.cell()));
            }
            out.println(line.toString().stripTrailing());
        }
        out.println();
        for (String b : backendLabels) {
            int pass = 0;
            int miss = 0;
            int info = 0;
            int err = 0;
            List<String> missed = new ArrayList<>();
            for (Row r : rows) {
                if (!r.backend.equals(b)) {
                    continue;
                }
                switch (r.status()) {
                    case "PASS" -> pass++;
                    case "MISS" -> {
                        miss++;
                        missed.add(r.name + (r.dir.equals("fwd") ? "" : "'"));
                    }
                    case "info" -> info++;
                    default -> err++;
                }
            }
            out.printf(Locale.ROOT, "   %-10s PASS %d, MISS %d, no target %d, ERROR %d%n",
                    b.equals("java") ? "Java" : "OpenCL " + b, pass, miss, info, err);
            if (!missed.isEmpty()) {
                StringBuilder line = new StringBuilder("      missed (' = derivative):");
                for (String m : missed) {
                    if (line.length() + m.length() > 100) {
                        out.println(line);
                        line = new StringBuilder("       ");
                    }
                    line.append(' ').append(m);
                }
                out.println(line);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Options

    static final class Options {
        static final String USAGE = String.join("\n",
                "usage: bench [--size N] [--repeat R] [--batches B] [--only NAME[,NAME...]] [--device SELECTOR]",
                "             [--softmax ROWSxCOLS] [--quick]",
                "  --size N          elements per element-wise tensor (default 16777216 = 1<<24; 1<<20 with --quick)",
                "  --repeat R        calls per timed batch (default: automatic, about "
                        + (int) (BATCH_SECONDS * 1000) + " ms per batch; 1 with --quick)",
                "  --batches B       timed batches per measurement, median taken (default 5; 1 with --quick)",
                "  --only NAMES      comma-separated catalogue names (relu,gelu_tanh,...), softmax, log_softmax",
                "  --device SEL      one backend only: java, P:D, gpu, cpu or part of a device name",
                "                    (default: every OpenCL device, then the Java path)",
                "  --softmax RxC     softmax shape (default 256x4096; 32x4096 with --quick)",
                "  --quick           smoke run: small sizes, 1 call, 1 batch");

        int size = -1;
        int repeat = -1;
        int batches = -1;
        int smRows = -1;
        int smCols = -1;
        Set<String> only;
        String device;
        boolean quick;
        boolean help;

        static Options parse(String[] args) {
            Options o = new Options();
            BenchSupport.options(args, Set.of("--quick", "-h", "--help"),
                    Set.of("--size", "--repeat", "--batches", "--only", "--device", "--softmax"), (a, v) -> {
                        switch (a) {
                            case "--quick" -> o.quick = true;
                            case "-h", "--help" -> o.help = true;
                            case "--size" -> o.size = positive(a, v);
                            case "--repeat" -> o.repeat = positive(a, v);
                            case "--batches" -> o.batches = positive(a, v);
                            case "--device" -> o.device = v.strip();
                            case "--softmax" -> {
                                String[] p = v.toLowerCase(Locale.ROOT).split("x");
                                if (p.length != 2) {
                                    throw new IllegalArgumentException("--softmax takes ROWSxCOLS, got " + v);
                                }
                                o.smRows = positive(a, p[0]);
                                o.smCols = positive(a, p[1]);
                            }
                            default -> o.only = names(v);
                        }
                    });
            if (o.size < 0) {
                o.size = o.quick ? 1 << 20 : 1 << 24;
            }
            if (o.repeat < 0 && o.quick) {
                o.repeat = 1;
            }
            if (o.batches < 0) {
                o.batches = o.quick ? 1 : 5;
            }
            if (o.smRows < 0) {
                o.smRows = o.quick ? 32 : 256;
                o.smCols = 4096;
            }
            if ((long) o.smRows * o.smCols > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("--softmax shape too large");
            }
            return o;
        }

        private static Set<String> names(String v) {
            Set<String> s = new LinkedHashSet<>();
            for (String part : v.split(",")) {
                String n = part.strip().toLowerCase(Locale.ROOT).replace('-', '_');
                if (n.isEmpty()) {
                    continue;
                }
                if (n.equals("softmax") || n.equals("log_softmax") || n.equals("logsoftmax")) {
                    s.add(n.equals("softmax") ? "softmax" : "log_softmax");
                } else {
                    s.add(Activation.byName(n).catalogueName()); // throws, listing the known names
                }
            }
            if (s.isEmpty()) {
                throw new IllegalArgumentException("--only names nothing");
            }
            return s;
        }

        boolean wants(String name) {
            return only == null || only.contains(name);
        }
    }

    /** ", load average 1.2 1.0 0.5" from /proc/loadavg (other work on the machine skews the numbers), or "". */
    /** The backend's column in the summary: its OpenCL selector ("0:0"), or "java". */
    static String labelOf(BackendInfo info) {
        return info.kind() == BackendInfo.Kind.JAVA ? "java" : info.selector();
    }
}
