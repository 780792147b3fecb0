package dev.soma.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static dev.soma.cli.ProbeTest.list;
import static dev.soma.cli.ProbeTest.obj;
import static dev.soma.cli.ProbeTest.soma;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code soma bench} on tiny sizes, run in-process: the table, the progress lines and the JSON. */
class BenchCommandTest {

    private static final String[] TINY = {"bench", "--suite", "activations", "--quick", "--only", "relu,sigmoid,softmax", "--size", "4096",
            "--softmax", "4x256"};

    private static String[] tiny(String... more) {
        String[] a = new String[TINY.length + more.length];
        System.arraycopy(TINY, 0, a, 0, TINY.length);
        System.arraycopy(more, 0, a, TINY.length, more.length);
        return a;
    }

    @Test
    void javaPathTableAndJsonFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("bench.json");
        ProbeTest.Run r = soma(tiny("--device", "java", "--json", file.toString()));
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("== Java path"), r.out());
        assertTrue(r.out().contains("== Summary"), r.out());
        assertTrue(r.err().contains("[1/5] sigmoid fwd on java"), r.err());
        assertTrue(r.err().contains("[5/5] softmax fwd on java"), r.err());
        checkJson(Files.readString(file, StandardCharsets.UTF_8), "java");
    }

    @Test
    void openClDeviceJsonToStdout() {
        String sel = ProbeTest.openClDevice();
        ProbeTest.Run r = soma(tiny("--device", sel, "--json"));
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.err().contains("== OpenCL " + sel), "the table goes to stderr: " + r.err());
        assertTrue(r.err().contains("[5/5] softmax fwd on " + sel), r.err());
        checkJson(r.out(), sel);
    }

    @Test
    void denseJavaPathTableAndJson() {
        ProbeTest.Run r = soma("bench", "--suite", "dense", "--quick", "--device", "java", "--json");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.err().contains("soma dense benchmark"), "the table goes to stderr: " + r.err());
        assertTrue(r.err().contains("== Java path"), r.err());
        assertTrue(r.err().contains("== Summary"), r.err());
        assertTrue(r.err().contains("[1/4] dense 64x256x256 on java"), r.err());
        assertTrue(r.err().contains("[4/4] network b32 on java"), r.err());
        checkDenseJson(r.out(), "java");
    }

    @Test
    void denseShapeOption() {
        ProbeTest.Run r = soma("bench", "--suite", "dense", "--quick", "--device", "java", "--dense", "33x65x17");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.err().contains("[1/4] dense 33x65x17 on java"), r.err());
        assertTrue(r.out().contains("fused relu vs dense + relu pass"), r.out());
        for (String bad : new String[] {"3x4", "3x4x0", "axbxc", "3x4x5x6"}) {
            ProbeTest.Run b = soma("bench", "--suite", "dense", "--quick", "--device", "java", "--dense", bad);
            assertEquals(2, b.exit(), bad + ": " + b.err());
            assertTrue(b.err().contains("--dense"), bad + ": " + b.err());
        }
    }

    @Test
    void denseOpenClDeviceTableAndJsonFile(@TempDir Path dir) throws IOException {
        String sel = ProbeTest.openClDevice();
        Path file = dir.resolve("dense.json");
        ProbeTest.Run r = soma("bench", "--suite", "dense", "--quick", "--device", sel, "--json", file.toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("== OpenCL " + sel), r.out());
        assertTrue(r.out().contains("== Summary"), r.out());
        assertTrue(r.err().contains("[2/4] square 128 on " + sel), r.err());
        checkDenseJson(Files.readString(file, StandardCharsets.UTF_8), sel);
    }

    @Test
    void badOptionsAndMissingDevice() {
        ProbeTest.Run bad = soma("bench", "--only", "no_such_function");
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("no_such_function"), bad.err());
        ProbeTest.Run badSuite = soma("bench", "--suite", "everything");
        assertEquals(2, badSuite.exit());
        assertTrue(badSuite.err().contains("--suite"), badSuite.err());
        ProbeTest.Run missing = soma(tiny("--device", "97:3"));
        assertNotEquals(0, missing.exit());
        assertTrue(missing.out().contains("97:3: cannot open"), missing.out());
    }

    private static void checkJson(String doc, String backend) {
        Map<String, Object> root = obj(ProbeTest.MiniJson.parse(doc));
        assertEquals(List.of(backend), root.get("backends"));
        assertEquals(4096.0, obj(root.get("settings")).get("size"));
        List<Object> rows = list(root.get("results"));
        assertEquals(5, rows.size(), doc);
        Set<String> seen = new TreeSet<>();
        for (Object o : rows) {
            Map<String, Object> m = obj(o);
            assertEquals(backend, m.get("backend"));
            for (String k : List.of("gbps", "reference", "reference_gbps", "ratio", "target", "status")) {
                assertTrue(m.containsKey(k), k + " missing: " + m);
            }
            assertTrue(Set.of("PASS", "MISS", "info").contains(m.get("status")), m.toString());
            assertTrue((Double) m.get("gbps") > 0, m.toString());
            seen.add(m.get("function") + " " + m.get("direction"));
        }
        assertEquals(Set.of("relu fwd", "relu deriv", "sigmoid fwd", "sigmoid deriv", "softmax fwd"), seen);
    }

    private static void checkDenseJson(String doc, String backend) {
        Map<String, Object> root = obj(ProbeTest.MiniJson.parse(doc));
        assertEquals("dense", root.get("benchmark"));
        assertEquals(List.of(backend), root.get("backends"));
        assertEquals(0.0, root.get("exit_status"));
        Map<String, Object> dense = obj(obj(root.get("settings")).get("dense"));
        assertEquals(64.0, dense.get("m"));
        assertEquals(32.0, dense.get("network_batch"));
        List<Object> rows = list(root.get("results"));
        Set<String> seen = new TreeSet<>();
        for (Object o : rows) {
            Map<String, Object> m = obj(o);
            assertEquals("dense", m.get("suite"));
            assertEquals(backend, m.get("backend"));
            for (String k : List.of("section", "measurement", "gflops", "images_per_s", "ratio", "target",
                    "status")) {
                assertTrue(m.containsKey(k), k + " missing: " + m);
            }
            assertTrue(Set.of("PASS", "MISS", "info").contains(m.get("status")), m.toString());
            Object v = m.get("gflops") != null ? m.get("gflops") : m.get("images_per_s");
            assertTrue(v instanceof Double && (Double) v > 0, m.toString());
            if (m.get("target") != null) {
                assertEquals(1.0, m.get("target"), m.toString());
                assertTrue((Double) m.get("ratio") > 0, m.toString());
            }
            seen.add(m.get("section") + ": " + m.get("measurement"));
        }
        assertEquals(Set.of("dense 64x256x256: soma dense+relu (fused)",
                "dense 64x256x256: fused relu vs dense + relu pass",
                "dense 64x256x256: fused gelu vs dense + gelu pass",
                "square 128: soma gemm (NN)", "square 256: soma gemm (NN)",
                "network b32: images/s host -> host", "network b32: images/s on device"), seen, doc);
        for (Object o : rows) {
            Map<String, Object> m = obj(o);
            if (m.get("measurement").equals("images/s host -> host")) {
                double share = (Double) m.get("transfer_share");
                assertTrue(share > 0 && Double.isFinite(share), m.toString()); // 1 batch with --quick: noisy
            }
        }
    }
}
