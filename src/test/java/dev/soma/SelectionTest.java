package dev.soma;

import dev.soma.opencl.BuildException;
import dev.soma.opencl.Discovery;
import dev.soma.opencl.KernelSources;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Device selection and the fallback when a device's kernels do not build. */
class SelectionTest {

    @Test
    void precisionValuesAndBadOnes() {
        assertEquals(Precision.FAST, Precision.parse(" Fast "));
        assertEquals(Precision.EXACT, Precision.parse("exact"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Precision.parse("double"));
        assertTrue(e.getMessage().contains("'double'") && e.getMessage().contains("fast or exact"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Soma.open("java", null));
        try (Backend java = Soma.open("java", Precision.FAST)) { // the Java path computes exactly whatever is asked
            assertEquals(Precision.EXACT, java.precision());
        }
    }

    /** Kernel text that no OpenCL compiler accepts, standing in for a driver that cannot build soma. */
    private static final KernelSources BROKEN = file -> "#error \"soma test: this kernel is broken on purpose\"\n";

    @Test
    void javaSelectorGivesThePureJavaPath() {
        try (Backend b = Soma.open("java")) {
            assertEquals(BackendInfo.Kind.JAVA, b.info().kind());
            assertFalse(b.info().fellBack());
            assertEquals("java", b.info().selector());
        }
    }

    @Test
    void autoPicksTheBestRankedOpenClDevice() {
        List<String> devices = DeviceTests.openClSelectorsOrSkip();
        try (Backend b = Soma.open("auto")) {
            assertEquals(BackendInfo.Kind.OPENCL, b.info().kind(), "auto must use OpenCL when a device works: " + b.info());
            assertEquals(devices.get(0), b.info().selector());
            assertFalse(b.info().fellBack(), b.info().fallbackReason());
        }
    }

    @Test
    void indexAndNameSelectTheSameDevice() {
        String first = DeviceTests.openClSelectorsOrSkip().get(0);
        String name = Soma.devices().infos().get(0).name();
        try (Backend byIndex = Soma.open(first);
             Backend byName = Soma.open(name.substring(0, Math.min(6, name.length())).toUpperCase())) {
            assertEquals(BackendInfo.Kind.OPENCL, byIndex.info().kind());
            assertEquals(first, byIndex.info().selector());
            assertEquals(name, byName.info().device());
        }
    }

    @Test
    void missingExplicitDeviceIsAnErrorNotAFallback() {
        DeviceUnavailableException e = assertThrows(DeviceUnavailableException.class, () -> Soma.open("97:3"));
        assertTrue(e.getMessage().contains("97:3"), e.getMessage());
        e = assertThrows(DeviceUnavailableException.class, () -> Soma.open("no-such-device-xyz"));
        assertTrue(e.getMessage().contains("no-such-device-xyz"), e.getMessage());
    }

    @Test
    void emptyAndNullSelectorsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Soma.open(" "));
        assertThrows(IllegalArgumentException.class, () -> Soma.open((String) null));
    }

    @Test
    void autoFallsBackToJavaWhenNoDeviceBuildsTheKernels() {
        DeviceTests.openClSelectorsOrSkip();
        try (Backend b = Soma.open("auto", Soma::devices, BROKEN)) {
            assertEquals(BackendInfo.Kind.JAVA, b.info().kind());
            assertTrue(b.info().fellBack());
            assertEquals(Soma.devices().devices().size(), b.info().fallbacks().size(), b.info().fallbackReason());
            assertTrue(b.info().fallbackReason().contains("clBuildProgram"), b.info().fallbackReason());
            // and the fallback computes
            assertEquals(0.5f, b.forward(Activation.SIGMOID, new float[] {0f})[0]);
        }
    }

    @Test
    void explicitDeviceWhoseKernelsFailToBuildThrowsWithTheBuildLog() {
        String first = DeviceTests.openClSelectorsOrSkip().get(0);
        DeviceUnavailableException e = assertThrows(DeviceUnavailableException.class,
                () -> Soma.open(first, Soma::devices, BROKEN));
        BuildException build = assertInstanceOf(BuildException.class, e.getCause());
        assertTrue(build.log().contains("broken on purpose"), build.log());
        assertTrue(build.options().contains("-DACT="), build.options());
        assertEquals(Soma.devices().infos().get(0).name(), build.device());
        assertTrue(build.getMessage().contains("CL_BUILD_PROGRAM_FAILURE (-11) in clBuildProgram"), build.getMessage());
    }

    @Test
    void autoWithoutPlatformsRunsOnJavaAndSaysWhy() {
        Discovery none = new Discovery(List.of(), "no OpenCL platform: test");
        try (Backend b = Soma.open("auto", () -> none, KernelSources.classpath())) {
            assertEquals(BackendInfo.Kind.JAVA, b.info().kind());
            assertEquals(List.of("no OpenCL platform: test"), b.info().fallbacks());
        }
        assertThrows(DeviceUnavailableException.class, () -> Soma.open("gpu", () -> none, KernelSources.classpath()));
    }
}
