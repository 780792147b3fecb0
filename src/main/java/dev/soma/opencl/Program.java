package dev.soma.opencl;

import dev.soma.Leaks;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_program;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;

/** One built program and its kernels, owned by the backend that built it; closed once. */
final class Program implements AutoCloseable {

    /**
     * Programs compiled from source and not stored yet, weakly held (a leaked backend's programs are
     * still released by {@link Leaks}); a shutdown hook stores them when the JVM exits with their
     * backend still open, so that a process that never closes its backend leaves them in the cache too.
     */
    private static final Map<Program, Boolean> UNSTORED = Collections.synchronizedMap(new WeakHashMap<>());

    private final cl_program program;
    private final String description;
    private final Map<String, cl_kernel> kernels = new ConcurrentHashMap<>();
    private final Leaks.Handle handle;
    /** Where the binary goes once the program has run (see {@link #store()}); null when nothing is to be stored. */
    private Path storeFile;
    private final String storeKey;

    private Program(BinaryCache.Made made, String description) {
        this.program = made.program();
        this.description = description;
        this.storeFile = made.file();
        this.storeKey = made.key();
        cl_program program = this.program;
        Map<String, cl_kernel> ks = kernels;
        this.handle = Leaks.register(this, description, () -> {
            ks.values().forEach(CL::clReleaseKernel);
            CL.clReleaseProgram(program);
        });
        if (storeFile != null) {
            ExitStore.register();
            UNSTORED.put(this, Boolean.TRUE);
        }
    }

    /**
     * Builds {@code source} for one device, or loads it from the {@link BinaryCache} when a good
     * binary of it is there; a failure carries the device, options and full log.
     */
    static Program build(cl_context context, cl_device_id device, String deviceName, String family, String source,
                         String sourceHash, String options) {
        BinaryCache.Made made = BinaryCache.build(context, device, deviceName, family, source, sourceHash, options);
        return new Program(made, "program " + family + " [" + options + "] on " + deviceName);
    }

    /**
     * Stores this program's binary in the {@link BinaryCache} when it was compiled from source and not
     * stored yet; called when the program closes and after a warmup, so that the binary holds what the
     * driver compiled at its launches too. Synchronized with {@link #close()}: the program is never
     * released while its binary is read.
     */
    synchronized void store() {
        UNSTORED.remove(this);
        if (storeFile != null && !handle.isClosed()) {
            Path file = storeFile;
            storeFile = null;
            BinaryCache.store(program, file, storeKey);
        }
    }

    static String buildLog(cl_program p, cl_device_id device) {
        long[] size = new long[1];
        if (CL.clGetProgramBuildInfo(p, device, CL.CL_PROGRAM_BUILD_LOG, 0, null, size) != CL.CL_SUCCESS
                || size[0] <= 1) {
            return "";
        }
        byte[] bytes = new byte[(int) size[0]];
        CL.clGetProgramBuildInfo(p, device, CL.CL_PROGRAM_BUILD_LOG, bytes.length, Pointer.to(bytes), null);
        int len = bytes.length;
        while (len > 0 && bytes[len - 1] == 0) {
            len--;
        }
        return new String(bytes, 0, len, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The kernel {@code name}, created on first use. Setting its arguments needs the backend's launch lock. */
    cl_kernel kernel(String name) {
        handle.checkOpen();
        return kernels.computeIfAbsent(name, n -> {
            Faults.check(null, "clCreateKernel(" + n + ")");
            int[] status = new int[1];
            cl_kernel k = CL.clCreateKernel(program, n, status);
            OpenClException.check(status[0], "clCreateKernel(" + n + ")");
            return k;
        });
    }

    /** Stores the binary (see {@link #store()}), then releases the kernels and the program (never while storing). */
    @Override
    public synchronized void close() {
        try {
            store();
        } finally {
            handle.close();
        }
    }

    @Override
    public String toString() {
        return description;
    }

    /** The shutdown hook that stores the programs still unstored, registered once, on the first one. */
    private static final class ExitStore {
        static {
            Thread hook = new Thread(ExitStore::storeAll, "soma-store-programs");
            Runtime.getRuntime().addShutdownHook(hook);
        }

        static void register() {
            // loading this class registered the hook
        }

        private static void storeAll() {
            List<Program> left;
            synchronized (UNSTORED) {
                left = new ArrayList<>(UNSTORED.keySet());
            }
            for (Program p : left) {
                try {
                    p.store();
                } catch (RuntimeException | LinkageError e) {
                    // the JVM is exiting: a program not stored is compiled again next time
                }
            }
        }
    }
}
