package dev.soma.cli;

import dev.soma.bench.ActivationBench;
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
 * {@code soma bench}: the activation benchmark ({@link ActivationBench}, also {@code scripts/bench})
 * in-process, with a progress line per measurement on stderr and the figures optionally kept as JSON.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Throughput of every activation (forward and derivative), softmax and log-softmax on every "
                + "backend, and its ratio to a plain reference measured on the same device in the same run.",
                "Progress goes to stderr, the tables to stdout (to stderr when the JSON goes to stdout)."})
final class Bench implements Callable<Integer> {

    @Option(names = "--size", paramLabel = "N",
            description = "elements per element-wise tensor (default 16777216 = 1<<24; 1<<20 with --quick)")
    Integer size;

    @Option(names = "--repeat", paramLabel = "R",
            description = "calls per timed batch (default: automatic, about 80 ms per batch; 1 with --quick)")
    Integer repeat;

    @Option(names = "--batches", paramLabel = "B",
            description = "timed batches per measurement, median taken (default 5; 1 with --quick)")
    Integer batches;

    @Option(names = "--only", paramLabel = "NAMES",
            description = "comma-separated catalogue names (relu,gelu_tanh,...), softmax, log_softmax")
    String only;

    @Option(names = "--device", paramLabel = "SELECTOR",
            description = "one backend only: java, P:D, gpu, cpu or part of a device name "
                    + "(default: every OpenCL device, then the Java path)")
    String device;

    @Option(names = "--softmax", paramLabel = "ROWSxCOLS",
            description = "softmax shape (default 256x4096; 32x4096 with --quick)")
    String softmax;

    @Option(names = "--quick", description = "smoke run: small sizes, 1 call, 1 batch")
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
        List<String> args = new ArrayList<>();
        add(args, "--size", size);
        add(args, "--repeat", repeat);
        add(args, "--batches", batches);
        add(args, "--only", only);
        add(args, "--device", device);
        add(args, "--softmax", softmax);
        if (quick) {
            args.add("--quick");
        }
        boolean jsonToStdout = "-".equals(json);
        PrintStream tables = jsonToStdout ? err : out;
        ActivationBench.Report report;
        try {
            report = ActivationBench.run(args.toArray(String[]::new), tables, noProgress ? null : err);
        } catch (IllegalArgumentException e) {
            err.println("soma bench: " + e.getMessage());
            return 2;
        }
        tables.flush();
        if (json != null) {
            String doc = Probe.Json.write(toJson(report));
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
        if (report.exitCode() != 0) {
            err.println("soma bench: nothing could be measured");
        }
        return report.exitCode();
    }

    private static void add(List<String> args, String name, Object value) {
        if (value != null) {
            args.add(name);
            args.add(String.valueOf(value));
        }
    }

    /** The report as one JSON object: the settings, then one object per measured line. */
    static Map<String, Object> toJson(ActivationBench.Report r) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("soma_version", Main.class.getPackage().getImplementationVersion());
        root.put("benchmark", "activation");
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("size", r.size());
        settings.put("repeat", r.repeat() > 0 ? r.repeat() : "auto");
        settings.put("batches", r.batches());
        settings.put("softmax_rows", r.softmaxRows());
        settings.put("softmax_cols", r.softmaxCols());
        settings.put("quick", r.quick());
        settings.put("device", r.device());
        settings.put("cores", Runtime.getRuntime().availableProcessors());
        settings.put("java", System.getProperty("java.version"));
        root.put("settings", settings);
        root.put("backends", r.backends());
        List<Object> rows = new ArrayList<>();
        for (ActivationBench.Measured m : r.results()) {
            Map<String, Object> o = new LinkedHashMap<>();
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
        root.put("results", rows);
        root.put("seconds", r.seconds());
        root.put("exit_status", r.exitCode());
        return root;
    }
}
