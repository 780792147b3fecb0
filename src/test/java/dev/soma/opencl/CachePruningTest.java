package dev.soma.opencl;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pruning of the program cache ({@link BinaryCache#prune}), on files made here: no device needed.
 * Times are set explicitly, so nothing depends on how long the test takes.
 */
class CachePruningTest {

    private static final long DAY = TimeUnit.DAYS.toMillis(1);

    @TempDir
    Path dir;

    private Path entry(String name, int bytes, long time) throws IOException {
        Path f = dir.resolve(name);
        BinaryCache.write(dir, f, "key of " + name + "\n", new byte[bytes]);
        Files.setLastModifiedTime(f, FileTime.fromMillis(time));
        return f;
    }

    private Path file(String name, byte[] content, long time) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, content);
        Files.setLastModifiedTime(f, FileTime.fromMillis(time));
        return f;
    }

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void removesUnusedOldFormatsAndAbandonedTemporariesOnly() throws IOException {
        long now = 1_000 * DAY;
        entry("recent.bin", 100, now - 29 * DAY);
        entry("unused.bin", 100, now - 31 * DAY);
        file("v1.bin", "SOMAPRG1 an entry of the first format".getBytes(StandardCharsets.US_ASCII), now);
        file("short.bin", new byte[3], now);                                   // not even a magic
        file("abandoned.bin123.tmp", new byte[10], now - 2 * TimeUnit.HOURS.toMillis(1));
        file("writing.bin456.tmp", new byte[10], now - TimeUnit.MINUTES.toMillis(10));
        file(BinaryCache.PRUNE_MARK, new byte[0], now - 400 * DAY);            // not an entry: kept
        file("notes.txt", new byte[5], now - 400 * DAY);                      // not soma's: kept

        int pruned0 = BinaryCache.PRUNED.get();
        assertEquals(4, BinaryCache.prune(dir, now, 30 * DAY, Long.MAX_VALUE));
        assertEquals(4, BinaryCache.PRUNED.get() - pruned0);
        assertEquals(List.of(BinaryCache.PRUNE_MARK, "notes.txt", "recent.bin", "writing.bin456.tmp"), names());
        assertNotNull(BinaryCache.read(dir.resolve("recent.bin"), "key of recent.bin\n"), "the kept entry is intact");
    }

    @Test
    void aSizeCapRemovesTheLeastRecentlyUsedFirst() throws IOException {
        long now = 1_000 * DAY;
        long size = 0;
        for (int i = 0; i < 5; i++) { // e0 oldest ... e4 newest
            size = Files.size(entry("e" + i + ".bin", 1000, now - (5 - i) * 60_000L));
        }
        // room for two entries and a half: the three oldest go
        assertEquals(3, BinaryCache.prune(dir, now, 30 * DAY, 2 * size + size / 2));
        assertEquals(List.of("e3.bin", "e4.bin"), names());
        assertEquals(0, BinaryCache.prune(dir, now, 30 * DAY, 2 * size), "exactly at the cap: nothing more");
        assertEquals(2, BinaryCache.prune(dir, now, 30 * DAY, 0));
        assertEquals(List.of(), names(), "a cap of 0 keeps none");
    }

    /**
     * Processes pruning at once while another writes fresh entries: every stale file is deleted exactly
     * once in all, no pruner fails, and the fresh entries survive intact.
     */
    @Test
    void concurrentPrunersAndAWriterAgree() throws Exception {
        long now = System.currentTimeMillis();
        int stale = 200;
        for (int i = 0; i < stale; i++) {
            entry("stale" + i + ".bin", 64, now - 60 * DAY);
        }
        int pruners = 4;
        int fresh = 50;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(pruners + 1);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int p = 0; p < pruners; p++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return BinaryCache.prune(dir, now, 30 * DAY, Long.MAX_VALUE);
                }));
            }
            Future<?> writer = pool.submit(() -> {
                start.await();
                for (int i = 0; i < fresh; i++) {
                    BinaryCache.write(dir, dir.resolve("fresh" + i + ".bin"), "fresh " + i + "\n", new byte[4096]);
                }
                return null;
            });
            start.countDown();
            int deleted = 0;
            for (Future<Integer> r : results) {
                deleted += r.get(2, TimeUnit.MINUTES);
            }
            writer.get(2, TimeUnit.MINUTES);
            assertEquals(stale, deleted, "each stale entry deleted once, by one of the pruners");
        } finally {
            pool.shutdown();
        }
        List<String> left = names();
        assertEquals(fresh, left.size(), "only the fresh entries, no temporaries: " + left);
        for (int i = 0; i < fresh; i++) {
            assertNotNull(BinaryCache.read(dir.resolve("fresh" + i + ".bin"), "fresh " + i + "\n"), "fresh " + i);
        }
    }

    @Test
    void settingsAreCheckedAndBadOnesNamed() {
        for (String property : List.of(BinaryCache.MAX_AGE_PROPERTY, BinaryCache.MAX_MEGABYTES_PROPERTY)) {
            String saved = System.getProperty(property);
            try {
                for (String bad : List.of("-1", "ten", "1.5")) {
                    System.setProperty(property, bad);
                    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                            IllegalArgumentException.class, BinaryCache::checkSettings);
                    assertTrue(e.getMessage().contains(property + "=" + bad), e.getMessage());
                }
                System.setProperty(property, " 7 ");
                BinaryCache.checkSettings();
            } finally {
                if (saved == null) {
                    System.clearProperty(property);
                } else {
                    System.setProperty(property, saved);
                }
            }
        }
    }
}
