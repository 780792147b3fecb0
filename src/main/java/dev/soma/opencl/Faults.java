package dev.soma.opencl;

import org.jocl.CL;

/**
 * Test-only fault injection, consulted before each OpenCL call of soma that can fail at run time:
 * buffer creation and fill, writes, kernel arguments and launches, reads, program creation and
 * build, kernel creation, {@code clFinish}. With no injector installed (always, outside soma's own
 * tests) it costs one volatile read per call. Package-private on purpose: nothing outside
 * {@code dev.soma.opencl} can install an injector.
 */
final class Faults {

    /** Decides, per call, whether it fails. */
    interface Injector {
        /**
         * @param device the device's name, or null where the call does not know it ({@code clSetKernelArg},
         *               {@code clCreateKernel})
         * @param call   the OpenCL function about to run, as {@link OpenClException#call()} would name it
         * @return {@code CL_SUCCESS} (0) to let the call run, else the (negative) status it fails with
         */
        int status(String device, String call);
    }

    private static volatile Injector injector;

    private Faults() {
    }

    /** Installs {@code i} (null removes it) for every backend of this JVM. */
    static void install(Injector i) {
        injector = i;
    }

    /** The status to fail {@code call} with, or {@code CL_SUCCESS} to run it. */
    static int status(String device, String call) {
        Injector i = injector;
        return i == null ? CL.CL_SUCCESS : i.status(device, call);
    }

    /** Throws the {@link OpenClException} that the call would have raised when a fault is injected. */
    static void check(String device, String call) {
        OpenClException.check(status(device, call), call);
    }
}
