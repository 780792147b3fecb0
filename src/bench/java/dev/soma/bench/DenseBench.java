package dev.soma.bench;

import dev.soma.Activation;
import dev.soma.Backend;
import dev.soma.BackendInfo;
import dev.soma.Network;
import dev.soma.Soma;
import dev.soma.Tensor;
import dev.soma.WeightLayout;
import dev.soma.opencl.DeviceInfo;
import dev.soma.opencl.OpenClBackend;
import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.JavaBLAS;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.blast.CLBlast;
import org.jocl.blast.CLBlastLayout;
import org.jocl.blast.CLBlastTranspose;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_mem;
import org.jocl.cl_platform_id;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;

import static dev.soma.bench.BenchSupport.firstLine;
import static dev.soma.bench.BenchSupport.fmt2;
import static dev.soma.bench.BenchSupport.loadAverage;
import static dev.soma.bench.BenchSupport.median;
import static dev.soma.bench.BenchSupport.positive;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The dense-layer benchmark ({@code scripts/bench-dense}): GEMM and fused dense-layer throughput on
 * every backend, against peers measured in the same run on the same machine.
 *
 * <ul>
 *   <li>OpenCL: soma's fused dense forward y = relu(x·Wᵀ + b) against CLBlast SGEMM (x·Wᵀ only) on
 *       the same device, through its own context and queue (target ≥ 2 on a CPU OpenCL device, ≥ 1
 *       on a GPU); the fused kernel against the same dense layer without activation followed by a
 *       separate activation pass (ReLU and GELU; target: fused faster, ratio > 1).</li>
 *   <li>Java path (all cores): against EJML {@code CommonOps_FDRM.multTransB} / {@code mult}
 *       (single-threaded; target ≥ 5) and netlib's pure-Java {@code sgemm} (single-threaded;
 *       VectorBLAS when jdk.incubator.vector is present, else F2jBLAS; target ≥ 0.5).</li>
 *   <li>Square GEMM (512, 1024, 2048): soma's {@code gemm} against the same peers; the CLBlast
 *       ratio is shown without a target (the OpenCL targets are for the dense forward), the
 *       Java targets apply.</li>
 *   <li>A 784 → 512 → 256 → 10 softmax network, batch 256: images per second host to host and with
 *       the data already on the device, and the share of the host-to-host time that moving the
 *       data takes (upload of the input and download of the output, timed separately).</li>
 * </ul>
 *
 * <p>Method: every contestant of a measurement runs on its own preallocated buffers. OpenCL
 * contestants warm up with one full-size call (it builds soma's kernels and compiles CLBlast's); Java
 * ones on a small problem of the same kind for about 0.4 s each (JIT). Then the contestants run in
 * batches, interleaved batch by batch (the order rotates from batch to batch); each batch of a
 * contestant is {@code repeat} back-to-back calls ended by its queue's finish. GFLOP/s = 2·M·N·K /
 * median seconds per call; a ratio is the median over batches of t(peer) / t(soma) from the same
 * batch, so that noise hitting a batch hits both sides. A slow measurement gets fewer batches (as few
 * as one) so that it lasts about {@value #BUDGET_SECONDS} s.
 */
public final class DenseBench {

    static final double CLBLAST_TARGET_CPU = 2.0;
    static final double CLBLAST_TARGET_GPU = 1.0;
    static final double FUSED_TARGET = 1.0;
    static final double EJML_TARGET = 5.0;
    static final double NETLIB_TARGET = 0.5;
    static final double BATCH_SECONDS = 0.08;
    static final int MAX_AUTO_REPEAT = 32;
    static final double BUDGET_SECONDS = 10.0;
    static final long WARMUP_NANOS = 400_000_000L;
    static final int JAVA_WARM_SIZE = 192;
    static final Set<String> SECTIONS = Set.of("dense", "square", "network");

    private final Options opt;
    private final List<Row> rows = new ArrayList<>();
    private final List<String> backendLabels = new ArrayList<>();
    private final BLAS netlib;
    private final String netlibNote;
    /** Held so that the level sticks: netlib logs a WARNING when its optional JNI BLAS is absent. */
    private static final java.util.logging.Logger NETLIB_LOG = java.util.logging.Logger.getLogger("dev.ludovic.netlib");

    private DenseBench(Options opt) {
        this.opt = opt;
        NETLIB_LOG.setLevel(java.util.logging.Level.SEVERE);
        BLAS nb = null;
        String note;
        try {
            nb = JavaBLAS.getInstance();
            note = nb.getClass().getSimpleName();
            if (!nb.getClass().getSimpleName().contains("Vector")) {
                note += " (no Vector API: run with --add-modules jdk.incubator.vector)";
            }
        } catch (RuntimeException | LinkageError e) {
            note = "unavailable: " + e;
        }
        netlib = nb;
        netlibNote = note;
    }

    public static void main(String[] args) {
        Options opt;
        try {
            opt = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("bench-dense: " + e.getMessage());
            System.err.println(Options.USAGE);
            System.exit(2);
            return;
        }
        if (opt.help) {
            System.out.println(Options.USAGE);
            return;
        }
        new DenseBench(opt).run();
    }

    // ------------------------------------------------------------------------------------------------
    // Driver

    private void run() {
        long start = System.nanoTime();
        System.out.println("soma dense benchmark");
        System.out.printf(Locale.ROOT, "  dense: y = f(x·Wᵀ + b), x %d x %d, W %d x %d (out x in); square GEMM %s;"
                        + " network 784-512-256-10 softmax, batch %d%n", opt.m, opt.k, opt.n, opt.k,
                Arrays.toString(opt.squares), opt.netBatch);
        System.out.printf(Locale.ROOT, "  up to %d batch(es) per measurement (fewer when slow, ~%.0f s each), %s;"
                        + " contestants interleaved batch by batch%n", opt.batches, BUDGET_SECONDS,
                opt.repeat > 0 ? opt.repeat + " call(s) per batch" : "auto calls per batch (~"
                        + (int) (BATCH_SECONDS * 1000) + " ms)");
        System.out.println("  GFLOP/s = 2·M·N·K / median time per call; ratio = median over batches of"
                + " t(peer) / t(soma) (> 1: soma faster)");
        System.out.printf(Locale.ROOT, "  host: %d cores, Java %s%s; netlib: %s%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), loadAverage(),
                netlibNote);
        List<String> selectors = new ArrayList<>();
        if (opt.device != null) {
            selectors.add(opt.device);
        } else {
            try {
                List<String> cl = Soma.openClDevices();
                if (cl.isEmpty()) {
                    System.out.println("no OpenCL device found: " + Soma.devices().problem());
                }
                selectors.addAll(cl);
            } catch (RuntimeException e) {
                System.out.println("OpenCL discovery failed: " + firstLine(e.getMessage()));
            }
            selectors.add("java");
        }
        for (String sel : selectors) {
            Backend b;
            try {
                b = sel.equalsIgnoreCase("java") ? Soma.java() : Soma.open(sel);
            } catch (RuntimeException e) {
                System.out.println();
                System.out.println("== " + sel + ": cannot open: " + firstLine(e.getMessage()));
                continue;
            }
            try (b) {
                String label = b.info().kind() == BackendInfo.Kind.JAVA ? "java" : b.info().selector();
                backendLabels.add(label);
                if (b instanceof OpenClBackend ocl) {
                    benchOpenCl(ocl, label);
                } else {
                    benchJava(b, label);
                }
            } catch (RuntimeException e) {
                System.out.println("   backend aborted: " + e);
                e.printStackTrace(System.out);
            }
        }
        printSummary();
        System.out.printf(Locale.ROOT, "%ntotal time %.1f s%s%n", (System.nanoTime() - start) / 1e9, loadAverage());
        if (backendLabels.isEmpty()) {
            System.exit(1);
        }
    }

    // ------------------------------------------------------------------------------------------------
    // OpenCL backend

    private void benchOpenCl(OpenClBackend b, String label) {
        DeviceInfo dev = b.device();
        boolean gpu = dev.isGpu();
        double clTarget = gpu ? CLBLAST_TARGET_GPU : CLBLAST_TARGET_CPU;
        System.out.println();
        System.out.println("== OpenCL " + label + ": " + b.info());
        System.out.println("   peer: CLBlast 1.5.2 SGEMM (jocl-blast) on the same device, own context and queue;"
                + " target for the fused dense forward >= " + fmt2(clTarget) + (gpu ? " (GPU)" : " (CPU device)"));
        Runnable sync = b::finish;
        ClBlast blast = null;
        try {
            blast = new ClBlast(dev.platformIndex(), dev.deviceIndex());
        } catch (RuntimeException | LinkageError e) {
            System.out.println("   CLBlast unavailable: " + firstLine(String.valueOf(e.getMessage())));
        }
        try {
            if (opt.wants("dense")) {
                denseOpenCl(b, label, blast, clTarget, sync);
            }
            if (opt.wants("square")) {
                for (int s : opt.squares) {
                    squareOpenCl(b, label, blast, s, sync);
                }
            }
            if (opt.wants("network")) {
                network(b, label, sync);
            }
        } finally {
            if (blast != null) {
                blast.close();
            }
        }
    }

    private void denseOpenCl(OpenClBackend b, String label, ClBlast blast, double clTarget, Runnable sync) {
        int m = opt.m, n = opt.n, k = opt.k;
        String section = "dense " + m + "x" + n + "x" + k;
        header(section, "y = f(x·Wᵀ + b), W out x in");
        float[] hx = random(m * k, 1), hw = random(n * k, 2), hb = random(n, 3);
        try (Tensor x = b.upload(hx, m, k); Tensor w = b.upload(hw, n, k); Tensor bias = b.upload(hb, 1, n);
             Tensor yr = b.tensor(m, n); Tensor yp = b.tensor(m, n); Tensor yu = b.tensor(m, n);
             Tensor yg = b.tensor(m, n); Tensor ygu = b.tensor(m, n)) {
            List<Contestant> cs = new ArrayList<>();
            Contestant fr = add(cs, "soma dense+relu (fused)", () -> b.dense(x, w, WeightLayout.OUT_IN, bias,
                    Activation.RELU, yr), sync);
            Contestant plain = add(cs, "soma dense, no activation", () -> b.dense(x, w, WeightLayout.OUT_IN, bias,
                    null, yp), sync);
            Contestant ur = add(cs, "soma dense + relu pass", () -> {
                b.dense(x, w, WeightLayout.OUT_IN, bias, null, yu);
                b.forward(Activation.RELU, yu, yu);
            }, sync);
            Contestant fg = add(cs, "soma dense+gelu (fused)", () -> b.dense(x, w, WeightLayout.OUT_IN, bias,
                    Activation.GELU, yg), sync);
            Contestant ug = add(cs, "soma dense + gelu pass", () -> {
                b.dense(x, w, WeightLayout.OUT_IN, bias, null, ygu);
                b.forward(Activation.GELU, ygu, ygu);
            }, sync);
            ClBlast.Gemm g = blast == null ? null : blast.gemm(m, n, k, true, hx, hw);
            Contestant cb = g == null ? null : add(cs, "CLBlast sgemm (NT, no bias)", g::run, blast::finish);
            if (!measure(cs)) {
                return;
            }
            double flops = 2.0 * m * n * k;
            printGflops(cs, flops);
            if (cb != null) {
                ratioRow(label, section, "fused dense+relu vs CLBlast sgemm", fr, cb, flops, clTarget, "");
            } else {
                rows.add(Row.error(label, section, "fused dense+relu vs CLBlast sgemm", "CLBlast unavailable"));
            }
            ratioRow(label, section, "fused relu vs dense + relu pass", fr, ur, flops, FUSED_TARGET, "");
            ratioRow(label, section, "fused gelu vs dense + gelu pass", fg, ug, flops, FUSED_TARGET, "");
            ratioRow(label, section, "plain dense vs CLBlast sgemm", plain, cb, flops, Double.NaN, "");
            if (g != null) {
                float[] ref = g.result();
                float[] got = yp.download();
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        got[i * n + j] -= hb[j];
                    }
                }
                System.out.println("   check: max |soma - CLBlast| / max |CLBlast| = " + relErr(got, ref));
                g.close();
            }
        }
    }

    private void squareOpenCl(OpenClBackend b, String label, ClBlast blast, int s, Runnable sync) {
        String section = "square " + s;
        header(section, "y = a·b, all " + s + " x " + s);
        float[] ha = random(s * s, 4), hb = random(s * s, 5);
        try (Tensor a = b.upload(ha, s, s); Tensor bb = b.upload(hb, s, s); Tensor y = b.tensor(s, s)) {
            List<Contestant> cs = new ArrayList<>();
            Contestant sg = add(cs, "soma gemm (NN)", () -> b.gemm(a, false, bb, false, 1f, null, 0f, y), sync);
            ClBlast.Gemm g = blast == null ? null : blast.gemm(s, s, s, false, ha, hb);
            Contestant cb = g == null ? null : add(cs, "CLBlast sgemm (NN)", g::run, blast::finish);
            if (!measure(cs)) {
                return;
            }
            double flops = 2.0 * s * s * s;
            printGflops(cs, flops);
            ratioRow(label, section, "soma gemm vs CLBlast sgemm", sg, cb, flops, Double.NaN, "");
            if (g != null) {
                System.out.println("   check: max |soma - CLBlast| / max |CLBlast| = " + relErr(y.download(),
                        g.result()));
                g.close();
            }
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Java path

    private void benchJava(Backend b, String label) {
        System.out.println();
        System.out.println("== Java path: " + b.info() + " (all " + Runtime.getRuntime().availableProcessors()
                + " cores)");
        System.out.println("   peers, SINGLE-THREADED: EJML 0.43.1 CommonOps_FDRM (target >= " + fmt2(EJML_TARGET)
                + "), netlib " + netlibNote + " sgemm (target >= " + fmt2(NETLIB_TARGET) + ")");
        Runnable sync = () -> { };
        if (opt.wants("dense")) {
            javaGemm(b, label, "dense " + opt.m + "x" + opt.n + "x" + opt.k, opt.m, opt.n, opt.k, true);
        }
        if (opt.wants("square")) {
            for (int s : opt.squares) {
                javaGemm(b, label, "square " + s, s, s, s, false);
            }
        }
        if (opt.wants("network")) {
            network(b, label, sync);
        }
    }

    /** The soma / EJML / netlib contestants for one Java problem; dense = x·Wᵀ + b with relu. */
    private final class JavaProblem implements AutoCloseable {
        final int m, n, k;
        final boolean dense;
        final float[] ha, hb, hbias;
        final Tensor a, b, bias, y;
        final FMatrixRMaj ea, eb, ec;
        final float[] nc;

        JavaProblem(Backend be, int m, int n, int k, boolean dense) {
            this.m = m;
            this.n = n;
            this.k = k;
            this.dense = dense;
            ha = random(m * k, 6);
            hb = random(dense ? n * k : k * n, 7);
            hbias = random(n, 8);
            a = be.upload(ha, m, k);
            b = dense ? be.upload(hb, n, k) : be.upload(hb, k, n);
            bias = be.upload(hbias, 1, n);
            y = be.tensor(m, n);
            ea = FMatrixRMaj.wrap(m, k, ha);
            eb = dense ? FMatrixRMaj.wrap(n, k, hb) : FMatrixRMaj.wrap(k, n, hb);
            ec = new FMatrixRMaj(m, n);
            nc = new float[m * n];
        }

        void soma(Backend be) {
            if (dense) {
                be.dense(a, b, WeightLayout.OUT_IN, bias, Activation.RELU, y);
            } else {
                be.gemm(a, false, b, false, 1f, null, 0f, y);
            }
        }

        void ejml() {
            if (dense) {
                CommonOps_FDRM.multTransB(ea, eb, ec);
            } else {
                CommonOps_FDRM.mult(ea, eb, ec);
            }
        }

        void netlib() {
            // Column-major BLAS on row-major arrays: yᵀ = op(b)ᵀ·aᵀ.
            if (dense) {
                netlib.sgemm("T", "N", n, m, k, 1f, hb, k, ha, k, 0f, nc, n);
            } else {
                netlib.sgemm("N", "N", n, m, k, 1f, hb, n, ha, k, 0f, nc, n);
            }
        }

        @Override
        public void close() {
            a.close();
            b.close();
            bias.close();
            y.close();
        }
    }

    private void javaGemm(Backend be, String label, String section, int m, int n, int k, boolean dense) {
        header(section, dense ? "y = relu(x·Wᵀ + b), W out x in (peers: x·Wᵀ only)" : "y = a·b, all " + m + " x " + m);
        int ws = JAVA_WARM_SIZE;
        try (JavaProblem p = new JavaProblem(be, m, n, k, dense);
             JavaProblem w = new JavaProblem(be, Math.min(m, ws), Math.min(n, ws), Math.min(k, ws), dense)) {
            Runnable none = () -> { };
            List<Contestant> cs = new ArrayList<>();
            Contestant s = add(cs, dense ? "soma dense+relu (fused)" : "soma gemm (NN)", () -> p.soma(be),
                    () -> w.soma(be), none);
            Contestant e = add(cs, dense ? "EJML multTransB" : "EJML mult", p::ejml, w::ejml, none);
            Contestant nl = netlib == null ? null : add(cs, "netlib sgemm " + (dense ? "(T,N)" : "(N,N)"),
                    p::netlib, w::netlib, none);
            if (!measure(cs)) {
                return;
            }
            double flops = 2.0 * m * n * k;
            printGflops(cs, flops);
            ratioRow(label, section, "soma vs EJML (1 thread)", s, e, flops, EJML_TARGET, "");
            ratioRow(label, section, "soma vs netlib (1 thread)", s, nl, flops, NETLIB_TARGET, "");
            float[] got = p.y.download();
            if (dense) {
                float[] ref = p.ec.data.clone();
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        ref[i * n + j] = Math.max(0f, ref[i * n + j] + p.hbias[j]);
                    }
                }
                System.out.println("   check: max |soma - EJML| / max |EJML| = " + relErr(got, ref));
            } else {
                System.out.println("   check: max |soma - EJML| / max |EJML| = " + relErr(got, p.ec.data)
                        + (nl == null ? "" : ", max |netlib - EJML| / max |EJML| = " + relErr(p.nc, p.ec.data)));
            }
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Network

    private void network(Backend b, String label, Runnable sync) {
        int batch = opt.netBatch;
        int[] sizes = {784, 512, 256, 10};
        String section = "network b" + batch;
        header(section, "784-512-256-10 (relu, relu, none) + softmax, batch " + batch);
        Network.Builder nb = Network.builder();
        long flopsPerImage = 0;
        for (int i = 0; i + 1 < sizes.length; i++) {
            int in = sizes[i], out = sizes[i + 1];
            flopsPerImage += 2L * in * out;
            nb.dense(random(out * in, 10 + i, (float) Math.sqrt(6.0 / in)), out, in, random(out, 20 + i, 0.1f),
                    i + 2 < sizes.length ? Activation.RELU : null);
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
            double flops = (double) flopsPerImage * batch;
            System.out.printf(Locale.ROOT, "   %-34s %10s %10s %12s%n", "contestant", "GFLOP/s", "ms/call", "images/s");
            for (Contestant c : cs) {
                double t = c.median();
                boolean fw = c == host || c == dev;
                System.out.printf(Locale.ROOT, "   %-34s %10s %10.3f %12s%n", c.name,
                        fw ? String.format(Locale.ROOT, "%.2f", flops / t / 1e9) : "-", t * 1e3,
                        fw ? String.format(Locale.ROOT, "%.0f", batch / t) : "-");
            }
            double[] share = new double[host.t.length];
            for (int i = 0; i < share.length; i++) {
                share[i] = (up.t[i] + down.t[i]) / host.t[i];
            }
            double sh = median(share);
            System.out.printf(Locale.ROOT, "   transfer share of host -> host time: %.1f%% (upload+download %.3f ms"
                            + " of %.3f ms)%n", sh * 100, (up.median() + down.median()) * 1e3, host.median() * 1e3);
            Row r = new Row(label, section, "images/s host -> host (transfers " + String.format(Locale.ROOT,
                    "%.0f%%", sh * 100) + ")", batch / host.median(), Double.NaN, Double.NaN);
            r.valueUnit = "img/s";
            rows.add(r);
            Row r2 = new Row(label, section, "images/s on device", batch / dev.median(), Double.NaN, Double.NaN);
            r2.valueUnit = "img/s";
            rows.add(r2);
            float[] p = net.forward(images, batch);
            double worst = 0;
            for (int i = 0; i < batch; i++) {
                double s = 0;
                for (int j = 0; j < 10; j++) {
                    s += p[i * 10 + j];
                }
                worst = Math.max(worst, Math.abs(s - 1));
            }
            System.out.printf(Locale.ROOT, "   check: max |sum of probabilities - 1| = %.2e%n", worst);
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Timing

    interface Op {
        void run();
    }

    static final class Contestant {
        final String name;
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

        double median() {
            return BenchSupport.median(t);
        }
    }

    private static Contestant add(List<Contestant> cs, String name, Op op, Runnable sync) {
        return add(cs, name, op, null, sync);
    }

    private static Contestant add(List<Contestant> cs, String name, Op op, Op warm, Runnable sync) {
        Contestant c = new Contestant(name, op, warm, sync);
        cs.add(c);
        return c;
    }

    /**
     * Warm-up, then interleaved batches (see the class comment). A contestant that throws is dropped
     * (its error printed); returns false when nothing is left.
     */
    private boolean measure(List<Contestant> all) {
        List<Contestant> cs = new ArrayList<>();
        for (Contestant c : all) {
            try {
                long t0 = System.nanoTime();
                int i = 0;
                do {
                    (c.warm != null ? c.warm : c.op).run();
                    c.sync.run();
                    i++;
                } while (c.warm != null && i < 200 && System.nanoTime() - t0 < WARMUP_NANOS);
                cs.add(c);
            } catch (RuntimeException | LinkageError e) {
                c.error = firstLine(String.valueOf(e.getMessage() == null ? e : e.getMessage()));
                System.out.println("   " + c.name + ": ERROR " + c.error);
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

    private static void header(String section, String what) {
        System.out.println("   -- " + section + ": " + what);
    }

    private static void printGflops(List<Contestant> cs, double flops) {
        System.out.printf(Locale.ROOT, "   %-34s %10s %10s %8s%n", "contestant", "GFLOP/s", "ms/call", "batches");
        for (Contestant c : cs) {
            if (c.error != null) {
                System.out.printf(Locale.ROOT, "   %-34s %10s%n", c.name, "ERROR");
                continue;
            }
            double t = c.median();
            System.out.printf(Locale.ROOT, "   %-34s %10.2f %10.3f %8d%s%n", c.name, flops / t / 1e9, t * 1e3,
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

    private void ratioRow(String label, String section, String what, Contestant soma, Contestant peer,
                          double flops, double target, String note) {
        if (peer == null || soma == null || soma.error != null || peer.error != null) {
            rows.add(Row.error(label, section, what, peer == null ? "peer unavailable" : "error"));
            System.out.printf(Locale.ROOT, "   %-40s   n/a%n", what);
            return;
        }
        int n = Math.min(soma.t.length, peer.t.length);
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            r[i] = peer.t[i] / soma.t[i];
        }
        double ratio = median(r);
        Row row = new Row(label, section, what, flops / soma.median() / 1e9, ratio, target);
        rows.add(row);
        String extra = "";
        if (target == FUSED_TARGET) {
            extra = String.format(Locale.ROOT, "   (fused %s by %.1f%%)", ratio >= 1 ? "faster" : "SLOWER",
                    Math.abs(ratio - 1) * 100);
        }
        System.out.printf(Locale.ROOT, "   %-40s %6.2f  %-8s %s%s%s%n", what, ratio,
                Double.isNaN(target) ? "-" : (target == FUSED_TARGET ? "> " : ">=") + fmt2(target), row.status(),
                extra, note);
    }

    static final class Row {
        final String backend;
        final String section;
        final String what;
        final double value;
        final double ratio;
        final double target;
        String valueUnit = "GFLOP/s";
        String error;

        Row(String backend, String section, String what, double value, double ratio, double target) {
            this.backend = backend;
            this.section = section;
            this.what = what;
            this.value = value;
            this.ratio = ratio;
            this.target = target;
        }

        static Row error(String backend, String section, String what, String error) {
            Row r = new Row(backend, section, what, Double.NaN, Double.NaN, Double.NaN);
            r.error = error;
            return r;
        }

        String status() {
            if (error != null) {
                return "ERROR";
            }
            if (Double.isNaN(target)) {
                return "info";
            }
            return (target == FUSED_TARGET ? ratio > target : ratio >= target) ? "PASS" : "MISS";
        }
    }

    private void printSummary() {
        if (rows.isEmpty()) {
            return;
        }
        System.out.println();
        System.out.println("== Summary (soma's value; ratio = t(peer) / t(soma), > 1: soma faster)");
        System.out.printf(Locale.ROOT, "   %-6s %-20s %-42s %14s %7s %8s  %s%n", "device", "shape", "measurement",
                "soma", "ratio", "target", "status");
        for (Row r : rows) {
            String v = Double.isNaN(r.value) ? "-" : String.format(Locale.ROOT, "%.1f %s", r.value,
                    r.valueUnit.equals("GFLOP/s") ? "GF/s" : r.valueUnit);
            System.out.printf(Locale.ROOT, "   %-6s %-20s %-42s %14s %7s %8s  %s%n", r.backend, r.section, r.what, v,
                    Double.isNaN(r.ratio) ? "-" : fmt2(r.ratio),
                    Double.isNaN(r.target) ? "-" : (r.target == FUSED_TARGET ? "> " : ">=") + fmt2(r.target),
                    r.status().equals("ERROR") ? "ERROR (" + r.error + ")" : r.status());
        }
        System.out.println();
        for (String b : backendLabels) {
            int pass = 0, miss = 0, err = 0;
            for (Row r : rows) {
                if (r.backend.equals(b)) {
                    switch (r.status()) {
                        case "PASS" -> pass++;
                        case "MISS" -> miss++;
                        case "ERROR" -> err++;
                        default -> { }
                    }
                }
            }
            System.out.printf(Locale.ROOT, "   %-10s PASS %d, MISS %d, ERROR %d%n",
                    b.equals("java") ? "Java" : "OpenCL " + b, pass, miss, err);
        }
    }

    // ------------------------------------------------------------------------------------------------
    // CLBlast on its own context and queue

    static final class ClBlast implements AutoCloseable {
        final cl_context context;
        final cl_command_queue queue;

        @SuppressWarnings("deprecation")
        ClBlast(int platformIndex, int deviceIndex) {
            CL.setExceptionsEnabled(false);
            int[] count = new int[1];
            check(CL.clGetPlatformIDs(0, null, count), "clGetPlatformIDs");
            cl_platform_id[] platforms = new cl_platform_id[count[0]];
            check(CL.clGetPlatformIDs(platforms.length, platforms, null), "clGetPlatformIDs");
            cl_platform_id p = platforms[platformIndex];
            check(CL.clGetDeviceIDs(p, CL.CL_DEVICE_TYPE_ALL, 0, null, count), "clGetDeviceIDs");
            cl_device_id[] devices = new cl_device_id[count[0]];
            check(CL.clGetDeviceIDs(p, CL.CL_DEVICE_TYPE_ALL, devices.length, devices, null), "clGetDeviceIDs");
            cl_device_id d = devices[deviceIndex];
            cl_context_properties props = new cl_context_properties();
            props.addProperty(CL.CL_CONTEXT_PLATFORM, p);
            int[] err = new int[1];
            context = CL.clCreateContext(props, 1, new cl_device_id[] {d}, null, null, err);
            check(err[0], "clCreateContext");
            queue = CL.clCreateCommandQueue(context, d, 0, err);
            check(err[0], "clCreateCommandQueue");
        }

        /** Row-major C (m × n) = A (m × k) · op(B), B n × k when transB, else k × n. */
        Gemm gemm(int m, int n, int k, boolean transB, float[] a, float[] b) {
            return new Gemm(m, n, k, transB, a, b);
        }

        void finish() {
            check(CL.clFinish(queue), "clFinish");
        }

        final class Gemm implements AutoCloseable {
            final int m, n, k;
            final boolean transB;
            final cl_mem a, b, c;

            Gemm(int m, int n, int k, boolean transB, float[] ha, float[] hb) {
                this.m = m;
                this.n = n;
                this.k = k;
                this.transB = transB;
                a = buffer(ha, ha.length);
                b = buffer(hb, hb.length);
                c = buffer(null, m * n);
            }

            private cl_mem buffer(float[] data, int len) {
                int[] err = new int[1];
                long flags = CL.CL_MEM_READ_WRITE | (data != null ? CL.CL_MEM_COPY_HOST_PTR : 0);
                cl_mem mem = CL.clCreateBuffer(context, flags, (long) len * Sizeof.cl_float,
                        data == null ? null : Pointer.to(data), err);
                check(err[0], "clCreateBuffer");
                return mem;
            }

            void run() {
                int st = CLBlast.CLBlastSgemm(CLBlastLayout.CLBlastLayoutRowMajor, CLBlastTranspose.CLBlastTransposeNo,
                        transB ? CLBlastTranspose.CLBlastTransposeYes : CLBlastTranspose.CLBlastTransposeNo, m, n, k, 1f,
                        a, 0, k, b, 0, transB ? k : n, 0f, c, 0, n, queue, null);
                if (st != 0) {
                    throw new IllegalStateException("CLBlastSgemm failed: status " + st);
                }
            }

            float[] result() {
                float[] out = new float[m * n];
                check(CL.clEnqueueReadBuffer(queue, c, CL.CL_TRUE, 0, (long) out.length * Sizeof.cl_float,
                        Pointer.to(out), 0, null, null), "clEnqueueReadBuffer");
                return out;
            }

            @Override
            public void close() {
                CL.clReleaseMemObject(a);
                CL.clReleaseMemObject(b);
                CL.clReleaseMemObject(c);
            }
        }

        @Override
        public void close() {
            CL.clFinish(queue);
            CL.clReleaseCommandQueue(queue);
            CL.clReleaseContext(context);
        }

        static void check(int status, String what) {
            if (status != CL.CL_SUCCESS) {
                throw new IllegalStateException(what + " failed: " + CL.stringFor_errorCode(status));
            }
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Options

    static final class Options {
        static final String USAGE = String.join("\n",
                "usage: bench-dense [--quick] [--device SEL] [--only dense,square,network] [--batches B] [--repeat R]",
                "  --quick           smoke run: dense 64x256x256, square 128,256, network batch 32; 1 call, 1 batch",
                "  --device SEL      one backend only: java, P:D, gpu, cpu or part of a device name",
                "                    (default: every OpenCL device, then the Java path)",
                "  --only SECTIONS   comma-separated: dense (256x1024x1024), square (512,1024,2048), network",
                "  --batches B       timed batches per measurement, median taken (default 9; 1 with --quick)",
                "  --repeat R        calls per timed batch (default: automatic, ~" + (int) (BATCH_SECONDS * 1000)
                        + " ms per batch)");

        int m = 256, n = 1024, k = 1024;
        int[] squares = {512, 1024, 2048};
        int netBatch = 256;
        int batches = -1;
        int repeat = -1;
        Set<String> only;
        String device;
        boolean quick;
        boolean help;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                String v = null;
                int eq = a.indexOf('=');
                if (a.startsWith("--") && eq > 0) {
                    v = a.substring(eq + 1);
                    a = a.substring(0, eq);
                }
                switch (a) {
                    case "--quick" -> o.quick = true;
                    case "-h", "--help" -> o.help = true;
                    case "--device", "--only", "--batches", "--repeat" -> {
                        if (v == null) {
                            if (i + 1 >= args.length) {
                                throw new IllegalArgumentException(a + " needs a value");
                            }
                            v = args[++i];
                        }
                        switch (a) {
                            case "--device" -> o.device = v.strip();
                            case "--batches" -> o.batches = positive(a, v);
                            case "--repeat" -> o.repeat = positive(a, v);
                            default -> {
                                o.only = new LinkedHashSet<>();
                                for (String s : v.split(",")) {
                                    String t = s.strip().toLowerCase(Locale.ROOT);
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
                    }
                    default -> throw new IllegalArgumentException("unknown argument " + args[i]);
                }
            }
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
            if (o.batches < 0) {
                o.batches = o.quick ? 1 : 9;
            }
            return o;
        }

        boolean wants(String section) {
            return only == null || only.contains(section);
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Helpers

    static float[] random(int n, long seed) {
        return random(n, seed, 1f);
    }

    /** Uniform on [-scale, scale). */
    static float[] random(int n, long seed, float scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        }
        return a;
    }

    static String relErr(float[] got, float[] ref) {
        double maxErr = 0, maxRef = 0;
        for (int i = 0; i < ref.length; i++) {
            maxErr = Math.max(maxErr, Math.abs((double) got[i] - ref[i]));
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
        }
        return String.format(Locale.ROOT, "%.1e (max |ref| %.3g)", maxRef == 0 ? maxErr : maxErr / maxRef, maxRef);
    }

}
