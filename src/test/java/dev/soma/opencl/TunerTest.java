package dev.soma.opencl;

import dev.soma.Activation;
import dev.soma.Backend;
import dev.soma.Tensor;
import dev.soma.WeightLayout;
import dev.soma.reference.Backends;
import dev.soma.reference.Reference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The tuner and its store: round trip, unusable files ignored and replaced, {@code none}, wrong and
 * failing candidates rejected, stored settings used by a later backend (its programs are built with
 * them), and non-default settings still correct on odd shapes. No timing is asserted: which correct
 * candidate wins is the benchmark's business. One cache folder for the class, so that programs
 * compiled by one test are loaded by the next; each test starts without a tuning/ folder.
 */
class TunerTest {

    @TempDir
    static Path dir;
    private CacheFolder cache;

    /** A setting that differs from the CPU and GPU defaults in every tuned parameter of the nt kernel. */
    private static final Tuning ODD = new Tuning(4, 4, 32, 8, 8, 2, 8, 4);

    @BeforeEach
    void useClassCache() throws IOException {
        cache = CacheFolder.use(dir.toString());
        Path t = dir.resolve("tuning");
        if (Files.exists(t)) {
            try (Stream<Path> s = Files.walk(t)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Tuner.hook = null;
    }

    @AfterEach
    void restore() {
        Tuner.hook = null;
        Faults.install(null);
        cache.close();
    }

    /** A device description for the store tests (the store reads only DeviceInfo, no OpenCL call). */
    private static DeviceInfo fakeDevice(String driver) {
        return new DeviceInfo(0, 0, "Test Platform", "OpenCL 3.0 test", "Test Device", "Test Vendor",
                DeviceInfo.Category.CPU, "OpenCL 3.0 test", driver, "OpenCL C 1.2", 2, 1000, 1L << 30, 65536,
                1L << 28, 4096, true, false, true, true, true);
    }

    private static String device() {
        List<String> s = Backends.openClSelectors();
        if (s.isEmpty()) {
            Backends.noOpenClDevice();
        }
        return s.get(0);
    }

    private static List<Path> files(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(folder)) {
            return s.sorted().toList();
        }
    }

    @Test
    void storeRoundTrip() throws IOException {
        DeviceInfo d = fakeDevice("1.0");
        KernelSources src = KernelSources.classpath();
        assertNull(TuningStore.read(d, src).tuning(), "nothing stored yet");
        Path f = TuningStore.write(d, src, ODD, List.of("a note"));
        assertEquals(List.of(f), files(dir.resolve("tuning")), "one file, no temporary left behind");
        TuningStore.Found found = TuningStore.read(d, src);
        assertEquals(ODD, found.tuning());
        assertNull(found.problem());
        String text = Files.readString(f);
        for (String k : List.of("device=Test Device", "vendor=Test Vendor", "driver=1.0", "opencl=OpenCL 3.0 test",
                "kernels=", "nt.vw=8", "elementwise.items=4")) {
            assertTrue(text.contains(k), k + " in\n" + text);
        }
        // another driver version is another file: the first device's entry stays
        DeviceInfo other = fakeDevice("2.0");
        assertNull(TuningStore.read(other, src).tuning());
        assertNotEquals(TuningStore.file(dir, d), TuningStore.file(dir, other));
    }

    @Test
    void corruptTruncatedStaleOrInvalidFilesAreIgnoredAndReplaced() throws IOException {
        DeviceInfo d = fakeDevice("1.0");
        KernelSources src = KernelSources.classpath();
        Path f = TuningStore.write(d, src, ODD, List.of());
        String good = Files.readString(f);
        KernelSources changedDense = file -> file.equals(ClGemm.DENSE) ? src.load(file) + "\n/* changed */\n"
                : src.load(file);
        List<String[]> cases = List.of(
                new String[] {"truncated", good.substring(0, good.length() / 2)},
                new String[] {"without its end line", good.replace("# end\n", "")},
                new String[] {"garbage", "\u0000\u00ff\u0001garbage\\u12"},
                new String[] {"empty", ""},
                new String[] {"invalid vector width", good.replace("nt.vw=8", "nt.vw=5")},
                new String[] {"missing parameter", good.replace("nt.rm=4\n", "")},
                new String[] {"other driver in the file", good.replace("driver=1.0", "driver=0.9")},
                new String[] {"more local memory than the device has (64 KiB)",
                        good.replace("nt.wg=32", "nt.wg=1024").replace("nt.rm=4", "nt.rm=16")});
        for (String[] c : cases) {
            Files.writeString(f, c[1], StandardCharsets.ISO_8859_1);
            TuningStore.Found found = TuningStore.read(d, src);
            assertNull(found.tuning(), c[0] + ": must not be used");
            assertNotNull(found.problem(), c[0] + ": the reason is reported");
        }
        // stale: the kernels changed since tuning
        Files.writeString(f, good);
        TuningStore.Found stale = TuningStore.read(d, changedDense);
        assertNull(stale.tuning());
        assertTrue(stale.problem().contains("kernels"), stale.problem());
        // the next tune (write) replaces it
        Files.writeString(f, "garbage");
        TuningStore.write(d, src, ODD, List.of());
        assertEquals(ODD, TuningStore.read(d, src).tuning());
    }

    @Test
    void noneReadsAndWritesNothing() throws IOException {
        DeviceInfo d = fakeDevice("1.0");
        try (CacheFolder off = CacheFolder.use("none")) {
            assertNull(TuningStore.write(d, KernelSources.classpath(), ODD, List.of()));
            TuningStore.Found f = TuningStore.read(d, KernelSources.classpath());
            assertNull(f.tuning());
            assertNull(f.file());
            try (Backend b = Backends.openCl(device())) {
                OpenClBackend be = (OpenClBackend) b;
                assertEquals(Tuning.defaults(be.device()), be.tuning());
                Tuner.Result r = Tuner.tune(be, small(List.of(), List.of()), quiet());
                assertNull(r.file());
            }
        }
        assertFalse(Files.exists(dir.resolve("tuning")), "cache none: no tuning folder written");
    }

    /** Tuner options for a test: a small dense shape with odd sizes, few pairs, the given candidates. */
    private static Tuner.Options small(List<Tuning> dense, List<Tuning> elementwise) {
        Tuner.Options o = new Tuner.Options();
        o.m = 37;
        o.n = 67;
        o.k = 131;
        o.elements = 4099;
        o.pairs = 5;
        o.dense = dense;
        o.elementwise = elementwise;
        return o;
    }

    private static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    }

