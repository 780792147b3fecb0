package dev.soma.cli;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small reader and writer of NumPy {@code .npy} files holding float32 or float64 arrays.
 *
 * <p>Reading: format versions 1.0, 2.0 and 3.0; {@code descr} {@code '<f4'}, {@code '>f4'},
 * {@code '<f8'} or {@code '>f8'} (big-endian is converted, float64 is rounded to float32);
 * any number of dimensions (the caller decides which it takes; a 0-D array holds one element);
 * {@code fortran_order: True} is accepted and transposed into C (row-major) order, so
 * {@link Array#data()} is always C order. The header dict is parsed strictly: exactly the keys
 * {@code descr}, {@code fortran_order} and {@code shape}, Python literal syntax, nothing else; the
 * file must hold exactly the data the header announces (no truncation, no trailing bytes).
 *
 * <p>Writing: version 1.0 (2.0 when the header would not fit, never for soma's shapes), the header
 * exactly as NumPy writes it (keys sorted, the spare spaces NumPy leaves for growing the first axis,
 * padded with spaces and a final {@code '\n'} so that the data starts at a multiple of 64 bytes),
 * C order, little-endian unless {@code '>f4'}/{@code '>f8'} is asked for.
 *
 * <p>Every problem with a file throws {@link FormatException} (an {@link IOException}) with a
 * one-line message naming it.
 */
public final class Npy {

    /** The magic string every {@code .npy} file starts with. */
    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int ALIGN = 64;
    /** NumPy's {@code GROWTH_AXIS_MAX_DIGITS}: spare header room for growing the first axis in place. */
    private static final int GROWTH_AXIS_MAX_DIGITS = 21;
    /** Refuse headers larger than this (NumPy's own default limit is 10,000 bytes). */
    private static final int MAX_HEADER = 1 << 20;

    private Npy() {
    }

    /**
     * A read array: {@code data} in C order, float32; {@code shape} as in the file; {@code dtype}
     * the file's {@code descr} ({@code "<f4"}, {@code ">f8"}, ...).
     */
    public record Array(float[] data, int[] shape, String dtype) {
        /** The number of dimensions. */
        public int ndim() {
            return shape.length;
        }

        /** The shape as Python writes it: {@code (2, 3)}, {@code (3,)}, {@code ()}. */
        public String shapeString() {
            return Npy.shapeString(shape);
        }
    }

    /** A malformed or unsupported {@code .npy} file. */
    public static final class FormatException extends IOException {
        private static final long serialVersionUID = 1L;

        public FormatException(String message) {
            super(message);
        }
    }

    /** Reads the file at {@code path}. */
    public static Array read(Path path) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            return read(in);
        }
    }

    /** Reads one array from {@code in}, which must end right after the data. Does not close {@code in}. */
    public static Array read(InputStream in) throws IOException {
        InputStream s = in instanceof BufferedInputStream ? in : new BufferedInputStream(in, 1 << 16);
        byte[] magic = readUpTo(s, 8);
        if (magic.length < 6 || !Arrays.equals(Arrays.copyOf(magic, 6), MAGIC)) {
            throw new FormatException("not an .npy file: it does not start with the magic string \\x93NUMPY");
        }
        if (magic.length < 8) {
            throw new FormatException("truncated .npy file: it ends inside the format version");
        }
        int major = magic[6] & 0xff;
        int minor = magic[7] & 0xff;
        if (minor != 0 || major < 1 || major > 3) {
            throw new FormatException("unsupported .npy format version " + major + "." + minor
                    + " (supported: 1.0, 2.0, 3.0)");
        }
        int lenBytes = major == 1 ? 2 : 4;
        byte[] lb = readUpTo(s, lenBytes);
        if (lb.length < lenBytes) {
            throw new FormatException("truncated .npy file: it ends inside the header length");
        }
        long headerLen = major == 1 ? (lb[0] & 0xff) | (lb[1] & 0xff) << 8
                : ByteBuffer.wrap(lb).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
        if (headerLen > MAX_HEADER) {
            throw new FormatException("bad .npy header: header length " + headerLen + " bytes exceeds the limit of "
                    + MAX_HEADER);
        }
        byte[] hb = readUpTo(s, (int) headerLen);
        if (hb.length < headerLen) {
            throw new FormatException("truncated .npy file: the header announces " + headerLen + " bytes, the file has "
                    + hb.length);
        }
        String header = new String(hb, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Header h = parseHeader(header);

        long count = 1;
        for (int d : h.shape) {
            count *= d;
            if (count > Integer.MAX_VALUE - 8) {
                throw new FormatException("array too large: shape " + shapeString(h.shape) + " has more than "
                        + (Integer.MAX_VALUE - 8) + " elements");
            }
        }
        int n = (int) count;
        int itemSize = h.itemSize;
        ByteOrder order = h.bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        float[] data = new float[n];
        byte[] chunk = new byte[Math.max(itemSize, (1 << 16) / itemSize * itemSize)];
        int done = 0;
        while (done < n) {
            int want = (int) Math.min((long) (n - done) * itemSize, chunk.length);
            int got = s.readNBytes(chunk, 0, want);
            if (got < want) {
                long have = (long) done * itemSize + got;
                throw new FormatException("truncated .npy file: shape " + shapeString(h.shape) + " of " + h.descr
                        + " needs " + (long) n * itemSize + " data bytes, the file has " + have);
            }
            ByteBuffer bb = ByteBuffer.wrap(chunk, 0, want).order(order);
            int k = want / itemSize;
            if (itemSize == 4) {
                bb.asFloatBuffer().get(data, done, k);
            } else {
                for (int i = 0; i < k; i++) {
                    data[done + i] = (float) bb.getDouble();
                }
            }
            done += k;
        }
        if (s.read() >= 0) {
            throw new FormatException("bad .npy file: there are bytes after the " + (long) n * itemSize
                    + " data bytes that shape " + shapeString(h.shape) + " of " + h.descr + " needs");
        }
        if (h.fortranOrder && h.shape.length > 1) {
            data = fortranToC(data, h.shape);
        }
        return new Array(data, h.shape.clone(), h.descr);
    }

    /**
     * Writes {@code data} (C order) with {@code shape} as {@code dtype}: {@code "f4"}, {@code "<f4"},
     * {@code ">f4"}, {@code "float32"}, or the same for 8-byte floats ({@code "f8"}, {@code "float64"}).
     */
    public static void write(Path path, float[] data, int[] shape, String dtype) throws IOException {
        check(data, shape, dtype);
        try (OutputStream out = Files.newOutputStream(path)) {
            write(out, data, shape, dtype);
        }
    }

    /** As {@link #write(Path, float[], int[], String)}, to a stream, which is flushed, not closed. */
    public static void write(OutputStream out, float[] data, int[] shape, String dtype) throws IOException {
        String descr = check(data, shape, dtype);
        OutputStream o = new BufferedOutputStream(out, 1 << 16);
        o.write(header(shape, descr));
        int itemSize = descr.charAt(2) == '4' ? 4 : 8;
        ByteOrder order = descr.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        int per = (1 << 16) / itemSize;
        ByteBuffer bb = ByteBuffer.allocate(per * itemSize).order(order);
        for (int i = 0; i < data.length; i += per) {
            int k = Math.min(per, data.length - i);
            bb.clear();
            for (int j = 0; j < k; j++) {
                if (itemSize == 4) {
                    bb.putFloat(data[i + j]);
                } else {
                    bb.putDouble(data[i + j]);
                }
            }
            o.write(bb.array(), 0, k * itemSize);
        }
        o.flush();
    }

    private static String check(float[] data, int[] shape, String dtype) {
        String descr = normalizeDtype(dtype);
        if (data == null || shape == null) {
            throw new IllegalArgumentException("data and shape must not be null");
        }
        long count = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + shapeString(shape));
            }
            count *= d;
        }
        if (count != data.length) {
            throw new IllegalArgumentException("shape " + shapeString(shape) + " holds " + count
                    + " elements, the data has " + data.length);
        }
        return descr;
    }

    /** The full header (magic, version, length, dict, padding) NumPy writes for a C-order array. */
    static byte[] header(int[] shape, String dtype) {
        String descr = normalizeDtype(dtype);
        StringBuilder dict = new StringBuilder("{'descr': '").append(descr).append("', 'fortran_order': False, 'shape': ")
                .append(shapeString(shape)).append(", }");
        if (shape.length > 0) {
            dict.append(" ".repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String.valueOf(shape[0]).length())));
        }
        byte[] text = dict.toString().getBytes(StandardCharsets.ISO_8859_1);
        int hlen = text.length + 1; // the final '\n'
        int major = 1;
        int prefix = MAGIC.length + 2 + 2;
        int pad = ALIGN - (prefix + hlen) % ALIGN; // as NumPy: 64, not 0, when already aligned
        if (hlen + pad > 65535) { // version 2.0: a 4-byte header length
            major = 2;
            prefix += 2;
            pad = ALIGN - (prefix + hlen) % ALIGN;
        }
        int total = prefix + hlen + pad;
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) major).put((byte) 0);
        if (major == 1) {
            b.putShort((short) (hlen + pad));
        } else {
            b.putInt(hlen + pad);
        }
        b.put(text);
        for (int i = 0; i < pad; i++) {
            b.put((byte) ' ');
        }
        b.put((byte) '\n');
        return b.array();
    }

    /** {@code "<f4"}, {@code "<f8"}, {@code ">f4"} or {@code ">f8"} for the spellings {@link #write} takes. */
    static String normalizeDtype(String dtype) {
        if (dtype == null) {
            throw new IllegalArgumentException("dtype is null");
        }
        switch (dtype.strip()) {
            case "f4": case "<f4": case "float32": return "<f4";
            case "f8": case "<f8": case "float64": return "<f8";
            case ">f4": return ">f4";
            case ">f8": return ">f8";
            default:
                throw new IllegalArgumentException("unsupported output dtype '" + dtype + "'; use f4 or f8");
        }
    }

    static String shapeString(int[] shape) {
        if (shape.length == 1) {
            return "(" + shape[0] + ",)";
        }
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        return sb.append(')').toString();
    }

    private static byte[] readUpTo(InputStream in, int n) throws IOException {
        return in.readNBytes(n);
    }

    /** Column-major (first axis fastest) to row-major, for any number of dimensions. */
    private static float[] fortranToC(float[] f, int[] shape) {
        int nd = shape.length;
        float[] c = new float[f.length];
        int[] idx = new int[nd];
        // walk the Fortran-ordered data in storage order, tracking the multi-index
        long[] cStride = new long[nd];
        long s = 1;
        for (int d = nd - 1; d >= 0; d--) {
            cStride[d] = s;
            s *= shape[d];
        }
        long ci = 0;
        for (int i = 0; i < f.length; i++) {
            c[(int) ci] = f[i];
            for (int d = 0; d < nd; d++) {
                idx[d]++;
                ci += cStride[d];
                if (idx[d] < shape[d]) {
                    break;
                }
                ci -= cStride[d] * idx[d];
                idx[d] = 0;
            }
        }
        return c;
    }

    // ---------------------------------------------------------------- header dict

    private record Header(String descr, boolean bigEndian, int itemSize, boolean fortranOrder, int[] shape) {
    }

    private static Header parseHeader(String header) throws FormatException {
        Map<String, Object> dict = new DictParser(header).parse();
        for (String k : dict.keySet()) {
            if (!k.equals("descr") && !k.equals("fortran_order") && !k.equals("shape")) {
                throw new FormatException("bad .npy header: unexpected key '" + k + "'");
            }
        }
        for (String k : List.of("descr", "fortran_order", "shape")) {
            if (!dict.containsKey(k)) {
                throw new FormatException("bad .npy header: key '" + k + "' is missing");
            }
        }
        Object descr = dict.get("descr");
        if (!(descr instanceof String d)) {
            throw new FormatException("unsupported dtype " + DictParser.show(descr)
                    + ": only float32 ('<f4', '>f4') and float64 ('<f8', '>f8') are supported");
        }
        if (!(d.equals("<f4") || d.equals(">f4") || d.equals("<f8") || d.equals(">f8"))) {
            throw new FormatException("unsupported dtype '" + d
                    + "': only float32 ('<f4', '>f4') and float64 ('<f8', '>f8') are supported");
        }
        Object fo = dict.get("fortran_order");
        if (!(fo instanceof Boolean fortran)) {
            throw new FormatException("bad .npy header: fortran_order is " + DictParser.show(fo) + ", not True or False");
        }
        Object sh = dict.get("shape");
        if (!(sh instanceof List<?> dims)) {
            throw new FormatException("bad .npy header: shape is " + DictParser.show(sh) + ", not a tuple");
        }
        int[] shape = new int[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            Object v = dims.get(i);
            if (!(v instanceof Long l) || l < 0 || l > Integer.MAX_VALUE) {
                throw new FormatException("bad .npy header: shape " + DictParser.show(sh)
                        + " must hold non-negative integers that fit in 32 bits");
            }
            shape[i] = (int) (long) l;
        }
        return new Header(d, d.charAt(0) == '>', d.charAt(2) == '4' ? 4 : 8, fortran, shape);
    }

    /**
     * Parses the Python literal dict of the header: string keys, values that are strings,
     * {@code True}/{@code False}, integers, or tuples/lists of those. Anything else is an error.
     */
    private static final class DictParser {
        private final String s;
        private int p;

        DictParser(String s) {
            this.s = s;
        }

        Map<String, Object> parse() throws FormatException {
            ws();
            expect('{');
            Map<String, Object> m = new LinkedHashMap<>();
            ws();
            while (peek() != '}') {
                Object k = value();
                if (!(k instanceof String key)) {
                    throw err("dict keys must be strings");
                }
                ws();
                expect(':');
                ws();
                Object v = value();
                if (m.put(key, v) != null) {
                    throw err("key '" + key + "' appears twice");
                }
                ws();
                if (peek() == ',') {
                    p++;
                    ws();
                } else if (peek() != '}') {
                    throw err("expected ',' or '}'");
                }
            }
            p++;
            ws();
            if (p != s.length()) {
                throw err("unexpected text after the dict");
            }
            return m;
        }

        private Object value() throws FormatException {
            char c = peek();
            if (c == '\'' || c == '"') {
                return string();
            }
            if (c == '(' || c == '[') {
                char close = c == '(' ? ')' : ']';
                p++;
                List<Object> items = new ArrayList<>();
                ws();
                while (peek() != close) {
                    items.add(value());
                    ws();
                    if (peek() == ',') {
                        p++;
                        ws();
                    } else if (peek() != close) {
                        throw err("expected ',' or '" + close + "'");
                    }
                }
                p++;
                return items;
            }
            if (s.startsWith("True", p)) {
                p += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("False", p)) {
                p += 5;
                return Boolean.FALSE;
            }
            if (Character.isDigit(c) || c == '-') {
                int start = p;
                p++;
                while (p < s.length() && Character.isDigit(s.charAt(p))) {
                    p++;
                }
                if (p < s.length() && s.charAt(p) == 'L') { // Python 2 long
                    p++;
                }
                String num = s.substring(start, p).replace("L", "");
                try {
                    return Long.parseLong(num);
                } catch (NumberFormatException e) {
                    throw err("bad integer '" + num + "'");
                }
            }
            throw err("unexpected " + (p < s.length() ? "'" + c + "'" : "end of header"));
        }

        private String string() throws FormatException {
            char q = s.charAt(p++);
            StringBuilder sb = new StringBuilder();
            while (p < s.length() && s.charAt(p) != q) {
                char c = s.charAt(p++);
                if (c == '\\' || c == '\n') {
                    throw err("unsupported character in a string");
                }
                sb.append(c);
            }
            if (p >= s.length()) {
                throw err("unterminated string");
            }
            p++;
            return sb.toString();
        }

        private void ws() {
            while (p < s.length() && (s.charAt(p) == ' ' || s.charAt(p) == '\n' || s.charAt(p) == '\t'
                    || s.charAt(p) == '\r' || s.charAt(p) == '\0')) {
                p++;
            }
        }

        private char peek() throws FormatException {
            if (p >= s.length()) {
                throw err("unexpected end of header");
            }
            return s.charAt(p);
        }

        private void expect(char c) throws FormatException {
            if (peek() != c) {
                throw err("expected '" + c + "'");
            }
            p++;
        }

        private FormatException err(String what) {
            String text = s.strip();
            if (text.length() > 120) {
                text = text.substring(0, 117) + "...";
            }
            return new FormatException("bad .npy header: " + what + " at character " + p + " in " + text);
        }

        static String show(Object v) {
            if (v instanceof String str) {
                return "'" + str + "'";
            }
            if (v instanceof Boolean b) {
                return b ? "True" : "False";
            }
            if (v instanceof List<?> l) {
                StringBuilder sb = new StringBuilder("(");
                for (int i = 0; i < l.size(); i++) {
                    sb.append(i == 0 ? "" : ", ").append(show(l.get(i)));
                }
                return sb.append(l.size() == 1 ? ",)" : ")").toString();
            }
            return String.valueOf(v);
        }
    }
}
