package dev.soma.cli;

import dev.soma.Soma;
import dev.soma.reference.Backends;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code soma probe}, {@code --help} and {@code --version}, run in-process. */
class ProbeTest {

    /** Exit status and captured stdout / stderr of one in-process run of {@code soma ARGS}. */
    record Run(int exit, String out, String err) {
    }

    static Run soma(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int rc = new CommandLine(new Main()).execute(args); // commands capture System.out when constructed
            System.out.flush();
            System.err.flush();
            return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** The first OpenCL device, or skip (fail under SOMA_REQUIRE_OPENCL=1). */
    static String openClDevice() {
        List<String> cl = Backends.openClSelectors();
        if (cl.isEmpty()) {
            Backends.noOpenClDevice();
        }
        return cl.get(0);
    }

    @Test
    void tableOnTheJavaPath() {
        Run r = soma("probe", "--device", "java");
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("Self-test:"), r.out());
        assertTrue(r.out().contains("java   PASS"), r.out());
        assertTrue(r.out().contains("dense 3x17x29"), r.out());
        assertTrue(r.out().contains("Selected (soma.device=java): pure Java"), r.out());
        assertTrue(r.out().strip().endsWith("PASS"), r.out());
        for (String sel : Soma.openClDevices()) {
            assertTrue(r.out().contains("--device " + sel), "every device is listed and tested: " + r.out());
        }
    }

    @Test
    void jsonOnTheJavaPath() {
        Run r = soma("probe", "--device", "java", "--json");
        assertEquals(0, r.exit(), r.out());
        Map<String, Object> root = obj(MiniJson.parse(r.out()));
        assertEquals("java", root.get("requested"));
        assertEquals("PASS", root.get("status"));
        assertEquals(0.0, root.get("exit_status"));
        Map<String, Object> sel = obj(root.get("selected"));
        assertEquals("java", sel.get("kind"));
        assertEquals("--device java", sel.get("device_option"));
        assertEquals("PASS", sel.get("self_test_status"));
        Map<String, Object> java = obj(root.get("java"));
        assertEquals("PASS", obj(java.get("self_test")).get("status"));
        assertTrue(obj(root.get("auto")).containsKey("kind"), "auto's pick is reported");
        Map<String, Object> cl = obj(root.get("opencl"));
        List<Object> platforms = list(cl.get("platforms"));
        int devices = 0;
        for (Object p : platforms) {
            for (Object d : list(obj(p).get("devices"))) {
                devices++;
                Map<String, Object> dev = obj(d);
                for (String k : List.of("vendor", "type", "version", "driver", "compute_units", "clock_mhz",
                        "global_memory_bytes", "local_memory_bytes", "max_allocation_bytes", "fp64", "fp16",
                        "opencl_c_version", "device_option", "self_test")) {
                    assertTrue(dev.containsKey(k), k + " missing in " + dev);
                }
            }
        }
        assertEquals(Soma.openClDevices().size(), devices);
        assertEquals(!Soma.openClDevices().isEmpty(), cl.get("usable"));
    }

    @Test
    void tableAndJsonOnTheOpenClDevice() {
        String sel = openClDevice();
        Run t = soma("probe", "--device", sel);
        assertEquals(0, t.exit(), t.out());
        assertTrue(t.out().contains(sel + "    PASS"), t.out());
        assertTrue(t.out().contains("(--device " + sel + ")"), t.out());

        Run r = soma("probe", "--device", sel, "--json");
        assertEquals(0, r.exit(), r.out());
        Map<String, Object> root = obj(MiniJson.parse(r.out()));
        Map<String, Object> s = obj(root.get("selected"));
        assertEquals("opencl", s.get("kind"));
        assertEquals(sel, s.get("selector"));
        assertEquals("PASS", s.get("self_test_status"));
        boolean found = false;
        for (Object p : list(obj(root.get("opencl")).get("platforms"))) {
            for (Object d : list(obj(p).get("devices"))) {
                Map<String, Object> dev = obj(d);
                if (sel.equals(dev.get("selector"))) {
                    found = true;
                    Map<String, Object> st = obj(dev.get("self_test"));
                    assertEquals("PASS", st.get("status"));
                    assertTrue((Double) st.get("worst_ulp") <= Probe.DERIVATIVE_ULP);
                    assertTrue((Double) st.get("dense_error_to_bound") <= 1.0);
                }
            }
        }
        assertTrue(found, sel + " not in the JSON");
    }

    @Test
    void missingDeviceFailsAndSaysWhy() {
        Run r = soma("probe", "--device", "97:3");
        assertNotEquals(0, r.exit());
        assertTrue(r.out().contains("FAIL: soma.device=97:3 asks for OpenCL device 97:3, but there is none"), r.out());

        Run j = soma("probe", "--device", "97:3", "--json");
        assertEquals(r.exit(), j.exit());
        Map<String, Object> root = obj(MiniJson.parse(j.out()));
        assertEquals("FAIL", root.get("status"));
        assertEquals((double) r.exit(), root.get("exit_status"));
        assertTrue(((String) root.get("reason")).contains("97:3"), j.out());
        assertTrue(((String) obj(root.get("selected")).get("error")).contains("there is none"), j.out());
    }

