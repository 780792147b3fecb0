package dev.soma.bench;

import dev.soma.Activation;
import dev.soma.Backend;
import dev.soma.Soma;
import dev.soma.Tensor;
import dev.soma.WeightLayout;
import dev.soma.opencl.OpenClBackend;
import dev.soma.opencl.Tuner;
import dev.soma.opencl.Tuning;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Set;

/**
 * {@code scripts/bench-tune}: the dense forward y = x·Wᵀ + b at M = 256, N = 1024, K = 1024 (and
 * ReLU + GELU over 4M floats) with the device's stored tuning against the untuned defaults, on one
 * backend, side by side. Both settings' programs are built first; then interleaved pairs (one call of
 * each, each timed alone with the queue drained, the order alternating from pair to pair). GFLOP/s
 * from each side's median call time; the ratio is the median over pairs of t(default) / t(tuned) with
 * its distribution-free 95 % confidence interval ({@link Tuner#medianCi}). PASS (the tuner did not
 * lose) when the interval reaches 1 or lies above it. A device never tuned is tuned first
 * ({@code --budget} seconds), or with {@code --retune} always.
 */
public final class TuneBench {

    static final String USAGE = String.join("\n",
            "usage: scripts/bench-tune [--device SELECTOR] [--pairs N] [--budget SECONDS] [--retune]",
            "  dense 256x1024x1024 and relu+gelu over 4M floats: stored tuning vs the defaults, interleaved pairs",
            "  --device   auto, gpu, cpu, P:D or a name (default: soma.device / SOMA_DEVICE, else auto)",
            "  --pairs    interleaved pairs per comparison (default 61)",
            "  --budget   tuner budget when the device is tuned first (default 120)",
            "  --retune   tune now even when a stored tuning exists");

    private TuneBench() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out));
    }

    static int run(String[] args, PrintStream out) {
        String[] device = {Soma.configuredSelector()};
        int[] pairs = {61};
        double[] budget = {120};
        boolean[] retune = {false};
        boolean[] help = {false};
        try {
            BenchSupport.options(args, Set.of("--retune", "--help"), Set.of("--device", "--pairs", "--budget"),
                    (k, v) -> {
                        switch (k) {
                            case "--device" -> device[0] = v;
                            case "--pairs" -> pairs[0] = Math.max(3, BenchSupport.positive(k, v));
                            case "--budget" -> budget[0] = Double.parseDouble(v);
                            case "--retune" -> retune[0] = true;
                            default -> help[0] = true;
                        }
                    });
        } catch (IllegalArgumentException e) {
            System.err.println("bench-tune: " + e.getMessage() + "\n" + USAGE);
            return 2;
        }
        if (help[0]) {
            out.println(USAGE);
            return 0;
        }
        try (Backend b = Soma.open(device[0])) {
            if (!(b instanceof OpenClBackend be)) {
                System.err.println("bench-tune: " + b.info() + " is not an OpenCL device: nothing is tuned there");
                return 2;
            }
            out.println("bench-tune: " + b.info() + BenchSupport.loadAverage());
            if (retune[0] || !be.tuningOrigin().startsWith("tuned")) {
                out.println("tuning first (" + (retune[0] ? "--retune" : "not tuned: " + be.tuningOrigin()) + ")");
                Tuner.Options o = new Tuner.Options();
                o.budgetSeconds = budget[0];
                Tuner.tune(be, o, out);
            }
            Tuning tuned = be.tuning();
            Tuning def = Tuning.defaults(be.device());
            out.println("tuned:    " + tuned + "  [" + be.tuningOrigin() + "]");
            out.println("defaults: " + def);
            boolean ok = dense(be, def, tuned, pairs[0], out) & elementwise(be, def, tuned, pairs[0], out);
            be.useTuning(tuned, be.tuningOrigin());
            return ok ? 0 : 1;
        } catch (RuntimeException e) {
            System.err.println("bench-tune: " + e.getMessage());
            return 2;
        }
    }

    private static boolean dense(OpenClBackend be, Tuning def, Tuning tuned, int pairs, PrintStream out) {
        int m = 256, n = 1024, k = 1024;
        try (Tensor x = be.upload(DenseMeasure.random(m * k, 1), m, k);
             Tensor w = be.upload(DenseMeasure.random(n * k, 2), n, k);
             Tensor bias = be.upload(DenseMeasure.random(n, 3), 1, n); Tensor y = be.tensor(m, n)) {
            return compare(be, def, tuned, pairs, 2.0 * m * n * k, "dense 256 x 1024 x 1024 (x·Wᵀ + b)",
                    () -> be.dense(x, w, WeightLayout.OUT_IN, bias, null, y), out);
        }
    }

    private static boolean elementwise(OpenClBackend be, Tuning def, Tuning tuned, int pairs, PrintStream out) {
        int len = 1 << 22;
        try (Tensor x = be.upload(DenseMeasure.random(len, 4, 8f)); Tensor y = be.tensor(1, len)) {
            return compare(be, def, tuned, pairs, 0, "relu + gelu over 4M floats", () -> {
                be.forward(Activation.RELU, x, y);
                be.forward(Activation.GELU, x, y);
            }, out);
        }
    }

    private static boolean compare(OpenClBackend be, Tuning def, Tuning tuned, int pairs, double flops, String what,
                                   Runnable op, PrintStream out) {
        Tuning[] both = {def, tuned};
        for (Tuning t : both) { // build and first launch outside the timing
            be.useTuning(t, "bench");
            op.run();
            be.finish();
        }
        double[][] p = Tuner.pairs(be, def, tuned, op, pairs);
        double[] td = p[0];
        double[] tt = p[1];
        double[] r = p[2];
        int wins = 0;
        for (double ri : r) {
            wins += ri > 1 ? 1 : 0;
        }
        double[] ci = Tuner.medianCi(r);
        double mdD = BenchSupport.median(td);
        double mdT = BenchSupport.median(tt);
        boolean pass = !(ci[2] < 1);
        boolean tiled = Tuner.tiledKernels(be.device());
        boolean same = flops > 0 ? def.dense(tiled).equals(tuned.dense(tiled)) : def.elemItems() == tuned.elemItems();
        out.println("-- " + what + (same ? "  (the tuner kept the defaults here: the same kernel on both sides)" : ""));
        if (flops > 0) {
            out.printf(Locale.ROOT, "   %-9s %10.2f GFLOP/s %9.3f ms   %s%n", "default", flops / mdD / 1e9, mdD * 1e3,
                    def.dense(tiled));
            out.printf(Locale.ROOT, "   %-9s %10.2f GFLOP/s %9.3f ms   %s%n", "tuned", flops / mdT / 1e9, mdT * 1e3,
                    tuned.dense(tiled));
        } else {
            out.printf(Locale.ROOT, "   %-9s %9.3f ms   %d per work-item%n", "default", mdD * 1e3, def.elemItems());
            out.printf(Locale.ROOT, "   %-9s %9.3f ms   %d per work-item%n", "tuned", mdT * 1e3, tuned.elemItems());
        }
        out.printf(Locale.ROOT, "   tuned / default speed %.3f (95%% CI %.3f-%.3f, %d interleaved pairs; tuned faster in"
                + " %d of %d)  %s%n", ci[0], ci[1], ci[2], pairs, wins, pairs,
                pass ? "PASS (the tuner did not lose)" : "FAIL (tuned is slower)");
        return pass;
    }
}
