package dev.soma;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Automatic fallback with OpenCL really broken, each in a fresh JVM (a native library loads once per
 * process): the JOCL native library made unloadable, and an ICD loader that finds no platform.
 */
class FallbackProcessTest {

    /** Run in the child JVM: opens {@code auto}, computes, prints kind, selector and reason. */
    public static final class Child {
        public static void main(String[] args) {
            try (Backend b = Soma.open("auto")) {
                float y = b.forward(Activation.SIGMOID, new float[] {0f})[0];
                System.out.println("RESULT kind=" + b.info().kind() + " y=" + y);
                System.out.println("REASON " + b.info().fallbackReason());
            }
        }
    }

    @Test
    void unloadableNativeLibraryFallsBackToJava(@TempDir Path tmp) throws Exception {
        // JOCL unpacks its native library into java.io.tmpdir; a tmpdir that is a plain file makes
        // that impossible, so the library cannot load, as on a platform JOCL has no binary for.
        Path notADirectory = Files.writeString(tmp.resolve("not-a-directory"), "x");
        String out = runChild(List.of("-Djava.io.tmpdir=" + notADirectory), Map.of());
        assertTrue(out.contains("RESULT kind=JAVA y=0.5"), out);
        assertTrue(out.contains("REASON the JOCL native library could not be loaded"), out);
    }

    @Test
    void noPlatformFallsBackToJava(@TempDir Path tmp) throws Exception {
        DeviceTests.openClSelectorsOrSkip(); // needs a working ICD loader to hide the drivers from
        // ocl-icd reads the drivers from OCL_ICD_VENDORS; an empty folder leaves it with none, so
        // clGetPlatformIDs returns CL_PLATFORM_NOT_FOUND_KHR (-1001).
        Path empty = Files.createDirectory(tmp.resolve("vendors"));
        String out = runChild(List.of(), Map.of("OCL_ICD_VENDORS", empty.toString()));
        assertTrue(out.contains("RESULT kind=JAVA y=0.5"), out);
        assertTrue(out.contains("REASON no OpenCL platform"), out);
        assertTrue(out.contains("falling back to the pure-Java path"), "one log line says so: " + out);
    }

    private static String runChild(List<String> jvmArgs, Map<String, String> env) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Child.class.getName());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove(Soma.ENV);
        pb.environment().putAll(env);
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        return out;
    }
}
