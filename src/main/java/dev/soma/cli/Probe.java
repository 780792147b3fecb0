package dev.soma.cli;

import dev.soma.Activation;
import dev.soma.ActivationFunction;
import dev.soma.Backend;
import dev.soma.BackendInfo;
import dev.soma.DeviceUnavailableException;
import dev.soma.Soma;
import dev.soma.opencl.DeviceInfo;
import dev.soma.opencl.Discovery;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
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

    private final PrintStream out = System.out;

    @Override
    public Integer call() {
        String selector = device != null ? device : Soma.configuredSelector();
        Discovery d = Soma.devices();
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
        out.println("Self-test: every activation forward and derivative, softmax and log-softmax, against the pure-Java path");
        out.printf(Locale.ROOT, "  (bars: forward <= %.0f ULP, derivative <= %.0f ULP, softmax <= %.0f ULP)%n",
                FORWARD_ULP, DERIVATIVE_ULP, SOFTMAX_ULP);
        boolean allPass = true;
        java.util.Map<String, SelfTest.Result> results = new java.util.HashMap<>();
        try (Backend java = Soma.java()) {
            SelfTest.Result javaOk = SelfTest.javaSanity(java);
            out.printf(Locale.ROOT, "  %-6s %s  %s   --device java%n", "java", javaOk.pass() ? "PASS" : "FAIL", javaOk.summary());
            for (DeviceInfo i : d.infos()) {
                try (Backend b = Soma.open(i.selector())) {
                    SelfTest.Result r = SelfTest.compare(b, java);
                    results.put(i.selector(), r);
                    allPass &= r.pass();
                    out.printf(Locale.ROOT, "  %-6s %s  %s   --device %s%n", i.selector(), r.pass() ? "PASS" : "FAIL",
                            r.summary(), i.selector());
                } catch (RuntimeException e) {
                    allPass = false;
                    out.printf(Locale.ROOT, "  %-6s FAIL  cannot be used: %s   --device %s%n", i.selector(),
                            firstLine(e.getMessage()), i.selector());
                }
            }
        }
        out.println();
        try (Backend chosen = Soma.open(selector)) {
            BackendInfo info = chosen.info();
            out.println("Selected (" + Soma.PROPERTY + "=" + selector + "): " + info);
            if (info.fellBack()) {
                out.println("  passed over: " + info.fallbackReason());
            }
            SelfTest.Result r = results.get(info.selector());
            if (info.kind() == BackendInfo.Kind.OPENCL && (r == null || !r.pass())) {
                out.println("FAIL: the selected device does not pass the self-test: "
                        + (r == null ? "not tested" : r.summary()));
                return 1;
            }
            out.println(allPass ? "PASS" : "PASS (the selected backend passes; another device failed, see above)");
            return 0;
        } catch (DeviceUnavailableException e) {
            out.println("FAIL: " + e.getMessage());
            return 2;
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
