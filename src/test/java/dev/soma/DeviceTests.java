package dev.soma;

import dev.soma.reference.Backends;

import java.util.List;

/** The device gate of {@link Backends}, in the form the host-layer tests use it. */
final class DeviceTests {

    private DeviceTests() {
    }

    /** The OpenCL device selectors, best first; skips (or fails, when OpenCL is required) when there are none. */
    static List<String> openClSelectorsOrSkip() {
        List<String> s = Backends.openClSelectors();
        if (s.isEmpty()) {
            Backends.noOpenClDevice();
        }
        return s;
    }

    /** Opens OpenCL device {@code selector}, asserting that OpenCL, not the Java path, serves it. */
    static Backend openCl(String selector) {
        return Backends.openCl(selector);
    }
}
