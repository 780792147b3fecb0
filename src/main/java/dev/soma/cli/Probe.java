package dev.soma.cli;

import dev.soma.Activation;
import dev.soma.ActivationFunction;
import dev.soma.Backend;
import dev.soma.BackendInfo;
import dev.soma.DeviceUnavailableException;
import dev.soma.Precision;
import dev.soma.Soma;
import dev.soma.opencl.DeviceInfo;
import dev.soma.opencl.Discovery;
import dev.soma.opencl.Tuner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code soma probe}: every OpenCL platform and device, what {@code auto} picks and why, and a
 * numerical self-test of each device against the pure-Java path.
 */
@Command(name = "probe", mixinStandardHelpOptions = true,
        description = "List OpenCL devices, show which one soma selects, and self-test each against the pure-Java path.")
final class Probe implements Callable<Integer> {

    /** Self-test bars, the accuracy targets in ULP: forward, derivative, softmax. */
    static final double FORWARD_ULP = 4;
    static final double DERIVATIVE_ULP = 16;
    static final double SOFTMAX_ULP = 16;

    @Option(names = "--device", paramLabel = "SELECTOR",
            description = "auto, gpu, cpu, java, P:D or part of a device name (default: soma.device / SOMA_DEVICE, else auto)")
    String device;

    @Option(names = "--json", description = "Print the same content as one JSON document instead of the report.")
    boolean json;

    private final PrintStream out = System.out;

    /** One OpenCL device's self-test: its result, or why it could not be opened. */
    private record Tested(DeviceInfo info, SelfTest.Result result, String openError) {
        boolean pass() {
            return result != null && result.pass();
        }
    }

    @Override
    public Integer call() {
        String selector = device != null ? device.strip() : Soma.configuredSelector();
        Discovery d = Soma.devices();
        if (!json) {
            if (d.devices().isEmpty()) {
                out.println("OpenCL: not usable: " + d.problem());
                out.println("  " + advice(d.problem()));
            } else {
                out.println("OpenCL devices, best first (soma's ranking: discrete GPU, integrated GPU, accelerator, CPU, then pure Java):");
                for (DeviceInfo i : d.infos()) {
                    describe(i);
                }
            }
            out.println();
            out.println("Self-test: every activation forward and derivative, softmax and log-softmax, and a "
                    + SelfTest.DENSE_LABEL + " layer, against the pure-Java path");
            out.printf(Locale.ROOT, "  (bars: forward <= %.0f ULP, derivative <= %.0f ULP, softmax <= %.0f ULP; "
                            + "dense within 2(K+2)2^-24 sum|x||w| x %.2f + 1 ULP)%n", FORWARD_ULP, DERIVATIVE_ULP,
                    SOFTMAX_ULP, SelfTest.GELU_LIPSCHITZ);
        }
        boolean allPass = true;
        Map<String, Tested> tested = new LinkedHashMap<>();
        SelfTest.Result javaOk;
        String javaName;
        try (Backend java = Soma.java()) {
            javaName = java.info().device();
            javaOk = SelfTest.javaSanity(java);
            if (!json) {
                out.printf(Locale.ROOT, "  %-6s %s  %s   --device java%n", "java", javaOk.status(), javaOk.summary());
            }
            for (DeviceInfo i : d.infos()) {
                Tested t;
                try (Backend b = Soma.open(i.selector())) {
                    t = new Tested(i, SelfTest.compare(b, java), null);
                } catch (RuntimeException e) {
                    t = new Tested(i, null, firstLine(e.getMessage()));
                }
                tested.put(i.selector(), t);
                allPass &= t.pass();
                if (!json) {
                    if (t.result() != null) {
                        out.printf(Locale.ROOT, "  %-6s %s  precision %s: %s   --device %s%n", i.selector(),
                                t.result().status(), Precision.configured(), t.result().summary(), i.selector());
                    } else {
                        out.printf(Locale.ROOT, "  %-6s FAIL  cannot be used: %s   --device %s%n", i.selector(),
                                t.openError(), i.selector());
                    }
                }
            }
        }

        // The backend the selector gives, and the one auto would give (the same when the selector is auto).
        BackendInfo selected = null;
        String unavailable = null;
        try (Backend chosen = Soma.open(selector)) {
            selected = chosen.info();
        } catch (DeviceUnavailableException e) {
            unavailable = e.getMessage();
        }
        BackendInfo auto = selected;
        String autoError = null;
        if (!selector.equalsIgnoreCase("auto")) {
            try (Backend a = Soma.open("auto")) {
                auto = a.info();
            } catch (RuntimeException e) {
                auto = null;
                autoError = firstLine(e.getMessage());
            }
        }

        int exit;
        String reason;
        SelfTest.Result selectedResult = null;
        if (selected == null) {
            exit = 2;
            reason = unavailable;
        } else {
            selectedResult = selected.kind() == BackendInfo.Kind.JAVA ? javaOk
                    : tested.get(selected.selector()) == null ? null : tested.get(selected.selector()).result();
            Tested t = tested.get(selected.selector());
            if (selectedResult == null || !selectedResult.pass()) {
                exit = 1;
                reason = "the selected " + (selected.kind() == BackendInfo.Kind.JAVA ? "Java path" : "device")
                        + " does not pass the self-test: " + (selectedResult != null ? selectedResult.summary()
                        : t != null && t.openError() != null ? "cannot be used: " + t.openError() : "not tested");
            } else {
                exit = 0;
                reason = allPass ? null : "the selected backend passes; another device failed";
            }
        }

        if (json) {
            out.println(Json.write(jsonReport(selector, d, tested, javaName, javaOk, auto, autoError, selected,
                    selectedResult, exit, reason)));
            out.flush();
            return exit;
        }
        out.println();
        if (selected == null) {
            out.println("FAIL: " + reason);
            return exit;
        }
        out.println("Selected (" + Soma.PROPERTY + "=" + selector + "): " + selected
                + (selected.kind() == BackendInfo.Kind.JAVA ? "" : ", precision " + Precision.configured()
                + " (" + Precision.PROPERTY + "=fast|exact)"));
        if (selected.fellBack()) {
            out.println("  passed over: " + selected.fallbackReason());
        }
        if (auto != selected) {
            out.println("  (auto would select: " + (auto == null ? "nothing: " + autoError : auto.toString())
                    + (auto != null && auto.fellBack() ? "; passed over: " + auto.fallbackReason() : "") + ")");
        }
        if (exit != 0) {
            out.println("FAIL: " + reason);
            return exit;
        }
        out.println(allPass ? "PASS" : "PASS (the selected backend passes; another device failed, see above)");
        return exit;
    }

