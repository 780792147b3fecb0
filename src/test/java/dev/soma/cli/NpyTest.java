package dev.soma.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NpyTest {

    @TempDir
    Path dir;

    /** A hand-built .npy file: any version, any header text (padded to 64 like NumPy), raw data bytes. */
    static byte[] npy(int major, String dict, byte[] data) {
        byte[] text = dict.getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        int prefix = 6 + 2 + (major == 1 ? 2 : 4);
        int hlen = text.length + 1;
        int pad = 64 - (prefix + hlen) % 64;
        ByteBuffer b = ByteBuffer.allocate(prefix + hlen + pad + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(Npy.MAGIC).put((byte) major).put((byte) 0);
        if (major == 1) {
            b.putShort((short) (hlen + pad));
        } else {
            b.putInt(hlen + pad);
        }
        b.put(text);
        for (int i = 0; i < pad; i++) {
            b.put((byte) ' ');
        }
        b.put((byte) '\n').put(data);
        return b.array();
    }

    static String dict(String descr, boolean fortran, String shape) {
        return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + shape + ", }";
    }

    static byte[] floats(ByteOrder order, float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(order);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    static byte[] doubles(ByteOrder order, double... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(order);
        for (double d : v) {
            b.putDouble(d);
        }
        return b.array();
    }

    @Test
    void writesTheExactHeaderNumPyWritesFor2x3Float32() throws IOException {
        float[] data = {1, 2, 3, 4, 5, 6};
        Path p = dir.resolve("a.npy");
        Npy.write(p, data, new int[] {2, 3}, "f4");
        byte[] got = Files.readAllBytes(p);

        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        // magic (6) + version (2) + length (2) + dict + spaces + '\n' = 128, the next multiple of 64
        int headerLen = 128 - 10;
        ByteArrayOutputStream want = new ByteArrayOutputStream();
        want.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        want.writeBytes(new byte[] {(byte) (headerLen & 0xff), (byte) (headerLen >> 8)});
        want.writeBytes(dict.getBytes(StandardCharsets.US_ASCII));
        want.writeBytes(" ".repeat(headerLen - dict.length() - 1).getBytes(StandardCharsets.US_ASCII));
        want.write('\n');
        want.writeBytes(floats(ByteOrder.LITTLE_ENDIAN, data));
        assertArrayEquals(want.toByteArray(), got);
        assertEquals(128 + 24, got.length);
        assertEquals('\n', got[127]);
    }

    @Test
    void headersAreAlignedTo64ForManyShapes() {
        int[][] shapes = {{0}, {1}, {7}, {2, 3}, {1000, 7}, {123456789, 17}, {Integer.MAX_VALUE, 1}, {0, 0}, {}};
        for (int[] s : shapes) {
            for (String dt : new String[] {"f4", "f8", ">f4"}) {
                byte[] h = Npy.header(s, dt);
                assertEquals(0, h.length % 64, Npy.shapeString(s) + " " + dt);
                assertEquals('\n', h[h.length - 1]);
                assertEquals(1, h[6]);
                int len = (h[8] & 0xff) | (h[9] & 0xff) << 8;
                assertEquals(h.length - 10, len);
                String text = new String(h, 10, len, StandardCharsets.ISO_8859_1);
                assertTrue(text.startsWith("{'descr': '" + Npy.normalizeDtype(dt) + "', 'fortran_order': False, 'shape': "
                        + Npy.shapeString(s) + ", }"), text);
            }
        }
    }

    @Test
    void roundTripsFloat32AndFloat64BothByteOrders() throws IOException {
        float[] data = {-0f, 0f, 1.5f, -2.25f, Float.NaN, Float.POSITIVE_INFINITY, Float.MIN_VALUE, Float.MAX_VALUE};
        for (String dt : new String[] {"f4", "f8", ">f4", ">f8"}) {
            for (int[] shape : new int[][] {{8}, {2, 4}, {4, 2}}) {
                Path p = dir.resolve("r.npy");
                Npy.write(p, data, shape, dt);
                Npy.Array a = Npy.read(p);
                assertArrayEquals(data, a.data(), dt);
                assertArrayEquals(shape, a.shape());
                assertEquals(Npy.normalizeDtype(dt), a.dtype());
            }
        }
    }

    @Test
    void readsVersions1To3AndBigEndianFloat64() throws IOException {
        double[] v = {1.0 / 3, -2.5, 1e300, 4};
        float[] want = {(float) (1.0 / 3), -2.5f, Float.POSITIVE_INFINITY, 4f};
        for (int major = 1; major <= 3; major++) {
            for (ByteOrder o : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
                String descr = (o == ByteOrder.BIG_ENDIAN ? ">" : "<") + "f8";
                byte[] f = npy(major, dict(descr, false, "(2, 2)"), doubles(o, v));
                Npy.Array a = Npy.read(new ByteArrayInputStream(f));
                assertArrayEquals(want, a.data(), "version " + major + " " + descr);
                assertArrayEquals(new int[] {2, 2}, a.shape());
                assertEquals(descr, a.dtype());
            }
        }
    }

    @Test
    void acceptsHeaderVariants() throws IOException {
        // key order, double quotes, no trailing comma, 1-D without spaces, Python 2 'L' suffix
        byte[] f = npy(1, "{\"shape\": (3L,), \"fortran_order\": False, \"descr\": \"<f4\"}",
                floats(ByteOrder.LITTLE_ENDIAN, 1, 2, 3));
        Npy.Array a = Npy.read(new ByteArrayInputStream(f));
        assertArrayEquals(new float[] {1, 2, 3}, a.data());
        assertArrayEquals(new int[] {3}, a.shape());
    }

    @Test
    void transposesFortranOrder() throws IOException {
        // the 2 x 3 matrix [[1, 2, 3], [4, 5, 6]] stored column by column
        byte[] f = npy(1, dict("<f4", true, "(2, 3)"), floats(ByteOrder.LITTLE_ENDIAN, 1, 4, 2, 5, 3, 6));
        Npy.Array a = Npy.read(new ByteArrayInputStream(f));
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, a.data());
        assertArrayEquals(new int[] {2, 3}, a.shape());
        // 3-D: shape (2, 2, 2), element (i, j, k) = 100i + 10j + k, stored i fastest
        float[] fo = new float[8];
        float[] c = new float[8];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                for (int k = 0; k < 2; k++) {
                    fo[i + 2 * j + 4 * k] = 100 * i + 10 * j + k;
                    c[4 * i + 2 * j + k] = 100 * i + 10 * j + k;
                }
            }
        }
        Npy.Array b = Npy.read(new ByteArrayInputStream(npy(1, dict("<f4", true, "(2, 2, 2)"),
                floats(ByteOrder.LITTLE_ENDIAN, fo))));
        assertArrayEquals(c, b.data());
    }

    private static String rejected(byte[] file) {
        return assertThrows(Npy.FormatException.class, () -> Npy.read(new ByteArrayInputStream(file))).getMessage();
    }

    @Test
    void rejectsBadFilesWithMessagesNamingTheProblem() {
        byte[] ok = floats(ByteOrder.LITTLE_ENDIAN, 1, 2, 3, 4, 5, 6);
        assertTrue(rejected("PK\3\4 this is a zip".getBytes(StandardCharsets.ISO_8859_1)).contains("not an .npy file"));
        assertTrue(rejected(new byte[0]).contains("not an .npy file"));
        byte[] good = npy(1, dict("<f4", false, "(2, 3)"), ok);
        assertTrue(rejected(java.util.Arrays.copyOf(good, good.length - 1)).contains("truncated"));
        assertTrue(rejected(java.util.Arrays.copyOf(good, 40)).contains("truncated"));
        assertTrue(rejected(java.util.Arrays.copyOf(good, 7)).contains("truncated"));
        byte[] longer = java.util.Arrays.copyOf(good, good.length + 4);
        assertTrue(rejected(longer).contains("bytes after"));
        for (String dt : new String[] {"<i4", "|b1", "<f2", "<c8", "|u1", "<U3"}) {
            String m = rejected(npy(1, dict(dt, false, "(2, 3)"), ok));
            assertTrue(m.contains("unsupported dtype '" + dt + "'"), m);
        }
        assertTrue(rejected(npy(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", ok))
                .contains("unsupported dtype"));
        assertTrue(rejected(npy(1, "{'descr': '<f4', 'shape': (2, 3), }", ok)).contains("'fortran_order' is missing"));
        assertTrue(rejected(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}", ok))
                .contains("unexpected key 'x'"));
        assertTrue(rejected(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", ok))
                .contains("shape"));
        assertTrue(rejected(npy(1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3), }", ok))
                .contains("fortran_order"));
        assertTrue(rejected(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), ", ok))
                .contains("bad .npy header"));
        byte[] v4 = good.clone();
        v4[6] = 4;
        assertTrue(rejected(v4).contains("unsupported .npy format version 4.0"));
    }

    @Test
    void rejectsBadWriteArguments() {
        assertThrows(IllegalArgumentException.class, () -> Npy.write(dir.resolve("x.npy"), new float[5], new int[] {2, 3}, "f4"));
        assertThrows(IllegalArgumentException.class, () -> Npy.write(dir.resolve("x.npy"), new float[6], new int[] {2, 3}, "i4"));
    }
}
