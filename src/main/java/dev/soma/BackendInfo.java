package dev.soma;

import java.util.List;

/**
 * Which backend runs, on what, and why.
 *
 * @param kind        OpenCL or pure Java
 * @param device      the device's name ({@code "pure Java (2 threads)"} on the Java path)
 * @param platform    the OpenCL platform's name, empty on the Java path
 * @param selector    the {@code soma.device} / {@code SOMA_DEVICE} value that selects exactly this
 *                    backend ({@code "0:1"}, or {@code "java"})
 * @param requested   the selector that was asked for ({@code "auto"} by default)
 * @param fallbacks   one line per candidate that was tried before this one and could not be used,
 *                    with the reason (empty when the first choice served)
 */
public record BackendInfo(Kind kind, String device, String platform, String selector, String requested,
                          List<String> fallbacks) {

    public enum Kind { OPENCL, JAVA }

    public BackendInfo {
        fallbacks = List.copyOf(fallbacks);
    }

    /** Whether automatic selection had to pass over a better-ranked candidate. */
    public boolean fellBack() {
        return !fallbacks.isEmpty();
    }

    /** The reasons joined into one line, or empty. */
    public String fallbackReason() {
        return String.join("; ", fallbacks);
    }

    @Override
    public String toString() {
        return kind == Kind.JAVA ? device
                : device + " on " + platform + " (--device " + selector + ")";
    }
}