    // ------------------------------------------------------------------------------------------------
    // JSON

    private static Map<String, Object> jsonReport(String selector, Discovery d, Map<String, Tested> tested,
                                                  String javaName, SelfTest.Result javaOk, BackendInfo auto,
                                                  String autoError, BackendInfo selected,
                                                  SelfTest.Result selectedResult, int exit, String reason) {
        Map<String, Object> root = new LinkedHashMap<>();
        String v = Main.class.getPackage().getImplementationVersion();
        root.put("soma_version", v);
        root.put("requested", selector);
        Map<String, Object> cl = new LinkedHashMap<>();
        cl.put("usable", !d.devices().isEmpty());
        cl.put("problem", d.problem());
        cl.put("advice", d.devices().isEmpty() ? advice(d.problem()) : null);
        List<Object> platforms = new ArrayList<>();
        Map<Integer, Map<String, Object>> byIndex = new TreeMap<>();
        for (DeviceInfo i : d.infos()) {
            Map<String, Object> p = byIndex.computeIfAbsent(i.platformIndex(), k -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("index", i.platformIndex());
                m.put("name", i.platformName().strip());
                m.put("version", i.platformVersion().strip());
                m.put("devices", new ArrayList<>());
                return m;
            });
            @SuppressWarnings("unchecked")
            List<Object> devs = (List<Object>) p.get("devices");
            devs.add(jsonDevice(i, tested.get(i.selector())));
        }
        platforms.addAll(byIndex.values());
        cl.put("platforms", platforms);
        root.put("opencl", cl);

        Map<String, Object> bars = new LinkedHashMap<>();
        bars.put("forward_ulp", FORWARD_ULP);
        bars.put("derivative_ulp", DERIVATIVE_ULP);
        bars.put("softmax_ulp", SOFTMAX_ULP);
        bars.put("dense", SelfTest.DENSE_LABEL + ": |device - java| <= 2(K+2)2^-24 (sum|x||w| + |b|) x "
                + SelfTest.GELU_LIPSCHITZ + " + 1 ULP");
        root.put("self_test_bars", bars);

