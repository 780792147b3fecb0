package dev.soma.reference;

import dev.soma.Backend;
import dev.soma.BackendInfo;
import dev.soma.Precision;
import dev.soma.Soma;
import dev.soma.opencl.DeviceInfo;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The backends a test runs on, and the one rule for OpenCL tests: an OpenCL case asserts that OpenCL
 * ran ({@link BackendInfo.Kind#OPENCL}); where no OpenCL device exists it is skipped (a JUnit
 * assumption), unless {@link Soma#requireOpenCl()} ({@code SOMA_REQUIRE_OPENCL=1}), where it fails.
 *
 * <p>A test class keeps one {@link Pool}: one backend per device for the whole class (opening a
 * device and building kernels is expensive on POCL), closed in {@code @AfterAll}.
 */
public final class Backends {

    /** The label of the placeholder case used when there is no OpenCL device. */
    public static final String NO_OPENCL = "opencl (no device)";
    /** Appended to a device selector, a label opens that device with {@link Precision#EXACT}. */
    public static final String EXACT_SUFFIX = " exact";

    private Backends() {
    }

    /** A new pure-Java backend; asserts that it is the Java path. */
    public static Backend javaBackend() {
        Backend b = Soma.java();
        Assertions.assertEquals(BackendInfo.Kind.JAVA, b.info().kind(), "Soma.java() must give the pure-Java backend");
        return b;
    }

    /** The selector ("P:D") of every usable OpenCL device; empty when OpenCL is unavailable. */
    public static List<String> openClSelectors() {
        return Soma.openClDevices();
    }

    /**
     * Opens the OpenCL device of {@code label} (a selector, at {@link Precision#FAST}, or a selector
     * with {@link #EXACT_SUFFIX}) and asserts that OpenCL runs at that precision (no silent fallback
     * to Java). An open that throws fails the test: the device was listed as usable.
     */
    public static Backend openCl(String label) {
        boolean exact = label.endsWith(EXACT_SUFFIX);
        String selector = exact ? label.substring(0, label.length() - EXACT_SUFFIX.length()) : label;
        Precision p = exact ? Precision.EXACT : Precision.FAST;
        Backend b = Soma.open(selector, p);
        if (b.precision() != p) {
            String info = b.info() + " at " + b.precision();
            b.close();
            Assertions.fail("label " + label + " did not give precision " + p + " but " + info);
        }
        if (b.info().kind() != BackendInfo.Kind.OPENCL) {
            String info = b.info().toString();
            b.close();
            Assertions.fail("selector " + selector + " did not give OpenCL but " + info);
        }
        return b;
    }

    /** {@link #openCl} when {@code selector} is a device; for {@link #NO_OPENCL}, skips or fails per {@link #noOpenClDevice()}. */
    public static Backend openClOrSkip(String selector) {
        if (NO_OPENCL.equals(selector)) {
            noOpenClDevice();
        }
        return openCl(selector);
    }

    /**
     * Called where an OpenCL case would run but no device exists: aborts the test (reported as
     * skipped), or fails it when the run requires OpenCL. Never returns normally.
     */
    public static void noOpenClDevice() {
        if (Soma.requireOpenCl()) {
            Assertions.fail("SOMA_REQUIRE_OPENCL=1 but no usable OpenCL device was found");
        }
        Assumptions.abort("no OpenCL device: OpenCL case skipped (set SOMA_REQUIRE_OPENCL=1 to make this a failure)");
        throw new AssertionError("unreachable");
    }

    /**
     * One container of cases per label of {@link #labelsWithExact()}, named by the label, its cases made
     * by {@code cases}; the {@link #NO_OPENCL} label becomes one {@link #noOpenClDevice()} test instead.
     */
    public static List<DynamicNode> perBackend(Function<String, List<DynamicNode>> cases) {
        List<DynamicNode> out = new ArrayList<>();
        for (String label : labelsWithExact()) {
            out.add(NO_OPENCL.equals(label) ? DynamicTest.dynamicTest(label, Backends::noOpenClDevice)
                    : DynamicContainer.dynamicContainer(label, cases.apply(label)));
        }
        return out;
    }

    /**
     * The labels of the backends to test: {@code "java"}, then each OpenCL selector, or
     * {@link #NO_OPENCL} when there is none (so the OpenCL cases show up as skipped or failed, never vanish).
     */
    public static List<String> labels() {
        List<String> l = new ArrayList<>();
        l.add("java");
        List<String> cl = openClSelectors();
        if (cl.isEmpty()) {
            l.add(NO_OPENCL);
        } else {
            l.addAll(cl);
        }
        return l;
    }

    /**
     * {@link #labels()} plus, for every device with double precision, its {@link Precision#EXACT}
     * label ({@code "0:0 exact"}): the accuracy tests hold each precision to its own bar.
     */
    public static List<String> labelsWithExact() {
        List<String> l = labels();
        for (DeviceInfo d : Soma.devices().infos()) {
            if (d.fp64()) {
                l.add(d.selector() + EXACT_SUFFIX);
            }
        }
        return l;
    }

    /** The OpenCL labels of {@link #labelsWithExact()}: empty without OpenCL. */
    public static List<String> openClLabelsWithExact() {
        List<String> l = labelsWithExact();
        l.remove("java");
        l.remove(NO_OPENCL);
        return l;
    }

    /** One backend per label for a test class, opened on first use, closed by {@link #close()}. */
    public static final class Pool implements AutoCloseable {
        private final Map<String, Backend> open = new LinkedHashMap<>();

        /**
         * The backend for {@code label}: the Java backend for {@code "java"}, else the OpenCL device
         * (asserted to be OpenCL; skipped or failed for {@link #NO_OPENCL}).
         */
        public synchronized Backend get(String label) {
            Backend b = open.get(label);
            if (b != null) {
                return b;
            }
            b = "java".equals(label) ? javaBackend() : openClOrSkip(label);
            open.put(label, b);
            return b;
        }

        @Override
        public synchronized void close() {
            for (Backend b : open.values()) {
                b.close();
            }
            open.clear();
        }
    }
}