    @Test
    void helpOnEveryCommandAndVersion() {
        CommandLine cl = new CommandLine(new Main());
        for (String sub : cl.getSubcommands().keySet()) {
            if (sub.equals("help")) {
                continue;
            }
            Run r = soma(sub, "--help");
            assertEquals(0, r.exit(), sub + " --help: " + r.err());
            assertTrue(r.out().contains("Usage: soma " + sub), r.out());
        }
        Run top = soma("--help");
        assertEquals(0, top.exit());
        assertTrue(top.out().contains("probe") && top.out().contains("bench"), top.out());
        assertEquals(0, soma("help", "probe").exit());
        Run v = soma("--version");
        assertEquals(0, v.exit());
        assertTrue(v.out().startsWith("soma "), v.out());
    }

    @Test
    void jsonStringEscaping() {
        String nasty = "q\" b\\ n\n t\t c\u0001 u\u2028 é 😀 lone\ud800";
        String doc = Probe.Json.write(Map.of("k", nasty, "n", Double.NaN));
        Map<String, Object> back = obj(MiniJson.parse(doc));
        assertEquals("q\" b\\ n\n t\t c\u0001 u\u2028 é 😀 lone\ud800", back.get("k"));
        assertNull(back.get("n"));
        assertFalse(doc.contains("\n t"), "raw newline inside a string");
        assertThrows(IllegalArgumentException.class, () -> MiniJson.parse("{\"a\": [1, 2}"));
        assertThrows(IllegalArgumentException.class, () -> MiniJson.parse("{\"a\": \"x\ny\"}"));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> obj(Object o) {
        assertTrue(o instanceof Map, "expected an object: " + o);
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) {
        assertTrue(o instanceof List, "expected an array: " + o);
        return (List<Object>) o;
    }

    /**
     * A strict recursive-descent JSON parser (RFC 8259): objects → LinkedHashMap, arrays → List,
     * numbers → Double, and the literals; anything else, or trailing text, throws.
     */
    static final class MiniJson {
        private final String s;
        private int i;

        private MiniJson(String s) {
            this.s = s;
        }

        static Object parse(String text) {
            MiniJson p = new MiniJson(text);
            p.ws();
            Object v = p.value();
            p.ws();
            if (p.i != text.length()) {
                throw p.error("trailing text");
            }
            return v;
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException(what + " at " + i + ": "
                    + s.substring(Math.max(0, i - 20), Math.min(s.length(), i + 20)));
        }

        private void ws() {
            while (i < s.length() && " \t\n\r".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
        }

        private char peek() {
            if (i >= s.length()) {
                throw error("unexpected end");
            }
            return s.charAt(i);
        }

        private void expect(char c) {
            if (peek() != c) {
                throw error("expected '" + c + "'");
            }
            i++;
        }

        private Object value() {
            char c = peek();
            switch (c) {
                case '{': {
                    i++;
                    Map<String, Object> m = new LinkedHashMap<>();
                    ws();
                    if (peek() == '}') {
                        i++;
                        return m;
                    }
                    while (true) {
                        ws();
                        String k = string();
                        ws();
                        expect(':');
                        ws();
                        if (m.put(k, value()) != null) {
                            throw error("duplicate key " + k);
                        }
                        ws();
                        if (peek() == ',') {
                            i++;
                        } else {
                            expect('}');
                            return m;
                        }
                    }
                }
                case '[': {
                    i++;
                    List<Object> l = new ArrayList<>();
                    ws();
                    if (peek() == ']') {
                        i++;
                        return l;
                    }
                    while (true) {
                        ws();
                        l.add(value());
                        ws();
                        if (peek() == ',') {
                            i++;
                        } else {
                            expect(']');
                            return l;
                        }
                    }
                }
                case '"':
                    return string();
                default:
                    if (s.startsWith("true", i)) {
                        i += 4;
                        return Boolean.TRUE;
                    }
                    if (s.startsWith("false", i)) {
                        i += 5;
                        return Boolean.FALSE;
                    }
                    if (s.startsWith("null", i)) {
                        i += 4;
                        return null;
                    }
                    return number();
            }
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                char c = peek();
                i++;
                if (c == '"') {
                    return b.toString();
                }
                if (c < 0x20) {
                    throw error("raw control character in a string");
                }
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                char e = peek();
                i++;
                switch (e) {
                    case '"', '\\', '/' -> b.append(e);
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'n' -> b.append('\n');
                    case 'r' -> b.append('\r');
                    case 't' -> b.append('\t');
                    case 'u' -> {
                        if (i + 4 > s.length()) {
                            throw error("short \\u escape");
                        }
                        b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        i += 4;
                    }
                    default -> throw error("bad escape");
                }
            }
        }

        private Double number() {
            int start = i;
            if (i < s.length() && s.charAt(i) == '-') {
                i++;
            }
            if (i < s.length() && s.charAt(i) == '0') {
                i++;
            } else {
                digits();
            }
            if (i < s.length() && s.charAt(i) == '.') {
                i++;
                digits();
            }
            if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
                i++;
                if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                    i++;
                }
                digits();
            }
            return Double.parseDouble(s.substring(start, i));
        }

        private void digits() {
            int start = i;
            while (i < s.length() && Character.isDigit(s.charAt(i))) {
                i++;
            }
            if (i == start) {
                throw error("expected a digit");
            }
        }
    }
}