    @Test
    void wrongAndFailingCandidatesAreRejectedAndTheChoiceIsStoredAndUsedLater() {
        String sel = device();
        Tuning def;
        Tuner.Result r;
        Tuning wrong;
        Tuning failing;
        Tuning wrongItems;
        Tuning unbuildable;
        try (Backend b = Backends.openCl(sel)) {
            OpenClBackend be = (OpenClBackend) b;
            def = Tuning.defaults(be.device());
            wrong = Tuner.nt(Tuner.tiled(def, 8, 2, 16), 4, 4, def.ntWg(), def.ntVw());
            failing = Tuner.nt(Tuner.tiled(def, 8, 4, 8), 3, 8, def.ntWg(), def.ntVw());
            unbuildable = Tuner.nt(Tuner.tiled(def, 4, 2, 8), 2, 8, 32, 8);
            wrongItems = Tuner.items(def, 8);
            Tuning w = wrong;
            Tuning fl = failing;
            Tuning ub = unbuildable;
            Tuning wi = wrongItems;
            Tuner.hook = new Tuner.Hook() {
                @Override
                public void before(String family, Tuning c) {
                    Faults.install(c.equals(ub) ? (dev, call) -> call.equals("clBuildProgram")
                            ? org.jocl.CL.CL_BUILD_PROGRAM_FAILURE : 0 : null);
                }

                @Override
                public void after(String family, Tuning c, Tensor y) {
                    if (c.equals(w) || c.equals(wi)) {
                        float[] v = y.download();
                        v[v.length - 1] += 1f; // one element off: a check that samples would miss it
                        y.upload(v);
                    } else if (c.equals(fl)) {
                        throw new OpenClException("clEnqueueNDRangeKernel", org.jocl.CL.CL_OUT_OF_RESOURCES);
                    }
                }
            };
            // the family this device does not run keeps the values the backend had
            Tuning other = ClGemm.gpuKernels(be.device()) ? Tuner.nt(def, 5, 4, 32, 8) : Tuner.tiled(def, 8, 2, 8);
            be.useTuning(other, "test");
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            r = Tuner.tune(be, small(List.of(wrong, failing, unbuildable), List.of(wrongItems)),
                    new PrintStream(log, true, StandardCharsets.UTF_8));
            Faults.install(null);
            String text = log.toString(StandardCharsets.UTF_8);
            assertEquals(be.tuning(), r.tuning(), "the backend uses the result at once");
            assertEquals(6, r.trials().size(), text);
            for (Tuner.Trial t : r.trials()) {
                if (t.tuning().equals(wrong) && t.family().equals("dense")
                        || t.tuning().equals(wrongItems) && t.family().equals("element-wise")) {
                    assertTrue(t.status().startsWith("wrong result"), t + "\n" + text);
                } else if (t.tuning().equals(failing)) {
                    assertTrue(t.status().startsWith("launch failed") && t.status().contains("CL_OUT_OF_RESOURCES"),
                            t + "\n" + text);
                } else if (t.tuning().equals(unbuildable)) {
                    assertTrue(t.status().startsWith("build failed"), t + "\n" + text);
                } else {
                    assertTrue(t.ok(), "the defaults pass: " + t + "\n" + text);
                }
            }
            assertTrue(r.dense().isDefault(), "only the defaults passed");
            assertTrue(r.elementwise().isDefault(), "only the defaults passed");
            assertEquals(other, r.tuning(), "the defaults of the family tuned, the other family's values kept");
            assertNotNull(r.file());
            assertTrue(text.contains("wrong result") && text.contains("launch failed") && text.contains("build failed"),
                    text);
        }
        // a later backend reads the stored file
        try (Backend b = Backends.openCl(sel)) {
            OpenClBackend be = (OpenClBackend) b;
            assertEquals(r.tuning(), be.tuning());
            assertTrue(be.tuningOrigin().startsWith("tuned"), be.tuningOrigin());
            assertTrue(Tuner.status(be.device()).tuned());
        }
    }

