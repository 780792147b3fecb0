package dev.soma.cli;

import dev.soma.Activation;
import dev.soma.ActivationFunction;
import dev.soma.Backend;
import dev.soma.BackendInfo;
import dev.soma.reference.Backends;
import picocli.CommandLine;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ApplyTest {

    @TempDir
    Path dir;

    private static Backend java;

    @BeforeAll
    static void open() {
        java = Backends.javaBackend();
    }

    @AfterAll
    static void close() {
        java.close();
    }

    /** Values with every kind of special case, rows × cols. */
    static float[] values(int n) {
        float[] special = {0f, -0f, 1f, -1f, 0.5f, -3.75f, 20f, -20f, 1e-30f, -1e-30f, 1e4f, -1e4f,
            Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE};
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = i < special.length ? special[i] : (float) Math.sin(i * 0.7) * 6f;
        }
        return v;
    }

    record Result(int code, String err, Npy.Array out) {
    }

    /** Runs {@code soma apply args...}; reads the output file when the run succeeded. */
    Result run(Path out, String... args) throws IOException {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new Apply());
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        int code = cl.execute(args);
        Npy.Array a = code == 0 && out != null ? Npy.read(out) : null;
        return new Result(code, err.toString(), a);
    }

    Path write(String name, float[] data, int[] shape, String dtype) throws IOException {
        Path p = dir.resolve(name);
        Npy.write(p, data, shape, dtype);
        return p;
    }

    Path raw(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private static void assertSame(float[] want, float[] got, String what) {
        // exact, bit for bit (NaN = NaN, -0 != +0)
        assertArrayEquals(want, got, what);
    }

    // ------------------------------------------------------------------ correct results, pure Java

    @Test
    void forwardMatchesTheApiExactly1DAnd2DFloat32AndFloat64() throws IOException {
        float[] x = values(48);
        for (String dt : new String[] {"f4", "f8", ">f4", ">f8"}) {
            for (int[] shape : new int[][] {{48}, {6, 8}}) {
                Path in = write("in.npy", x, shape, dt);
                Path out = dir.resolve("out.npy");
                for (String fn : new String[] {"gelu", "relu", "mish", "sigmoid"}) {
                    Result r = run(out, "-f", fn, "--device", "java", in.toString(), "-o", out.toString());
                    assertEquals(0, r.code, r.err);
                    ActivationFunction f = Activation.byName(fn);
                    assertSame(java.forward(f, x), r.out.data(), fn + " " + dt + " " + Arrays.toString(shape));
                    assertArrayEquals(shape, r.out.shape());
                    assertEquals("<f4", r.out.dtype());
                }
            }
        }
    }

    @Test
    void float64InputIsComputedInFloat32AndDtypeF8WritesFloat64() throws IOException {
        double[] xd = {0.1, -1.0 / 3, 2.5e-8, 7.123456789};
        float[] xf = new float[xd.length];
        for (int i = 0; i < xd.length; i++) {
            xf[i] = (float) xd[i];
        }
        Path in = raw("in.npy", NpyTest.npy(1, NpyTest.dict("<f8", false, "(2, 2)"),
                NpyTest.doubles(ByteOrder.LITTLE_ENDIAN, xd)));
        Path out = dir.resolve("out.npy");
        Result r = run(out, "-f", "tanh", "--device", "java", "--dtype", "f8", in.toString(), "-o", out.toString());
        assertEquals(0, r.code, r.err);
        assertEquals("<f8", r.out.dtype());
        assertArrayEquals(new int[] {2, 2}, r.out.shape());
        assertSame(java.forward(Activation.TANH, xf), r.out.data(), "tanh f8");
        Result r4 = run(out, "-f", "tanh", "--device", "java", in.toString(), "-o", out.toString());
        assertEquals("<f4", r4.out.dtype());
        assertSame(java.forward(Activation.TANH, xf), r4.out.data(), "tanh f4");
    }

    @Test
    void headerVersion2AndBigEndianInput() throws IOException {
        float[] x = values(12);
        Path in = raw("v2.npy", NpyTest.npy(2, NpyTest.dict(">f4", false, "(3, 4)"),
                NpyTest.floats(ByteOrder.BIG_ENDIAN, x)));
        Path out = dir.resolve("out.npy");
        Result r = run(out, "-f", "softplus", "--device", "java", in.toString(), "-o", out.toString());
        assertEquals(0, r.code, r.err);
        assertSame(java.forward(Activation.SOFTPLUS, x), r.out.data(), "softplus");
        assertArrayEquals(new int[] {3, 4}, r.out.shape());
    }

    @Test
    void parametersAndDerivative() throws IOException {
        float[] x = values(30);
        Path in = write("in.npy", x, new int[] {5, 6}, "f4");
        Path out = dir.resolve("out.npy");
        Result r = run(out, "-f", "elu", "--param", "alpha=0.5", "--derivative", "--device", "java",
                in.toString(), "-o", out.toString());
        assertEquals(0, r.code, r.err);
        assertSame(java.derivative(Activation.ELU.with(0.5), x), r.out.data(), "elu' alpha=0.5");

        r = run(out, "-f", "hard_sigmoid", "--param", "beta=0.25", "--device", "java", in.toString(), "-o", out.toString());
        assertEquals(0, r.code, r.err);
        assertSame(java.forward(Activation.HARD_SIGMOID.with(0.2, 0.25), x), r.out.data(), "hard_sigmoid beta only");

        r = run(out, "-f", "hard-sigmoid", "--param", "beta=0.25", "--param", "alpha=0.1", "--device", "java",
                in.toString(), "-o", out.toString());
        assertSame(java.forward(Activation.HARD_SIGMOID.with(0.1, 0.25), x), r.out.data(), "hard_sigmoid both");

        r = run(out, "-f", "gelu_tanh", "--derivative", "--device", "java", in.toString(), "-o", out.toString());
        assertSame(java.derivative(Activation.GELU_TANH, x), r.out.data(), "gelu_tanh'");

        r = run(out, "-f", "prelu", "--slopes", "0.1,-0.2,0.3,0.4,0.5,0.6", "--device", "java", in.toString(),
                "-o", out.toString());
        assertEquals(0, r.code, r.err);
        assertSame(java.forward(Activation.prelu(0.1f, -0.2f, 0.3f, 0.4f, 0.5f, 0.6f), x), r.out.data(), "prelu");

        r = run(out, "-f", "prelu", "--device", "java", in.toString(), "-o", out.toString());
        assertSame(java.forward(Activation.PRELU, x), r.out.data(), "prelu default");

        r = run(out, "-f", "noisy_relu", "--s", "0.5", "--seed", "7", "--device", "java", in.toString(), "-o", out.toString());
        assertEquals(0, r.code, r.err);
        assertSame(java.forward(Activation.noisyRelu(0.5, 7), x), r.out.data(), "noisy relu");
    }

    @Test
    void softmaxAndLogSoftmaxPerRow() throws IOException {
        float[] x = values(40);
        Path in2 = write("in2.npy", x, new int[] {4, 10}, "f4");
        Path in1 = write("in1.npy", x, new int[] {40}, "f8");
        Path out = dir.resolve("out.npy");
        Result r = run(out, "-f", "softmax", "--device", "java", in2.toString(), "-o", out.toString());
        assertEquals(0, r.code, r.err);
        assertSame(java.softmax(x, 4, 10), r.out.data(), "softmax 4x10");
        assertArrayEquals(new int[] {4, 10}, r.out.shape());

        r = run(out, "-f", "log_softmax", "--device", "java", in1.toString(), "-o", out.toString());
        assertEquals(0, r.code, r.err);
        assertSame(java.logSoftmax(x, 1, 40), r.out.data(), "log_softmax 1-D");
        assertArrayEquals(new int[] {40}, r.out.shape());

        // finite rows: probabilities sum to one
        float[] y = values(40);
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) Math.cos(i);
        }
        Path fin = write("fin.npy", y, new int[] {4, 10}, "f4");
        r = run(out, "-f", "softmax", "--device", "java", fin.toString(), "-o", out.toString());
        for (int row = 0; row < 4; row++) {
            double s = 0;
            for (int c = 0; c < 10; c++) {
                s += r.out.data()[row * 10 + c];
            }
            assertEquals(1.0, s, 1e-6);
        }
    }

    @Test
    void fortranOrderIsTransposed() throws IOException {
        Path in = raw("f.npy", NpyTest.npy(1, NpyTest.dict("<f4", true, "(2, 3)"),
                NpyTest.floats(ByteOrder.LITTLE_ENDIAN, 1, 4, 2, 5, 3, 6)));
        Path out = dir.resolve("out.npy");
        Result r = run(out, "-f", "softmax", "--device", "java", in.toString(), "-o", out.toString());
        assertEquals(0, r.code, r.err);
        assertSame(java.softmax(new float[] {1, 2, 3, 4, 5, 6}, 2, 3), r.out.data(), "fortran softmax");
    }

    @Test
    void emptyArrayGivesEmptyOutput() throws IOException {
        Path in = write("e.npy", new float[0], new int[] {0, 5}, "f4");
        Path out = dir.resolve("out.npy");
        Result r = run(out, "-f", "softmax", "--device", "java", in.toString(), "-o", out.toString());
        assertEquals(0, r.code, r.err);
        assertArrayEquals(new int[] {0, 5}, r.out.shape());
    }

    @Test
    void stdinToStdout() throws IOException {
        float[] x = values(10);
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        Npy.write(file, x, new int[] {10}, "f4");
        InputStream oldIn = System.in;
        PrintStream oldOut = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        try {
            System.setIn(new ByteArrayInputStream(file.toByteArray()));
            System.setOut(new PrintStream(captured, true));
            code = new CommandLine(new Apply()).execute("-f", "silu", "--device", "java", "-", "-o", "-");
        } finally {
            System.setIn(oldIn);
            System.setOut(oldOut);
        }
        assertEquals(0, code);
        Npy.Array a = Npy.read(new ByteArrayInputStream(captured.toByteArray()));
        assertSame(java.forward(Activation.SILU, x), a.data(), "silu via stdin/stdout");
    }

    // ------------------------------------------------------------------ OpenCL

    @Test
    void openClMatchesTheOpenClBackend() throws IOException {
        List<String> cl = Backends.openClSelectors();
        if (cl.isEmpty()) {
            Backends.noOpenClDevice();
        }
        String sel = cl.get(0);
        float[] x = values(64);
        Path in2 = write("in2.npy", x, new int[] {8, 8}, "f4");
        Path in1 = write("in1.npy", x, new int[] {64}, ">f8");
        Path out = dir.resolve("out.npy");
        try (Backend b = Backends.openCl(sel)) {
            assertEquals(BackendInfo.Kind.OPENCL, b.info().kind());
            Result r = run(out, "-f", "gelu", "--device", sel, in2.toString(), "-o", out.toString());
            assertEquals(0, r.code, r.err);
            assertSame(b.forward(Activation.GELU, x), r.out.data(), "gelu on " + sel);

            r = run(out, "-f", "elu", "--param", "alpha=0.5", "--derivative", "--device", sel, in1.toString(),
                    "-o", out.toString());
            assertEquals(0, r.code, r.err);
            assertSame(b.derivative(Activation.ELU.with(0.5), x), r.out.data(), "elu' on " + sel);

            r = run(out, "-f", "softmax", "--device", sel, in2.toString(), "-o", out.toString());
            assertEquals(0, r.code, r.err);
            assertSame(b.softmax(x, 8, 8), r.out.data(), "softmax on " + sel);
        }
    }

    // ------------------------------------------------------------------ failures

    /** Runs a failing case twice: without an output (none may appear) and over an existing one (kept). */
    void assertRejected(Path in, String expect, String... extra) throws IOException {
        Path out = dir.resolve("never.npy");
        Files.deleteIfExists(out);
        List<String> args = new ArrayList<>(List.of(extra));
        if (Stream.of(extra).noneMatch("-f"::equals)) {
            args.addAll(List.of("-f", "gelu"));
        }
        if (Stream.of(extra).noneMatch("--device"::equals)) {
            args.addAll(List.of("--device", "java"));
        }
        args.addAll(List.of(in.toString(), "-o", out.toString()));
        Result r = run(null, args.toArray(String[]::new));
        assertNotEquals(0, r.code, "must fail: " + args);
        assertEquals(2, r.code, r.err);
        assertTrue(r.err.contains(expect), "message '" + r.err + "' should name '" + expect + "'");
        assertTrue(r.err.startsWith("soma apply: "), r.err);
        assertEquals(1, r.err.strip().lines().count(), "one line: " + r.err);
        assertFalse(r.err.contains("\tat "), "no stack trace: " + r.err);
        assertFalse(Files.exists(out), "no output may be created");

        byte[] before = "precious contents".getBytes(StandardCharsets.US_ASCII);
        Files.write(out, before);
        r = run(null, args.toArray(String[]::new));
        assertEquals(2, r.code, r.err);
        assertArrayEquals(before, Files.readAllBytes(out), "an existing output must be left unchanged");
        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file left");
        }
        Files.delete(out);
    }

    @Test
    void rejectsBadFiles() throws IOException {
        byte[] six = NpyTest.floats(ByteOrder.LITTLE_ENDIAN, 1, 2, 3, 4, 5, 6);
        byte[] good = NpyTest.npy(1, NpyTest.dict("<f4", false, "(2, 3)"), six);
        assertRejected(dir.resolve("missing.npy"), "no such file");
        assertRejected(raw("text.npy", "hello, world\n".getBytes(StandardCharsets.US_ASCII)), "not an .npy file");
        assertRejected(raw("short.npy", Arrays.copyOf(good, good.length - 3)), "truncated");
        assertRejected(raw("shorthead.npy", Arrays.copyOf(good, 30)), "truncated");
        for (String dt : new String[] {"<i4", "|b1", "<f2"}) {
            assertRejected(raw("dt.npy", NpyTest.npy(1, NpyTest.dict(dt, false, "(2, 3)"), six)), "unsupported dtype '" + dt + "'");
        }
        assertRejected(raw("3d.npy", NpyTest.npy(1, NpyTest.dict("<f4", false, "(1, 2, 3)"), six)),
                "shape (1, 2, 3) has 3 dimensions");
        assertRejected(raw("0d.npy", NpyTest.npy(1, NpyTest.dict("<f4", false, "()"),
                NpyTest.floats(ByteOrder.LITTLE_ENDIAN, 1))), "shape () has 0 dimensions");
        assertRejected(raw("hdr.npy", NpyTest.npy(1, "{'descr': '<f4', 'shape': (2, 3)}", six)), "fortran_order");
    }

    @Test
    void rejectsBadArguments() throws IOException {
        Path in = write("ok.npy", values(6), new int[] {2, 3}, "f4");
        assertRejected(in, "unknown activation 'nosuch'", "-f", "nosuch");
        assertRejected(in, "elu has no parameter 'beta'", "-f", "elu", "--param", "beta=1");
        assertRejected(in, "gelu has no parameter 'alpha'; it takes none", "-f", "gelu", "--param", "alpha=1");
        assertRejected(in, "'abc' is not a number", "-f", "elu", "--param", "alpha=abc");
        assertRejected(in, "elu: parameter alpha is -1.0, must be >= 0.0", "-f", "elu", "--param", "alpha=-1");
        assertRejected(in, "not NAME=VALUE", "-f", "elu", "--param", "alpha");
        assertRejected(in, "given twice", "-f", "elu", "--param", "alpha=1", "--param", "alpha=2");
        assertRejected(in, "prelu has 2 slopes but", "-f", "prelu", "--slopes", "0.1,0.2");
        assertRejected(in, "--slopes is for prelu only", "-f", "relu", "--slopes", "0.1");
        assertRejected(in, "--seed is for noisy_relu only", "-f", "relu", "--seed", "3");
        assertRejected(in, "--derivative is not available for softmax", "-f", "softmax", "--derivative");
        assertRejected(in, "--dtype 'i4' is not supported", "--dtype", "i4");
        assertRejected(in, "asks for", "--device", "no-such-device-anywhere");
    }

    @Test
    void missingOutputFolderIsAnError() throws IOException {
        Path in = write("ok.npy", values(6), new int[] {6}, "f4");
        Result r = run(null, "-f", "gelu", "--device", "java", in.toString(), "-o", dir.resolve("no/such/dir/o.npy").toString());
        assertEquals(2, r.code);
        assertTrue(r.err.contains("does not exist"), r.err);
    }
}
