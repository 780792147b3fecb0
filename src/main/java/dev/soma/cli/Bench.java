package dev.soma.cli;

import dev.soma.bench.ActivationBench;
import dev.soma.bench.DenseMeasure;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code soma bench}: the activation benchmark ({@link ActivationBench}, also {@code scripts/bench}) and
 * soma's own dense measurements ({@link DenseMeasure}; {@code scripts/bench-dense} adds the peers)
 * in-process, with a progress line per measurement on stderr and the figures optionally kept as JSON.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Run the benchmarks (--suite activations, dense or all) and print figures and ratios.",
                "activations: throughput of every activation (forward and derivative), softmax and "
                + "log-softmax on every backend, and its ratio to a plain reference measured on the same device in "
                + "the same run.",
                "dense: GFLOP/s of the fused dense forward (256x1024x1024) and square GEMM (512, 1024, 2048), "
                + "fused dense+activation vs dense then an activation pass (relu, gelu), and the 784-512-256-10 "
                + "softmax network at batch 256 (images/s, share of time moving data). Peers: scripts/bench-dense.",
                "Progress goes to stderr, the tables to stdout (to stderr when the JSON goes to stdout)."})
final class Bench implements Callable<Integer> {

    @Option(names = "--suite", paramLabel = "SUITE", defaultValue = "all",
            description = "activations, dense or all (default: all)")
    String suite;

    @Option(names = "--size", paramLabel = "N",
            description = "elements per element-wise tensor (default 16777216 = 1<<24; 1<<20 with --quick)")
    Integer size;

    @Option(names = "--repeat", paramLabel = "R",
            description = "calls per timed batch (default: automatic, about 80 ms per batch; 1 with --quick)")
    Integer repeat;

    @Option(names = "--batches", paramLabel = "B",
            description = "timed batches per measurement, median taken (default 5 for activations, 9 for dense;"
                    + " 1 with --quick)")
    Integer batches;

    @Option(names = "--only", paramLabel = "NAMES",
            description = "activations: comma-separated catalogue names (relu,gelu_tanh,...), softmax, log_softmax")
    String only;

    @Option(names = "--device", paramLabel = "SELECTOR",
            description = "one backend only: java, P:D, gpu, cpu or part of a device name "
                    + "(default: every OpenCL device, then the Java path)")
    String device;

    @Option(names = "--softmax", paramLabel = "ROWSxCOLS",
            description = "softmax shape (default 256x4096; 32x4096 with --quick)")
    String softmax;

    @Option(names = "--dense", paramLabel = "MxNxK",
            description = "dense: the dense section's shape, batch x outputs x inputs (default 256x1024x1024)")
    String denseShape;

    @Option(names = "--quick", description = "smoke run: small sizes (dense 64x256x256, square 128 and 256,"
            + " network batch 32), 1 call, 1 batch")
    boolean quick;

    @Option(names = "--json", arity = "0..1", paramLabel = "FILE", fallbackValue = "-",
            description = "also write the results as JSON to FILE (to stdout, with the tables on stderr, "
                    + "when FILE is - or omitted)")
    String json;

    @Option(names = "--no-progress", description = "no progress lines on stderr")
    boolean noProgress;

    PrintStream out = System.out;
    PrintStream err = System.err;

    @Override
    public Integer call() {
        String su = suite.strip().toLowerCase(java.util.Locale.ROOT);
        boolean acts = su.equals("all") || su.equals("activations");
        boolean dense = su.equals("all") || su.equals("dense");
        if (!acts && !dense) {
            err.println("soma bench: --suite takes activations, dense or all, got '" + suite + "'");
            return 2;
        }
        List<String> args = new ArrayList<>();
        add(args, "--size", size);
        add(args, "--repeat", repeat);
        add(args, "--batches", batches);
        add(args, "--only", only);
        add(args, "--device", device);
        add(args, "--softmax", softmax);
        List<String> dargs = new ArrayList<>();
        add(dargs, "--repeat", repeat);
        add(dargs, "--batches", batches);
        add(dargs, "--device", device);
        add(dargs, "--dense", denseShape);
        if (quick) {
            args.add("--quick");
            dargs.add("--quick");
        }
        boolean jsonToStdout = "-".equals(json);
        PrintStream tables = jsonToStdout ? err : out;
        PrintStream progress = noProgress ? null : err;
        ActivationBench.Report report = null;
        DenseMeasure.Report denseReport = null;
        try {
            if (acts) {
                report = ActivationBench.run(args.toArray(String[]::new), tables, progress);
            }
            if (dense) {
                if (acts) {
                    tables.println();
                }
                denseReport = DenseMeasure.run(dargs.toArray(String[]::new), tables, progress);
            }
        } catch (IllegalArgumentException e) {
            err.println("soma bench: " + e.getMessage());
            return 2;
        }
        tables.flush();
        int rc = Math.max(report == null ? 0 : report.exitCode(), denseReport == null ? 0 : denseReport.exitCode());
        if (json != null) {
            String doc = Probe.Json.write(toJson(report, denseReport, rc));
            if (jsonToStdout) {
                out.println(doc);
                out.flush();
            } else {
                try {
                    Path p = Path.of(json);
                    Files.writeString(p, doc + "\n", StandardCharsets.UTF_8);
                    err.println("soma bench: results written to " + p.toAbsolutePath());
                } catch (IOException | RuntimeException e) {
                    err.println("soma bench: cannot write " + json + ": " + e);
                    return 1;
                }
            }
        }
        if (rc != 0) {
            err.println("soma bench: nothing could be measured");
        }
        return rc;
    }