    @Test
    void storedSettingsAreUsedByALaterBackendAndStayCorrectOnOddShapes() {
        String sel = device();
        DeviceInfo info;
        try (Backend b = Backends.openCl(sel)) {
            info = ((OpenClBackend) b).device();
        }
        TuningStore.write(info, KernelSources.classpath(), ODD, List.of());
        try (Backend b = Backends.openCl(sel)) {
            OpenClBackend be = (OpenClBackend) b;
            assertEquals(ODD, be.tuning(), be.tuningOrigin());
            int[][] shapes = {{37, 67, 131}, {5, 1031, 19}, {1, 53, 97}};
            for (int[] s : shapes) {
                checkDense(be, s[0], s[1], s[2]);
            }
            checkElementwise(be, 4099);
            checkElementwise(be, 3);
            String keys = String.join("\n", be.programKeys());
            boolean gpu = ClGemm.gpuKernels(be.device());
            for (String opt : gpu ? List.of("-DGPU_WG=8", "-DGPU_R=2", "-DGPU_TK=8")
                    : List.of("-DNT_RM=4 -DNT_RN=4", "-DNT_WG=32", "-DNT_VW=8")) {
                assertTrue(keys.contains(opt), opt + " in the built programs:\n" + keys);
            }
            assertTrue(keys.contains("-DSOMA_ITEMS=4"), "element-wise items in:\n" + keys);
        }
    }

