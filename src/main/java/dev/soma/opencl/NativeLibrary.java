package dev.soma.opencl;

import org.jocl.CL;

/**
 * Loads JOCL's native library (and through it the system's OpenCL ICD loader) once. A failure is
 * remembered and reported as a reason, never thrown: the caller falls back.
 */
final class NativeLibrary {

    private static String failure;
    private static boolean tried;

    private NativeLibrary() {
    }

    /** Null when the library is loaded, else why it could not be. */
    static synchronized String loadFailure() {
        if (!tried) {
            tried = true;
            try {
                CL.setExceptionsEnabled(false);
                // Resolves the OpenCL entry points: fails here when the ICD loader is missing.
                int[] n = new int[1];
                CL.clGetPlatformIDs(0, null, n);
            } catch (LinkageError | RuntimeException e) {
                Throwable root = e;
                while (root.getCause() != null) {
                    root = root.getCause();
                }
                failure = "the JOCL native library could not be loaded (" + e.getClass().getSimpleName() + ": "
                        + firstLine(e.getMessage()) + (root != e ? "; " + firstLine(root.getMessage()) : "") + ")";
            }
        }
        return failure;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "no message";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
