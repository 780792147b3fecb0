package dev.soma.opencl;

import dev.soma.Activation;
import dev.soma.Backend;
import dev.soma.reference.Backends;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The program binary cache: hits and misses (counted by {@link BinaryCache}'s counters, no timing),
 * unusable entries found and rebuilt, {@code none}, concurrent writers, and bit-identical results
 * from a loaded binary. Each test has its own empty cache folder.
 */
class BinaryCacheTest {

    @TempDir
    Path dir;
    private CacheFolder cache;

    @BeforeEach
    void useTempCache() {
        cache = CacheFolder.use(dir.toString());
    }

    @AfterEach
    void restore() {
        cache.close();
    }

    private static String device() {
        List<String> s = Backends.openClSelectors();
        if (s.isEmpty()) {
            Backends.noOpenClDevice();
        }
        return s.get(0);
    }

    private static float[] input() {
        float[] x = new float[4099]; // not a multiple of the work-group size
        for (int i = 0; i < x.length; i++) {
            x[i] = (i - 2049) / 97f;
        }
        return x;
    }

    /**
     * GELU forward through a fresh backend on {@code selector} (opening it builds the sigmoid program
     * unless the cache holds it: the device check); closing it stores what was compiled.
     */
    /**
     * The cache holds exactly two complete entries (the check's and gelu's), and a gelu in this process
     * loads gelu's from it and builds nothing; returns the load count from before that gelu.
     */
    private int assertTwoCompleteEntriesAndGeluLoads(String sel, String entriesWhat, String loadWhat)
            throws IOException {
        List<Path> files = entries();
        assertEquals(2, files.size(), entriesWhat + ": " + files);
        for (Path f : files) {
            byte[] data = Files.readAllBytes(f);
            assertNotNull(BinaryCache.parse(data, keyOf(data)), f + " is a complete entry");
        }
        int bin0 = BinaryCache.BINARY_LOADS.get();
        int src0 = BinaryCache.SOURCE_BUILDS.get();
        gelu(sel);
        assertEquals(1, BinaryCache.BINARY_LOADS.get() - bin0, loadWhat);
        assertEquals(0, BinaryCache.SOURCE_BUILDS.get() - src0);
        return bin0;
    }

    private static float[] gelu(String selector) {
        try (Backend b = Backends.openCl(selector)) {
            return b.forward(Activation.GELU, input());
        }
    }

    private List<Path> entries() throws IOException {
        Path programs = dir.resolve("programs");
        if (!Files.isDirectory(programs)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(programs)) {
            return s.filter(f -> !f.getFileName().toString().equals(BinaryCache.PRUNE_MARK)).sorted().toList();
        }
    }

    @Test
    void folderFollowsThePropertyAndNoneTurnsItOff() {
        assertEquals(dir, BinaryCache.folder());
        assertEquals(dir.resolve("programs"), BinaryCache.programFolder());
        System.setProperty(BinaryCache.PROPERTY, "none");
        assertNull(BinaryCache.folder());
        System.setProperty(BinaryCache.PROPERTY, " NONE ");
        assertNull(BinaryCache.programFolder());
    }

    @Test
    void secondProcessLoadsWhatTheFirstBuiltWithIdenticalResults() throws IOException {
        String sel = device();
        int src0 = BinaryCache.SOURCE_BUILDS.get();
        int bin0 = BinaryCache.BINARY_LOADS.get();
        float[] first = gelu(sel);
        assertEquals(2, BinaryCache.SOURCE_BUILDS.get() - src0, "cold: sigmoid (the check at open) and gelu from source");
        assertEquals(0, BinaryCache.BINARY_LOADS.get() - bin0);
        assertEquals(2, entries().size(), "one entry per program: " + entries());

        float[] second = gelu(sel);
        assertEquals(2, BinaryCache.SOURCE_BUILDS.get() - src0, "warm: nothing compiled from source");
        assertEquals(1, BinaryCache.BINARY_LOADS.get() - bin0, "warm: gelu loaded, the check found in the cache");
        assertArrayEquals(first, second, "a cached binary computes bit for bit what the source build did");

        System.setProperty(BinaryCache.PROPERTY, "none");
        float[] uncached = gelu(sel);
        assertEquals(4, BinaryCache.SOURCE_BUILDS.get() - src0, "none: check and gelu compiled from source again");
        assertEquals(1, BinaryCache.BINARY_LOADS.get() - bin0, "none: nothing loaded");
        assertArrayEquals(uncached, second);
        assertEquals(2, entries().size(), "none writes nothing");
    }

    @Test
    void unusableEntriesAreDeletedAndRebuiltNeverUsed() throws IOException {
        String sel = device();
        Backends.openCl(sel).close(); // stores the sigmoid program
        List<Path> files = entries();
        assertEquals(1, files.size());
        Path entry = files.get(0);
        byte[] good = Files.readAllBytes(entry);
        String key = keyOf(good);

        List<UnaryOperator<byte[]>> damage = List.of(
                b -> java.util.Arrays.copyOf(b, b.length / 2),                  // truncated
                b -> java.util.Arrays.copyOf(b, b.length - 1),                  // one byte short
                b -> flip(b, 0),                                                // bad magic
                b -> flip(b, b.length / 2),                                     // checksum no longer matches
                b -> flip(b, 9),                                                // key length off
                b -> BinaryCache.format(key.replace("options:", "options: -DSTALE"), binaryOf(b, key)), // another key
                b -> BinaryCache.format(key, "not a program binary".getBytes(StandardCharsets.UTF_8)), // driver rejects
                b -> new byte[0]);                                              // empty file
        for (int i = 0; i < damage.size(); i++) {
            Files.write(entry, damage.get(i).apply(good.clone()));
            int src0 = BinaryCache.SOURCE_BUILDS.get();
            int bin0 = BinaryCache.BINARY_LOADS.get();
            int rej0 = BinaryCache.REJECTED.get();
            float[] y;
            try (Backend b = Backends.openCl(sel)) {
                y = b.forward(Activation.SIGMOID, new float[] {-1f, 0f, 2f});
            }
            assertEquals(1, BinaryCache.REJECTED.get() - rej0, "damage " + i + " detected");
            assertEquals(0, BinaryCache.BINARY_LOADS.get() - bin0, "damage " + i + ": the entry was not used");
            assertEquals(1, BinaryCache.SOURCE_BUILDS.get() - src0, "damage " + i + ": rebuilt from source");
            assertEquals(0.5f, y[1], "damage " + i + ": the rebuilt program computes");
            assertNotNull(BinaryCache.parse(Files.readAllBytes(entry), key), "damage " + i + ": a good entry again");
        }
        assertEquals(List.of(entry), entries(), "no temporary files left");
    }

    @Test
    void concurrentBackendsNeverLeaveABrokenEntry() throws Exception {
        String sel = device();
        int threads = 3;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<float[]>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return gelu(sel);
                }));
            }
            start.countDown();
            float[] first = results.get(0).get(5, TimeUnit.MINUTES);
            for (Future<float[]> r : results) {
                assertArrayEquals(first, r.get(5, TimeUnit.MINUTES));
            }
        } finally {
            pool.shutdown();
        }
        int bin0 = assertTwoCompleteEntriesAndGeluLoads(sel, "two programs, one entry each, no temporary files",
                "gelu's entry loads (the check's entry is found, not loaded)");
        try (Backend b = Backends.openCl(sel)) {
            assertEquals(1, b.forward(Activation.SIGMOID, new float[] {40f})[0]);
        }
        assertEquals(2, BinaryCache.BINARY_LOADS.get() - bin0, "the check's entry loads too");
    }

    /**
     * Lazy building (issue 6): with the device check in the cache, opening a backend builds nothing,
     * and each operation builds only its own program; a compiled program is stored when its backend
     * closes (after it ran), not when it was built.
     */
    @Test
    void onlyTheProgramsAnApplicationUsesAreBuiltAndStoredAfterTheyRan() throws IOException {
        String sel = device();
        int src0 = BinaryCache.SOURCE_BUILDS.get();
        try (Backend b = Backends.openCl(sel)) {
            assertEquals(1, BinaryCache.SOURCE_BUILDS.get() - src0, "cold open: the device check only");
            assertEquals(1, ((OpenClBackend) b).builtPrograms().size());
            b.forward(Activation.RELU, new float[] {-1f, 1f});
            assertEquals(2, BinaryCache.SOURCE_BUILDS.get() - src0, "relu built on first use");
            assertEquals(List.of(), entries(), "nothing stored while the programs may still run");
        }
        assertEquals(2, entries().size(), "both stored at close: " + entries());

        int built0 = BinaryCache.SOURCE_BUILDS.get() + BinaryCache.BINARY_LOADS.get();
        try (Backend b = Backends.openCl(sel)) {
            OpenClBackend cl = (OpenClBackend) b;
            assertEquals(built0, BinaryCache.SOURCE_BUILDS.get() + BinaryCache.BINARY_LOADS.get(),
                    "warm open builds and loads nothing");
            assertEquals(List.of(), cl.builtPrograms(), "no program made at open");
            float[] y = b.forward(Activation.TANH, new float[] {0f, 2f});
            assertEquals(0f, y[0]);
            assertEquals(Math.tanh(2), y[1], 1e-6, "tanh(2): float rounding");
            assertEquals(built0 + 1, BinaryCache.SOURCE_BUILDS.get() + BinaryCache.BINARY_LOADS.get(),
                    "tanh: its own program only");
            assertEquals(1, cl.builtPrograms().size());
            assertTrue(cl.builtPrograms().get(0).toString().contains("-DACT=" + Activation.TANH.id() + " "),
                    cl.builtPrograms().toString());
        }
        assertEquals(3, entries().size(), "tanh stored at close: " + entries());
    }

    /** Run in a child JVM: GELU on the device named by args[0], then exit with the backend still open. */
    public static final class ExitWithoutClose {
        public static void main(String[] args) {
            Backend b = dev.soma.Soma.open(args[0]);
            System.out.println("RESULT " + b.forward(Activation.GELU, new float[] {1f})[0]);
            // no close: the shutdown hook stores what was compiled
        }
    }

    /** A process that never closes its backend still leaves its compiled programs in the cache (at exit). */
    @Test
    void aProcessExitingWithItsBackendOpenStillStores() throws Exception {
        String sel = device();
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-D" + BinaryCache.PROPERTY + "=" + dir, "-cp", System.getProperty("java.class.path"),
                ExitWithoutClose.class.getName(), sel);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "child JVM did not finish");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("RESULT 0.841"), out); // gelu(1) = 0.8413
        assertTwoCompleteEntriesAndGeluLoads(sel, "the check and gelu, stored at exit",
                "this process loads what the child stored");
    }

    /** A loaded entry is marked used (its time), so that pruning keeps what is in use. */
    @Test
    void loadingAnEntryMarksItUsed() throws IOException {
        String sel = device();
        gelu(sel);
        long old = System.currentTimeMillis() - java.util.concurrent.TimeUnit.DAYS.toMillis(10);
        for (Path f : entries()) {
            Files.setLastModifiedTime(f, java.nio.file.attribute.FileTime.fromMillis(old));
        }
        gelu(sel); // loads gelu's entry; finds the check's without loading it
        List<Long> times = new ArrayList<>();
        for (Path f : entries()) {
            times.add(Files.getLastModifiedTime(f).toMillis());
        }
        assertEquals(2, times.size());
        assertTrue(times.stream().allMatch(t -> t > old + 1000), "both marked, gelu's loaded, the check's found: " + times);
    }

    /** Storing a program prunes the folder, at most once a day (by the mark file). */
    @Test
    void storingPrunesStaleEntriesOnceADay() throws IOException {
        String sel = device();
        Path programs = dir.resolve("programs");
        Files.createDirectories(programs);
        long old = System.currentTimeMillis() - java.util.concurrent.TimeUnit.DAYS.toMillis(BinaryCache.DEFAULT_MAX_AGE_DAYS + 1);
        Path stale = programs.resolve("0123456789abcdef0123456789abcdef.bin");
        BinaryCache.write(programs, stale, "stale key\n", new byte[] {1, 2, 3});
        Files.setLastModifiedTime(stale, java.nio.file.attribute.FileTime.fromMillis(old));
        gelu(sel);
        assertTrue(Files.notExists(stale), "pruned when the first entry was stored");
        assertTrue(Files.exists(programs.resolve(BinaryCache.PRUNE_MARK)));
        BinaryCache.write(programs, stale, "stale key\n", new byte[] {1, 2, 3});
        Files.setLastModifiedTime(stale, java.nio.file.attribute.FileTime.fromMillis(old));
        try (Backend b = Backends.openCl(sel)) {
            b.forward(Activation.SOFTSIGN, new float[] {1f});
        }
        assertTrue(Files.exists(stale), "not again within a day");
    }

    /** Writers racing on one entry with a reader: the reader sees no entry or a complete one, never a torn one. */
    @Test
    void racingWritersAndAReaderNeverSeeATornEntry() throws Exception {
        Path programs = dir.resolve("programs");
        Path file = programs.resolve("race.bin");
        String key = "race key\n";
        int rounds = 200;
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<Integer>> writers = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                byte fill = (byte) (w + 1);
                writers.add(pool.submit(() -> {
                    for (int i = 0; i < rounds; i++) {
                        byte[] bin = new byte[64 * 1024 + i];
                        java.util.Arrays.fill(bin, fill);
                        BinaryCache.write(programs, file, key, bin);
                    }
                    return rounds;
                }));
            }
            Future<Integer> reader = pool.submit(() -> {
                int seen = 0;
                int rejected = BinaryCache.REJECTED.get();
                while (!writers.stream().allMatch(Future::isDone)) {
                    if (BinaryCache.read(file, key) != null) {
                        seen++;
                    }
                }
                assertEquals(rejected, BinaryCache.REJECTED.get(), "the reader never found a broken entry");
                return seen;
            });
            for (Future<Integer> w : writers) {
                w.get(2, TimeUnit.MINUTES);
            }
            reader.get(2, TimeUnit.MINUTES);
        } finally {
            pool.shutdown();
        }
        assertNotNull(BinaryCache.read(file, key));
        try (Stream<Path> s = Files.list(programs)) {
            assertEquals(List.of(file), s.toList(), "no temporary files left");
        }
    }

    private static byte[] flip(byte[] b, int i) {
        b[i] ^= 0x5a;
        return b;
    }

    /** The key text stored in an entry (after the 8-byte magic and its 4-byte length). */
    private static String keyOf(byte[] entry) {
        int len = java.nio.ByteBuffer.wrap(entry, 8, 4).getInt();
        return new String(entry, 12, len, StandardCharsets.UTF_8);
    }

    private static byte[] binaryOf(byte[] entry, String key) {
        byte[] bin = BinaryCache.parse(entry, key);
        assertNotNull(bin);
        return bin;
    }
}
