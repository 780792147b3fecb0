package dev.soma.opencl;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The tuner's results on disk, beside the program binary cache: one file per device in the
 * {@code tuning/} subfolder of {@link BinaryCache#folder()} (nothing is read or written when the cache
 * is {@code none}).
 *
 * <p>A file is named after the device (name, vendor, driver version, OpenCL version) and holds, besides
 * the parameters, the whole key: those four, the device's OpenCL C version and the hash (length, CRC-32, Adler-32) of the
 * kernel sources the parameters were measured with ({@code prelude.cl}, {@code activations.cl},
 * {@code dense.cl}). A file whose key differs (a new driver in place, changed kernels), or that cannot
 * be parsed (corrupt, truncated, an invalid parameter), is ignored with one log line (logger
 * {@code dev.soma}), the defaults are used, and the next tune replaces it. Files are written to a
 * temporary file in the same folder and renamed into place, so a reader never sees half a file.
 */
final class TuningStore {

    static final String FORMAT = "soma tuning v1";
    private static final System.Logger LOG = System.getLogger("dev.soma");

    private TuningStore() {
    }

    /** What was found for a device: the parameters, or null with the reason they are not used. */
    record Found(Tuning tuning, Path file, String problem) {
    }

    /** The tuning folder, or null when the cache is off. */
    static Path folder() {
        Path f = BinaryCache.folder();
        return f == null ? null : f.resolve("tuning");
    }

    /** The file of device {@code d} in {@code dir}. */
    static Path file(Path dir, DeviceInfo d) {
        String id = String.join("\n", d.name(), d.vendor(), d.driverVersion(), d.version());
        return dir.resolve(BinaryCache.hash(id.getBytes(StandardCharsets.UTF_8)) + ".properties");
    }

    /** The key a stored file must carry to be used on {@code d} with kernel {@code sources}. */
    static Map<String, String> key(DeviceInfo d, KernelSources sources) {
        Map<String, String> k = new LinkedHashMap<>();
        k.put("format", FORMAT);
        k.put("device", d.name().strip());
        k.put("vendor", d.vendor().strip());
        k.put("driver", d.driverVersion().strip());
        k.put("opencl", d.version().strip());
        k.put("opencl-c", d.openClCVersion().strip());
        String text = sources.load("prelude.cl") + "\0" + sources.load(OpenClBackend.ACTIVATIONS) + "\0"
                + sources.load(ClGemm.DENSE);
        k.put("kernels", BinaryCache.hash(text.getBytes(StandardCharsets.UTF_8)));
        return k;
    }

    /**
     * The stored parameters of {@code d}: {@code Found(tuning, file, null)} when a good file is there;
     * {@code Found(null, file, null)} when there is none; {@code Found(null, file, reason)} (logged once)
     * when there is one that is not used. {@code Found(null, null, null)} when the cache is off.
     */
    static Found read(DeviceInfo d, KernelSources sources) {
        Path dir = folder();
        if (dir == null) {
            return new Found(null, null, null);
        }
        Path file = file(dir, d);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return new Found(null, file, null);
        } catch (IOException | SecurityException | java.io.UncheckedIOException e) {
            return ignored(file, d, "unreadable (" + e + ")");
        }
        String problem;
        try {
            Tuning t = parse(text, key(d, sources));
            long local = Math.max(t.ntLocalBytes(), t.gpuLocalBytes());
            if (d.localMemory() > 0 && local > d.localMemory()) {
                throw new IllegalArgumentException(t + " needs " + local + " bytes of local memory, the device has "
                        + d.localMemory());
            }
            return new Found(t, file, null);
        } catch (IllegalArgumentException e) {
            problem = e.getMessage();
        }
        return ignored(file, d, problem);
    }

    private static Found ignored(Path file, DeviceInfo d, String problem) {
        LOG.log(System.Logger.Level.WARNING, "soma: ignoring the stored tuning of " + d.name().strip() + " (" + file
                + "): " + problem + "; using the defaults until the next soma tune");
        return new Found(null, file, problem);
    }

    /** The parameters in {@code text} if its key is {@code key}; IllegalArgumentException saying why not. */
    static Tuning parse(String text, Map<String, String> key) {
        if (!text.endsWith("\n# end\n")) {
            throw new IllegalArgumentException("truncated (no end line)");
        }
        Properties p = new Properties();
        try {
            p.load(new StringReader(text));
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("unparseable: " + e.getMessage());
        }
        for (Map.Entry<String, String> e : key.entrySet()) {
            String got = p.getProperty(e.getKey());
            if (!e.getValue().equals(got)) {
                throw new IllegalArgumentException("stale: " + e.getKey() + " is " + (got == null ? "missing"
                        : "'" + got + "'") + ", now '" + e.getValue() + "'");
            }
        }
        Map<String, String> m = new HashMap<>();
        p.stringPropertyNames().forEach(n -> m.put(n, p.getProperty(n)));
        return Tuning.fromMap(m);
    }

    /** The file text of {@code t} under {@code key}, with free-form {@code notes} (comments). */
    static String format(Map<String, String> key, Tuning t, Iterable<String> notes) {
        StringBuilder sb = new StringBuilder("# soma tuner results (scripts/soma tune); delete to use the defaults\n");
        for (String n : notes) {
            sb.append("# ").append(n.replace('\n', ' ')).append('\n');
        }
        Properties p = new Properties();
        key.forEach(p::setProperty);
        t.asMap().forEach((k, v) -> p.setProperty(k, Integer.toString(v)));
        java.io.StringWriter w = new java.io.StringWriter();
        try {
            p.store(w, null);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        // Properties.store writes a date comment first and its own order: drop the date, sort the lines
        String[] lines = w.toString().split("\n");
        java.util.Arrays.sort(lines);
        for (String l : lines) {
            if (!l.startsWith("#") && !l.isBlank()) {
                sb.append(l.strip()).append('\n');
            }
        }
        return sb.append("# end\n").toString();
    }

    /**
     * Stores {@code t} for {@code d} (temporary file, then rename); returns the file, or null when the
     * cache is off.
     *
     * @throws java.io.UncheckedIOException when the folder cannot be written
     */
    static Path write(DeviceInfo d, KernelSources sources, Tuning t, Iterable<String> notes) {
        Path dir = folder();
        if (dir == null) {
            return null;
        }
        Path file = file(dir, d);
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
            Files.writeString(tmp, format(key(d, sources), t, notes), StandardCharsets.UTF_8);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
            return file;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("writing the tuning of " + d.name().strip() + " to " + file, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException | SecurityException ignored) {
                    // nothing more to do
                }
            }
        }
    }
}
