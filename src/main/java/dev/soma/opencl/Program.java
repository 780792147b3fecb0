package dev.soma.opencl;

import dev.soma.Leaks;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_program;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** One built program and its kernels, owned by the backend that built it; closed once. */
final class Program implements AutoCloseable {

    private final cl_program program;
    private final String description;
    private final Map<String, cl_kernel> kernels = new ConcurrentHashMap<>();
    private final Leaks.Handle handle;

    private Program(cl_program program, String description) {
        this.program = program;
        this.description = description;
        Map<String, cl_kernel> ks = kernels;
        this.handle = Leaks.register(this, description, () -> {
            ks.values().forEach(CL::clReleaseKernel);
            CL.clReleaseProgram(program);
        });
    }

    /**
     * Builds {@code source} for one device, or loads it from the {@link BinaryCache} when a good
     * binary of it is there; a failure carries the device, options and full log.
     */
    static Program build(cl_context context, cl_device_id device, String deviceName, String family, String source,
                         String options) {
        cl_program p = BinaryCache.build(context, device, deviceName, family, source, options);
        return new Program(p, "program " + family + " [" + options + "] on " + deviceName);
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

    @Override
    public void close() {
        handle.close();
    }

    @Override
    public String toString() {
        return description;
    }
}
