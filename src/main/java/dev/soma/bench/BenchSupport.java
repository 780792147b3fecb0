package dev.soma.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.function.BiConsumer;

/** What the benchmarks share: statistics, option parsing and the host's load. */
public final class BenchSupport {

    private BenchSupport() {
    }

    /** The median; NaN for no values. */
    public static double median(double[] v) {
        if (v.length == 0) {
            return Double.NaN;
        }
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** ", load average a b c" from /proc/loadavg, or "" where there is none. */
    public static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).strip().split("\\s+");
            return ", load average " + f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    public static String fmt2(double d) {
        return String.format(Locale.ROOT, "%.2f", d);
    }

    public static String firstLine(String s) {
        if (s == null) {
            return "(no message)";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** A positive int option value, also written as {@code a<<b}. */
    public static int positive(String name, String v) {
        long n;
        try {
            String s = v.strip();
            if (s.contains("<<")) {
                String[] p = s.split("<<");
                n = Long.parseLong(p[0].strip()) << Integer.parseInt(p[1].strip());
            } else {
                n = Long.parseLong(s);
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(name + " takes a positive integer, got '" + v + "'");
        }
        if (n <= 0 || n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + " takes a positive integer, got '" + v + "'");
        }
        return (int) n;
    }

    /**
     * Walks command-line options: each of {@code flags} is passed with a null value; each of
     * {@code valued} takes its value from {@code --name=value} or the next argument.
     *
     * @throws IllegalArgumentException for an unknown option or a missing value
     */
    public static void options(String[] args, Set<String> flags, Set<String> valued, BiConsumer<String, String> on) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                v = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            if (flags.contains(a) && v == null) {
                on.accept(a, null);
            } else if (valued.contains(a)) {
                if (v == null) {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException(a + " needs a value");
                    }
                    v = args[++i];
                }
                on.accept(a, v);
            } else {
                throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
    }
}