    private static void add(List<String> args, String name, Object value) {
        if (value != null) {
            args.add(name);
            args.add(String.valueOf(value));
        }
    }

    /** The activation report as one JSON object. */
    static Map<String, Object> toJson(ActivationBench.Report r) {
        return toJson(r, null, r.exitCode());
    }

    /**
     * The reports as one JSON object: the settings (the activation ones at the top, the dense ones
     * under "dense"), the backends, then one object per measured line ("suite" activations or dense).
     */
    static Map<String, Object> toJson(ActivationBench.Report r, DenseMeasure.Report d, int exitCode) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("soma_version", Main.class.getPackage().getImplementationVersion());
        root.put("benchmark", r != null && d != null ? "all" : r != null ? "activation" : "dense");
        Map<String, Object> settings = new LinkedHashMap<>();
        List<String> backends = new ArrayList<>();
        List<Object> rows = new ArrayList<>();
        double seconds = 0;
        if (r != null) {
            settings.put("size", r.size());
            settings.put("repeat", r.repeat() > 0 ? r.repeat() : "auto");
            settings.put("batches", r.batches());
            settings.put("softmax_rows", r.softmaxRows());
            settings.put("softmax_cols", r.softmaxCols());
            settings.put("quick", r.quick());
            settings.put("device", r.device());
            backends.addAll(r.backends());
            seconds += r.seconds();
            for (ActivationBench.Measured m : r.results()) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("suite", "activations");
                o.put("backend", m.backend());
                o.put("function", m.function());
                o.put("direction", m.direction());
                o.put("gbps", m.gbps());
                o.put("reference", m.reference());
                o.put("reference_gbps", m.referenceGbps());
                o.put("ratio", m.ratio());
                o.put("target", m.target());
                o.put("status", m.status());
                o.put("error", m.error());
                rows.add(o);
            }
        }
        if (d != null) {
            DenseMeasure.Options o = d.options();
            Map<String, Object> ds = new LinkedHashMap<>();
            ds.put("m", o.m);
            ds.put("n", o.n);
            ds.put("k", o.k);
            List<Object> sq = new ArrayList<>();
            for (int s : o.squares) {
                sq.add(s);
            }
            ds.put("squares", sq);
            ds.put("network", "784-512-256-10 softmax");
            ds.put("network_batch", o.netBatch);
            ds.put("repeat", o.repeat > 0 ? o.repeat : "auto");
            ds.put("batches", o.batches);
            ds.put("quick", o.quick);
            ds.put("device", o.device);
            if (r == null) {
                settings.put("quick", o.quick);
                settings.put("device", o.device);
            }
            settings.put("dense", ds);
            for (String b : d.backends()) {
                if (!backends.contains(b)) {
                    backends.add(b);
                }
            }
            seconds += d.seconds();
            for (DenseMeasure.Row m : d.rows()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("suite", "dense");
                row.put("backend", m.backend());
                row.put("section", m.section());
                row.put("measurement", m.measurement());
                boolean gf = m.unit().equals("GFLOP/s");
                row.put("gflops", gf ? m.value() : Double.NaN);
                row.put("images_per_s", gf ? Double.NaN : m.value());
                row.put("transfer_share", m.transferShare());
                row.put("ratio", m.ratio());
                if (m.pairs() > 0) {
                    // fused vs unfused: the median over interleaved pairs, with its 95 % interval
                    row.put("ratio_ci95_low", m.ratioLow());
                    row.put("ratio_ci95_high", m.ratioHigh());
                    row.put("pairs", m.pairs());
                }
                row.put("target", m.target());
                row.put("target_strict", m.strict());
                row.put("status", m.status());
                row.put("error", m.error());
                rows.add(row);
            }
        }
        settings.put("cores", Runtime.getRuntime().availableProcessors());
        settings.put("java", System.getProperty("java.version"));
        root.put("settings", settings);
        root.put("backends", backends);
        root.put("results", rows);
        root.put("seconds", seconds);
        root.put("exit_status", exitCode);
        return root;
    }
}
