package dev.soma.opencl;

import org.jocl.CL;

/**
 * An OpenCL call that returned an error: names the call and the status, for example
 * {@code CL_OUT_OF_RESOURCES (-5) in clEnqueueNDRangeKernel}. The one exception family of soma's
 * OpenCL layer; {@link BuildException} adds the build log.
 */
public class OpenClException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int status;

    public OpenClException(String call, int status) {
        this(call, status, statusName(status) + " (" + status + ") in " + call);
    }

    protected OpenClException(String call, int status, String message) {
        super(message);
        this.call = call;
        this.status = status;
    }

    /** The OpenCL function that failed, e.g. {@code clEnqueueNDRangeKernel}. */
    public String call() {
        return call;
    }

    /** The status it returned, e.g. -5. */
    public int status() {
        return status;
    }

    /** The status's name, e.g. {@code CL_OUT_OF_RESOURCES}; {@code CL_UNKNOWN_ERROR} when not known. */
    public String statusName() {
        return statusName(status);
    }

    static String statusName(int status) {
        try {
            String s = CL.stringFor_errorCode(status);
            return s.startsWith("INVALID") ? "CL_UNKNOWN_ERROR" : s;
        } catch (LinkageError e) {
            return "CL_UNKNOWN_ERROR";
        }
    }

    /** Throws when {@code status} is not {@code CL_SUCCESS}. */
    static void check(int status, String call) {
        if (status != CL.CL_SUCCESS) {
            throw new OpenClException(call, status);
        }
    }
}