    @Test
    void tiledKernelWithNonDefaultSettingsIsCorrectOnOddShapes() {
        String saved = System.getProperty(ClGemm.KERNELS_PROPERTY);
        System.setProperty(ClGemm.KERNELS_PROPERTY, "gpu");
        try (Backend b = Backends.openCl(device())) {
            OpenClBackend be = (OpenClBackend) b;
            be.useTuning(ODD, "test");
            checkDense(be, 37, 67, 131);
            assertTrue(String.join("\n", be.programKeys()).contains("-DGPU_WG=8 -DGPU_R=2 -DGPU_TK=8"));
            // every shape of the local slices: vector reads of 4, 8 and 16 (padding rounded up to
            // them), the scalar reads of R = 1 and 3, k steps whose padding is 1 (32) or 4 (8)
            int[][] tilings = {{16, 4, 16}, {16, 8, 16}, {8, 8, 32}, {4, 16, 8}, {8, 1, 32}, {8, 3, 8}};
            for (int[] t : tilings) {
                be.useTuning(Tuner.tiled(ODD, t[0], t[1], t[2]), "test");
                checkDense(be, 37, 67, 131);
                checkDense(be, 130, 129, 33);
                String opts = "-DGPU_WG=" + t[0] + " -DGPU_R=" + t[1] + " -DGPU_TK=" + t[2];
                assertTrue(String.join("\n", be.programKeys()).contains(opts), opts + " not built");
            }
            // batches of 2 to 4 take the work-group-per-element kernel (soma_gemv_tiled, kernel 5)
            for (int m = 2; m <= ClGemm.GEMV_ROWS; m++) {
                checkDense(be, m, 67, 131);
            }
            String keys = String.join("\n", be.programKeys());
            assertTrue(keys.contains("-DSOMA_GEMM_KERNEL=5"), "soma_gemv_tiled never built:\n" + keys);
        } finally {
            if (saved == null) {
                System.clearProperty(ClGemm.KERNELS_PROPERTY);
            } else {
                System.setProperty(ClGemm.KERNELS_PROPERTY, saved);
            }
        }
    }

    /**
     * The dense layer y = x·Wᵀ + b against a double reference, bound (K + 2)·u·(Σ|x||w| + |b|) per
     * element (DenseTest's bound for a float dot product summed in any order, plus the rounding of the
     * result and of the bias term).
     */
    private static void checkDense(OpenClBackend be, int m, int n, int k) {
        SplittableRandom r = new SplittableRandom(m * 1000003L + n * 1009L + k);
        float[] x = new float[m * k];
        float[] w = new float[n * k];
        float[] bias = new float[n];
        for (float[] a : new float[][] {x, w, bias}) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) (r.nextDouble() * 2 - 1);
            }
        }
        float[] y;
        try (Tensor xt = be.upload(x, m, k); Tensor wt = be.upload(w, n, k); Tensor bt = be.upload(bias, 1, n);
             Tensor yt = be.tensor(m, n)) {
            be.dense(xt, wt, WeightLayout.OUT_IN, bt, null, yt);
            y = yt.download();
        }
        double u = 0x1p-24;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double[] ref = Reference.denseAt(x, w, bias, k, i, j);
                double want = ref[0];
                double tol = (k + 2) * u * ref[1];
                if (!(Math.abs(y[i * n + j] - want) <= tol)) {
                    fail(m + "x" + n + "x" + k + " with " + be.tuning() + ": y[" + i + "," + j + "] = " + y[i * n + j]
                            + ", reference " + want + ", bound " + tol);
                }
            }
        }
    }

    /** GELU over {@code len} floats: bit-identical to the same backend with one element per work-item. */
    private static void checkElementwise(OpenClBackend be, int len) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) {
            x[i] = (i - len / 2) / 97f;
        }
        float[] tuned = be.forward(Activation.GELU, x);
        Tuning t = be.tuning();
        String origin = be.tuningOrigin();
        be.useTuning(Tuner.items(t, 1), "test");
        float[] one = be.forward(Activation.GELU, x);
        be.useTuning(t, origin);
        assertEquals(len, tuned.length);
        for (int i = 0; i < len; i++) {
            if (Float.floatToRawIntBits(tuned[i]) != Float.floatToRawIntBits(one[i])) {
                fail("gelu(" + x[i] + ") with " + t.elemItems() + " per work-item: " + tuned[i] + ", one per item: "
                        + one[i]);
            }
        }
    }
}
