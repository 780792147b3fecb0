package dev.soma.opencl;

import dev.soma.Activation;
import dev.soma.Backend;
import dev.soma.Precision;
import dev.soma.Soma;
import dev.soma.Tensor;
import dev.soma.WeightLayout;

import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * One start-up measurement for {@code scripts/bench-startup}, in a fresh JVM: from process start
 * (the launcher's clock, {@code -Dsoma.launchNanos}, epoch nanoseconds) to the first result, split
 * into phases, printed as one line of {@code name=milliseconds}.
 *
 * <p>Modes: {@code floor} (load the native library, list the platforms, stop), {@code train}
 * (activation, then dense: for recording a class-data archive), {@code activation}
 * (GELU of 1M floats from a host array), {@code dense} (a 64 × 1024 → 1024 GELU dense layer with
 * bias, weights out × in). Phases: jvm (to {@code main}), native (JOCL and the OpenCL loader),
 * discovery (platforms and devices), open (context and queue), build (every program made, loaded
 * or compiled, {@link BinaryCache#BUILD_NANOS}), input (making the inputs: host arrays, for the
 * dense layer also their upload), launch (the first call less its build and less the compute time),
 * compute (the same call again, warm), other (the rest: class loading between the phases, clocks),
 * total (launch to the first result); then, after the total, store (closing the backend stores the
 * programs compiled from source, {@link BinaryCache#STORE_NANOS}; 0 when all were loaded).
 */
public final class StartupBench {

    private StartupBench() {
    }

    public static void main(String[] args) {
        long mainNanos = epochNanos();
        long launch = Long.parseLong(System.getProperty("soma.launchNanos", Long.toString(mainNanos)));
        String mode = args.length > 0 ? args[0] : "activation";
        if (mode.equals("train")) { // both, one after the other: a class-data archive's training run
            main(new String[] {"activation"});
            main(new String[] {"dense"});
            return;
        }
        long t = System.nanoTime();
        try {
            Class.forName("org.jocl.CL", true, StartupBench.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
        long tNative = System.nanoTime();
        List<String> devices = Soma.openClDevices();
        long tDiscovery = System.nanoTime();
        StringBuilder out = new StringBuilder("mode=" + mode);
        put(out, "jvm", (mainNanos - launch) / 1e6);
        put(out, "native", (tNative - t) / 1e6);
        put(out, "discovery", (tDiscovery - tNative) / 1e6);
        if (mode.equals("floor")) {
            put(out, "total", (epochNanos() - launch) / 1e6);
            System.out.println(out);
            return;
        }
        if (devices.isEmpty()) {
            throw new IllegalStateException("no OpenCL device");
        }
        String selector = System.getProperty("soma.device", devices.get(0));
        long build0 = BinaryCache.BUILD_NANOS.get();
        long store0;
        long tOpen0 = System.nanoTime();
        try (Backend b = Soma.open(selector, Precision.FAST)) {
            long tOpen = System.nanoTime();
            long openBuild = BinaryCache.BUILD_NANOS.get() - build0;
            long inputStart = System.nanoTime();
            long firstStart;
            long firstEnd;
            long computeStart;
            long computeEnd;
            float check;
            long done;
            if (mode.equals("activation")) {
                float[] x = new float[1 << 20];
                for (int i = 0; i < 2001; i++) {
                    x[i] = (i - 1000) / 100f;
                }
                repeat(x, 2001);
                firstStart = System.nanoTime();
                float[] y = b.forward(Activation.GELU, x);
                firstEnd = System.nanoTime();
                done = epochNanos();
                check = y[12345];
                computeStart = System.nanoTime();
                y = b.forward(Activation.GELU, x);
                computeEnd = System.nanoTime();
                check += y[54321];
            } else if (mode.equals("dense")) {
                int batch = 64;
                int in = 1024;
                int outs = 1024;
                float[] xs = fill(batch * in, 0.01f);
                float[] ws = fill(outs * in, 0.001f);
                float[] bs = fill(outs, 0.1f);
                try (Tensor x = b.upload(xs, batch, in); Tensor w = b.upload(ws, outs, in);
                     Tensor bias = b.upload(bs, 1, outs); Tensor y = b.tensor(batch, outs)) {
                    firstStart = System.nanoTime();
                    b.dense(x, w, WeightLayout.OUT_IN, bias, Activation.GELU, y);
                    float[] r = y.download();
                    firstEnd = System.nanoTime();
                    done = epochNanos();
                    check = r[77];
                    computeStart = System.nanoTime();
                    b.dense(x, w, WeightLayout.OUT_IN, bias, Activation.GELU, y);
                    r = y.download();
                    computeEnd = System.nanoTime();
                    check += r[99];
                }
            } else {
                throw new IllegalArgumentException("mode " + mode + ": use floor, activation or dense");
            }
            long opBuild = BinaryCache.BUILD_NANOS.get() - build0 - openBuild;
            long compute = computeEnd - computeStart;
            put(out, "open", (tOpen - tOpen0 - openBuild) / 1e6);
            put(out, "build", (openBuild + opBuild) / 1e6);
            put(out, "input", (firstStart - inputStart) / 1e6);
            put(out, "launch", (firstEnd - firstStart - opBuild - compute) / 1e6);
            put(out, "compute", compute / 1e6);
            put(out, "other", 0); // filled below
            double total = (done - launch) / 1e6;
            double parts = (mainNanos - launch) / 1e6 + (tDiscovery - t) / 1e6 + (tOpen - tOpen0) / 1e6
                    + (firstEnd - inputStart) / 1e6;
            out.replace(out.indexOf("other=0.0"), out.indexOf("other=0.0") + "other=0.0".length(),
                    String.format(Locale.ROOT, "other=%.1f", total - parts));
            put(out, "total", total);
            store0 = BinaryCache.STORE_NANOS.get();
        }
        put(out, "store", (BinaryCache.STORE_NANOS.get() - store0) / 1e6);
        System.out.println(out);
    }

    private static float[] fill(int n, float scale) {
        float[] a = new float[n];
        int period = Math.min(n, 2003);
        for (int i = 0; i < period; i++) {
            a[i] = ((i * 7919) % 2003 - 1001) * scale / 1001f;
        }
        repeat(a, period);
        return a;
    }

    /**
     * Repeats a[0, period) over the whole of a by doubling copies: the inputs are the benchmark's
     * own work, not soma's, and a loop over every element runs interpreted at start-up (20 to 30 ms
     * for 1M floats, which the first version counted in the total).
     */
    private static void repeat(float[] a, int period) {
        for (int filled = period; filled < a.length; filled *= 2) {
            System.arraycopy(a, 0, a, filled, Math.min(filled, a.length - filled));
        }
    }

    private static void put(StringBuilder out, String name, double ms) {
        out.append(' ').append(name).append('=').append(String.format(Locale.ROOT, "%.1f", ms));
    }

    private static long epochNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}
