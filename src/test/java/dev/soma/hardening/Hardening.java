package dev.soma.hardening;

import dev.soma.Backend;
import dev.soma.Leaks;
import dev.soma.opencl.OpenClBackend;
import dev.soma.reference.Backends;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.fail;

/** Helpers shared by the hardening tests: the backends, settled buffer counts, heap use, leak guard. */
final class Hardening {

    private Hardening() {
    }

    /** The Java backend and one backend per OpenCL device (skips or fails per {@link Backends} without one). */
    static List<Backend> openAll() {
        List<Backend> l = new ArrayList<>();
        for (String label : Backends.labels()) {
            if (!label.equals(Backends.NO_OPENCL)) {
                l.add(label.equals("java") ? Backends.javaBackend() : Backends.openCl(label));
            }
        }
        if (l.size() == 1) {
            l.forEach(Backend::close);
            Backends.noOpenClDevice();
        }
        return l;
    }

    /**
     * The device buffers of {@code b} ({@link OpenClBackend#liveBuffers()}) once its queue has drained
     * and a leaked tensor's buffer had a moment to be released by the cleaner thread (when the count is
     * not yet {@code expected}); 0 for the Java backend.
     */
    static int settledBuffers(Backend b, int expected) {
        if (!(b instanceof OpenClBackend cl)) {
            return 0;
        }
        if (!cl.isClosed()) {
            cl.finish();
        }
        for (int i = 0; i < 200 && cl.liveBuffers() != expected; i++) {
            sleep(5);
        }
        return cl.liveBuffers();
    }

    /** Heap in use after repeated full collections (bytes). */
    static long heapAfterGc() {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            sleep(20);
            best = Math.min(best, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return best;
    }

    /**
     * Runs {@code body} with a leak listener installed and fails when a leak is reported meanwhile:
     * how a test turns soma's leak report into a failure. Returns the body's value.
     */
    static <T> T failOnLeak(Supplier<T> body) {
        List<String> leaks = new CopyOnWriteArrayList<>();
        Leaks.onLeak(leaks::add);
        try {
            T v = body.get();
            heapAfterGc(); // give the cleaner the chance to find what body dropped
            sleep(50);
            if (!leaks.isEmpty()) {
                fail(leaks.size() + " leak(s) reported: " + leaks);
            }
            return v;
        } finally {
            Leaks.onLeak(null);
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