        Map<String, Object> java = new LinkedHashMap<>();
        java.put("device", javaName);
        java.put("device_option", "--device java");
        java.put("self_test", jsonResult(javaOk, null));
        root.put("java", java);

        root.put("auto", auto == null ? Map.of("error", autoError == null ? "" : autoError) : jsonBackend(auto));
        Map<String, Object> sel = selected == null ? new LinkedHashMap<>() : jsonBackend(selected);
        sel.put("requested", selector);
        if (selected != null) {
            sel.put("self_test_status", selectedResult == null ? "FAIL" : selectedResult.status());
        } else {
            sel.put("error", reason);
        }
        root.put("selected", sel);
        root.put("status", exit == 0 ? "PASS" : "FAIL");
        root.put("precision", Precision.configured().toString());
        root.put("reason", reason);
        root.put("exit_status", exit);
        return root;
    }

    private static Map<String, Object> jsonDevice(DeviceInfo i, Tested t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("selector", i.selector());
        m.put("device_option", "--device " + i.selector());
        m.put("index", i.deviceIndex());
        m.put("name", i.name().strip());
        m.put("vendor", i.vendor().strip());
        m.put("type", i.category().toString());
        m.put("version", i.version().strip());
        m.put("driver", i.driverVersion().strip());
        m.put("opencl_c_version", i.openClCVersion().strip());
        m.put("compute_units", i.computeUnits());
        m.put("clock_mhz", i.clockMHz());
        m.put("global_memory_bytes", i.globalMemory());
        m.put("local_memory_bytes", i.localMemory());
        m.put("max_allocation_bytes", i.maxAllocation());
        m.put("max_work_group_size", i.maxWorkGroupSize());
        m.put("fp64", i.fp64());
        m.put("fp16", i.fp16());
        m.put("available", i.available());
        m.put("compiler_available", i.compilerAvailable());
        Tuner.Status ts = Tuner.status(i);
        Map<String, Object> tuning = new LinkedHashMap<>();
        tuning.put("tuned", ts.tuned());
        tuning.put("origin", ts.origin());
        tuning.put("dense", ts.dense());
        tuning.putAll(ts.tuning().asMap());
        m.put("tuning", tuning);
        m.put("self_test", t == null ? null : jsonResult(t.result(), t.openError()));
        return m;
    }

    private static Map<String, Object> jsonResult(SelfTest.Result r, String openError) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (r == null) {
            m.put("status", "FAIL");
            m.put("failure", "cannot be used: " + openError);
            return m;
        }
        m.put("status", r.status());
        m.put("worst_ulp", r.worstUlp());
        m.put("worst_case", r.worstCase());
        m.put("dense_check", r.denseCase());
        m.put("dense_error_to_bound", r.denseWorst());
        m.put("failure", r.failure());
        m.put("summary", r.summary());
        return m;
    }

    private static Map<String, Object> jsonBackend(BackendInfo b) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", b.kind() == BackendInfo.Kind.JAVA ? "java" : "opencl");
        m.put("selector", b.selector());
        m.put("device_option", "--device " + b.selector());
        m.put("device", b.device());
        m.put("platform", b.platform());
        m.put("fell_back", b.fellBack());
        m.put("fallbacks", b.fallbacks());
        return m;
    }

    /**
     * A minimal JSON writer for maps, lists, strings, numbers, booleans and null: two-space indentation,
     * strings escaped per RFC 8259 (control characters, quote, backslash, U+2028/9 and lone surrogates as
     * \\u escapes), non-finite numbers as null.
     */
    static final class Json {
        private Json() {
        }

        static String write(Object value) {
            StringBuilder sb = new StringBuilder();
            write(sb, value, 0);
            return sb.toString();
        }

        private static void write(StringBuilder sb, Object v, int indent) {
            if (v == null) {
                sb.append("null");
            } else if (v instanceof String s) {
                string(sb, s);
            } else if (v instanceof Boolean b) {
                sb.append(b);
            } else if (v instanceof Double || v instanceof Float) {
                double d = ((Number) v).doubleValue();
                if (Double.isNaN(d) || Double.isInfinite(d)) {
                    sb.append("null");
                } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
                    sb.append((long) d);
                } else {
                    sb.append(d);
                }
            } else if (v instanceof Number n) {
                sb.append(n.longValue());
            } else if (v instanceof Map<?, ?> m) {
                if (m.isEmpty()) {
                    sb.append("{}");
                    return;
                }
                sb.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    sb.append(first ? "\n" : ",\n");
                    first = false;
                    pad(sb, indent + 1);
                    string(sb, String.valueOf(e.getKey()));
                    sb.append(": ");
                    write(sb, e.getValue(), indent + 1);
                }
                sb.append('\n');
                pad(sb, indent);
                sb.append('}');
            } else if (v instanceof Collection<?> c) {
                if (c.isEmpty()) {
                    sb.append("[]");
                    return;
                }
                sb.append('[');
                boolean first = true;
                for (Object o : c) {
                    sb.append(first ? "\n" : ",\n");
                    first = false;
                    pad(sb, indent + 1);
                    write(sb, o, indent + 1);
                }
                sb.append('\n');
                pad(sb, indent);
                sb.append(']');
            } else {
                string(sb, v.toString());
            }
        }

        private static void pad(StringBuilder sb, int indent) {
            sb.append("  ".repeat(indent));
        }

        static void string(StringBuilder sb, String s) {
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    case '\b' -> sb.append("\\b");
                    case '\f' -> sb.append("\\f");
                    default -> {
                        boolean lone = Character.isHighSurrogate(c)
                                ? i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))
                                : Character.isLowSurrogate(c)
                                && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)));
                        if (c < 0x20 || c == 0x2028 || c == 0x2029 || c == 0x7f || lone) {
                            sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                        } else {
                            sb.append(c);
                        }
                    }
                }
            }
            sb.append('"');
        }
    }

    private void describe(DeviceInfo i) {
        out.printf(Locale.ROOT, "  %-5s %s  [%s]%n", i.selector(), i.name(), i.category());
        out.printf(Locale.ROOT, "        platform %s (%s); vendor %s; driver %s; %s; %s%n", i.platformName(),
                i.platformVersion(), i.vendor(), i.driverVersion(), i.version(), i.openClCVersion());
        out.printf(Locale.ROOT, "        %d compute units @ %d MHz; global %s, local %s, max allocation %s; "
                        + "fp64 %s, fp16 %s%s%n", i.computeUnits(), i.clockMHz(), bytes(i.globalMemory()),
                bytes(i.localMemory()), bytes(i.maxAllocation()), i.fp64() ? "yes" : "no", i.fp16() ? "yes" : "no",
                i.available() ? "" : "; NOT AVAILABLE");
        Tuner.Status t = Tuner.status(i);
        out.printf(Locale.ROOT, "        tuning: %s; dense: %s; element-wise: %d per work-item%n", t.origin(), t.dense(),
                t.tuning().elemItems());
    }

    static String advice(String problem) {
        String p = problem == null ? "" : problem;
        if (p.contains("libOpenCL.so")) {
            return "No OpenCL ICD loader (libOpenCL.so) was found. On Debian/Ubuntu: apt-get install ocl-icd-opencl-dev "
                    + "(JOCL opens libOpenCL.so, which that package provides) and a driver, e.g. pocl-opencl-icd for CPUs "
                    + "or your GPU vendor's OpenCL driver.";
        }
        if (p.contains("JOCL native library")) {
            return "JOCL's native library could not load (no binary for this OS/architecture, or java.io.tmpdir is not "
                    + "writable). The pure-Java path works meanwhile.";
        }
        if (p.contains("no OpenCL platform")) {
            return "The ICD loader found no driver. Install one: your GPU vendor's OpenCL driver, or pocl-opencl-icd "
                    + "for CPUs; check /etc/OpenCL/vendors.";
        }
        return "The pure-Java path works meanwhile (--device java).";
    }

    private static String bytes(long b) {
        if (b >= 1L << 30) {
            return String.format(Locale.ROOT, "%.1f GiB", b / (double) (1L << 30));
        }
        if (b >= 1L << 20) {
            return String.format(Locale.ROOT, "%.1f MiB", b / (double) (1L << 20));
        }
        return String.format(Locale.ROOT, "%d KiB", b >> 10);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** The functions the self-test runs: every activation with its defaults, plus PReLU and noisy ReLU with arguments. */
    static List<ActivationFunction> functions() {
        List<ActivationFunction> fs = new ArrayList<>(List.of(Activation.values()));
        fs.add(Activation.prelu(0.1f, -0.2f, 0.3f));
        fs.add(Activation.noisyRelu(0.5, 7));
        return fs;
    }
}
