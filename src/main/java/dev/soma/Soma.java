package dev.soma;

import dev.soma.cpu.CpuBackend;
import dev.soma.opencl.DeviceHealth;
import dev.soma.opencl.DeviceInfo;
import dev.soma.opencl.Discovery;
import dev.soma.opencl.KernelSources;
import dev.soma.opencl.OpenClBackend;
import dev.soma.opencl.OpenClException;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Entry point: opens the backend to compute on.
 *
 * <h2>Choosing a device</h2>
 * The ranking, best first: discrete GPU, integrated GPU, accelerator, CPU OpenCL, pure Java. One
 * override, the system property {@value #PROPERTY} or else the environment variable {@value #ENV}:
 * <ul>
 *   <li>{@code auto} (default): the best-ranked device that opens and builds soma's kernels. A
 *       device passed over, or OpenCL missing altogether (no native library, no ICD loader, no
 *       driver), is logged in one line and listed in {@link BackendInfo#fallbacks()}; the pure-Java
 *       path is the last resort. A device that kept failing earlier in this JVM is passed over too
 *       ({@link DeviceHealth}).</li>
 *   <li>{@code gpu}, {@code cpu}: the best GPU, or the best CPU OpenCL device.</li>
 *   <li>{@code java}: the pure-Java path.</li>
 *   <li>{@code P:D}: device D of platform P, as {@code soma probe} lists them.</li>
 *   <li>anything else: the best device whose name contains it, ignoring case.</li>
 * </ul>
 * Every choice but {@code auto} is explicit: when it cannot be served, {@link #open(String)} throws
 * {@link DeviceUnavailableException} instead of falling back.
 */
public final class Soma {

    public static final String PROPERTY = "soma.device";
    public static final String ENV = "SOMA_DEVICE";
    /** Set to 1 (CI does) to make device tests fail rather than skip when no OpenCL device is found. */
    public static final String REQUIRE_OPENCL_ENV = "SOMA_REQUIRE_OPENCL";

    private static final System.Logger LOG = System.getLogger("dev.soma");
    private static final Pattern INDEX = Pattern.compile("(\\d+):(\\d+)");
    private static volatile Discovery discovery;

    private Soma() {
    }

    /**
     * The backend the configuration asks for ({@value #PROPERTY}, {@value #ENV}, else {@code auto}), at
     * the configured {@link Precision}.
     */
    public static Backend open() {
        return open(configuredSelector());
    }

    /** The backend {@code selector} names (see the class comment), at the configured {@link Precision}. */
    public static Backend open(String selector) {
        return open(selector, Precision.configured());
    }

    /**
     * The backend {@code selector} names, computing at {@code precision} on OpenCL ({@link Precision#EXACT}
     * needs a device with {@code cl_khr_fp64}; {@code auto} passes over one without it).
     */
    public static Backend open(String selector, Precision precision) {
        return open(selector, precision, Soma::devices, KernelSources.classpath());
    }

    /** The pure-Java path. */
    public static Backend java() {
        return new CpuBackend("java", List.of());
    }

    /** The selector in force: the system property, else the environment variable, else {@code auto}. */
    public static String configuredSelector() {
        String s = System.getProperty(PROPERTY);
        if (s == null || s.isBlank()) {
            s = System.getenv(ENV);
        }
        return s == null || s.isBlank() ? "auto" : s.strip();
    }

    /** Every OpenCL device of the machine, ranked, found once per JVM. */
    public static Discovery devices() {
        Discovery d = discovery;
        if (d == null) {
            synchronized (Soma.class) {
                d = discovery;
                if (d == null) {
                    d = Discovery.discover();
                    discovery = d;
                }
            }
        }
        return d;
    }

    /** The selectors ({@code "P:D"}) of every OpenCL device, best first; empty without OpenCL. */
    public static List<String> openClDevices() {
        return devices().infos().stream().map(DeviceInfo::selector).toList();
    }

    /** Whether this run demands OpenCL ({@value #REQUIRE_OPENCL_ENV}=1): device tests then fail instead of skipping. */
    public static boolean requireOpenCl() {
        return "1".equals(System.getenv(REQUIRE_OPENCL_ENV)) || Boolean.getBoolean("soma.requireOpenCl");
    }

    /** Selection with its inputs made explicit, so that tests can give it a broken discovery or kernels. */
    static Backend open(String selector, Supplier<Discovery> found, KernelSources sources) {
        return open(selector, Precision.configured(), found, sources);
    }

    static Backend open(String selector, Precision precision, Supplier<Discovery> found, KernelSources sources) {
        Checks.notNull(selector, "device selector");
        Checks.notNull(precision, "precision");
        String sel = selector.strip();
        String key = sel.toLowerCase(Locale.ROOT);
        if (key.isEmpty()) {
            throw new IllegalArgumentException("device selector is empty; use auto, gpu, cpu, java, P:D or part of a device name");
        }
        if (key.equals("java")) {
            return new CpuBackend(sel, List.of());
        }
        Discovery d = found.get();
        if (key.equals("auto")) {
            return auto(d, precision, sources);
        }
        List<Discovery.Device> candidates = new ArrayList<>();
        Matcher m = INDEX.matcher(key);
        String what;
        if (key.equals("gpu")) {
            what = "a GPU";
            d.devices().stream().filter(x -> x.info().isGpu()).forEach(candidates::add);
        } else if (key.equals("cpu")) {
            what = "a CPU OpenCL device";
            d.devices().stream().filter(x -> x.info().category() == DeviceInfo.Category.CPU).forEach(candidates::add);
        } else if (m.matches()) {
            what = "OpenCL device " + key;
            int p = Integer.parseInt(m.group(1));
            int dev = Integer.parseInt(m.group(2));
            d.devices().stream().filter(x -> x.info().platformIndex() == p && x.info().deviceIndex() == dev)
                    .forEach(candidates::add);
        } else {
            what = "an OpenCL device whose name contains '" + sel + "'";
            d.devices().stream().filter(x -> x.info().name().toLowerCase(Locale.ROOT).contains(key))
                    .forEach(candidates::add);
        }
        if (candidates.isEmpty()) {
            String have = d.devices().isEmpty() ? (d.problem() == null ? "no OpenCL devices" : d.problem())
                    : "devices: " + d.infos();
            throw new DeviceUnavailableException("soma.device=" + sel + " asks for " + what + ", but there is none ("
                    + have + ")", null);
        }
        OpenClException last = null;
        List<String> reasons = new ArrayList<>();
        for (Discovery.Device c : candidates) {
            try {
                return OpenClBackend.open(c, sources, precision, sel, reasons);
            } catch (OpenClException e) {
                last = e;
                reasons.add(c + ": " + firstLine(e.getMessage()));
            }
        }
        throw new DeviceUnavailableException("soma.device=" + sel + ": " + what + " exists but cannot be used: "
                + String.join("; ", reasons), last);
    }

    private static Backend auto(Discovery d, Precision precision, KernelSources sources) {
        List<String> reasons = new ArrayList<>();
        if (d.devices().isEmpty()) {
            reasons.add(d.problem() == null ? "no OpenCL device" : d.problem());
        }
        for (Discovery.Device c : d.devices()) {
            if (!c.info().available() || !c.info().compilerAvailable()) {
                reasons.add(c + ": " + (!c.info().available() ? "device not available" : "no OpenCL C compiler"));
                continue;
            }
            String abandoned = DeviceHealth.abandoned(c.info());
            if (abandoned != null) { // it kept failing earlier in this JVM (DeviceHealth)
                reasons.add(c + ": " + abandoned);
                continue;
            }
            try {
                Backend b = OpenClBackend.open(c, sources, precision, "auto", reasons);
                if (!reasons.isEmpty()) {
                    LOG.log(System.Logger.Level.WARNING, "soma: running on " + b.info() + " because "
                            + String.join("; ", reasons));
                }
                return b;
            } catch (OpenClException e) { // a device or driver problem; a packaging defect propagates
                reasons.add(c + ": " + firstLine(e.getMessage()));
            }
        }
        Backend java = new CpuBackend("auto", reasons);
        LOG.log(System.Logger.Level.WARNING, "soma: falling back to the pure-Java path because "
                + String.join("; ", reasons));
        return java;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "(no message)";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
