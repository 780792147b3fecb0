package dev.soma.opencl;

import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;
import org.jocl.cl_program;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.zip.Adler32;
import java.util.zip.CRC32;

/**
 * Compiled program binaries on disk, so that a later process loads a program instead of compiling
 * it from source.
 *
 * <p>Where: the folder named by the system property {@value #PROPERTY}, else the environment
 * variable {@value #ENV}, else {@code $XDG_CACHE_HOME/soma}, else {@code ~/.cache/soma}; the value
 * {@code none} turns the cache off. Entries live in its {@code programs/} subfolder.
 *
 * <p>Each entry is keyed by the device (name, vendor, driver version, OpenCL version, platform
 * version), the length and checksums of the full kernel source and the build options; the file name
 * is a hash of that key text, and the key text itself is stored in the entry and compared on load. An
 * entry is {@code magic, key length, key, binary length, binary, checksum of all before}. One that is
 * truncated, has a bad magic, length or checksum, a different key, or a binary the driver rejects is
 * deleted and the program is built from source again (then stored afresh), never used. Entries are
 * written to a temporary file in the same folder and renamed into place atomically, so processes
 * starting at once never read a half-written entry. Trouble with the folder itself (read-only,
 * missing) only costs the cache: programs are then built from source as without it.
 *
 * <p>Hashes and checksums are CRC-32 and Adler-32 of {@code java.util.zip}, which zlib computes
 * natively even before the JVM's compilers have started: they guard against accidents (a torn or
 * damaged file, an edited kernel source), not against someone who can write the user's own cache
 * folder. SHA-256 cost a start-up more than the whole load of a cached program (the security
 * providers' start and an interpreted digest of the source and the entry).
 *
 * <p>A program compiled from source is stored when it is closed (with its backend) or when
 * {@link OpenClBackend#warmup()} ends, not right after the build: by then it has run, and drivers
 * that compile a kernel further at its first launch keep that work in the binary they hand out (POCL
 * compiles the work-group function for each local size at the first launch; its binary then carries
 * them, so the next process loads them instead of compiling them again, with POCL's own cache off).
 *
 * <p>Old entries are pruned after a new one is written, at most once a day per folder: entries not
 * used for {@value #MAX_AGE_PROPERTY} days (default {@value #DEFAULT_MAX_AGE_DAYS}; loading an
 * entry marks it used, at most once a day), entries of another format, temporary files left for an
 * hour by a process that died, and then the least recently used entries until the folder holds at
 * most {@value #MAX_MEGABYTES_PROPERTY} MiB (default {@value #DEFAULT_MAX_MEGABYTES}). Every step is
 * one file operation that tolerates another process doing the same, and a reader that loses an entry
 * it was about to load only builds the program from source.
 */
final class BinaryCache {

    /** System property naming the cache folder, or {@code none}. */
    static final String PROPERTY = "soma.cache";
    /** Environment variable naming the cache folder, or {@code none}, when the property is unset. */
    static final String ENV = "SOMA_CACHE";

    /** System property: entries not used for this many days are pruned (default {@value #DEFAULT_MAX_AGE_DAYS}). */
    static final String MAX_AGE_PROPERTY = "soma.cache.maxAgeDays";
    /** System property: the folder is pruned to at most this many MiB (default {@value #DEFAULT_MAX_MEGABYTES}). */
    static final String MAX_MEGABYTES_PROPERTY = "soma.cache.maxMegabytes";
    static final int DEFAULT_MAX_AGE_DAYS = 30;
    static final int DEFAULT_MAX_MEGABYTES = 512;

    private static final byte[] MAGIC = "SOMAPRG2".getBytes(StandardCharsets.US_ASCII);
    /** The checksum at the end of an entry: CRC-32 and Adler-32 of everything before it. */
    private static final int DIGEST_BYTES = 8;
    private static final String FORMAT = "soma program cache v2";
    private static final String ENTRY_SUFFIX = ".bin";
    private static final String TEMP_SUFFIX = ".tmp";
    /** The file whose modification time records the folder's last pruning. */
    static final String PRUNE_MARK = ".pruned";
    private static final long DAY_MILLIS = TimeUnit.DAYS.toMillis(1);
    private static final long HOUR_MILLIS = TimeUnit.HOURS.toMillis(1);

    /** Programs compiled from source (with or without the cache), for tests. */
    static final AtomicInteger SOURCE_BUILDS = new AtomicInteger();
    /** Programs loaded from a cached binary, for tests. */
    static final AtomicInteger BINARY_LOADS = new AtomicInteger();
    /** Cache entries found unusable (corrupt, stale, rejected) and deleted, for tests. */
    static final AtomicInteger REJECTED = new AtomicInteger();
    /** Nanoseconds spent making programs (loading or compiling, with the cache's own work), for the start-up benchmark. */
    static final AtomicLong BUILD_NANOS = new AtomicLong();
    /** The device part of keys ({@link #key}), per device: the driver's strings do not change while it is loaded. */
    private static final Map<cl_device_id, String> DEVICE_KEYS = new ConcurrentHashMap<>();
    /** Nanoseconds spent storing programs (the driver's binary and the write), for the start-up benchmark. */
    static final AtomicLong STORE_NANOS = new AtomicLong();
    /** Entries deleted by pruning, for tests. */
    static final AtomicInteger PRUNED = new AtomicInteger();

    /**
     * A program made by {@link #build}: the handle, and where its binary is to be stored once it has run
     * ({@code file} null when nothing is to be stored: loaded from the cache, or the cache is off).
     */
    record Made(cl_program program, Path file, String key) {
    }

    private BinaryCache() {
    }

    /** The cache folder as configured now, or null when the cache is off. */
    static Path folder() {
        String v = System.getProperty(PROPERTY);
        if (v == null || v.isBlank()) {
            v = System.getenv(ENV);
        }
        if (v != null && !v.isBlank()) {
            v = v.strip();
            return v.equalsIgnoreCase("none") ? null : Path.of(v);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
            return Path.of(xdg, "soma");
        }
        String home = System.getProperty("user.home");
        return home == null || home.isBlank() ? null : Path.of(home, ".cache", "soma");
    }

    /** The folder of program binaries, or null when the cache is off. */
    static Path programFolder() {
        Path f = folder();
        return f == null ? null : f.resolve("programs");
    }

    /**
     * The program for {@code source} and {@code options} on {@code device}: loaded from the cache when
     * a good entry exists, else compiled from source (to be stored by {@link #store} once it has run).
     * {@code sourceHash} is {@link #hash} of the source's UTF-8 bytes (its caller keeps it).
     *
     * @throws BuildException when the source does not compile
     */
    static Made build(cl_context context, cl_device_id device, String deviceName, String family,
                      String source, String sourceHash, String options) {
        long t0 = System.nanoTime();
        try {
            return buildTimed(context, device, deviceName, family, source, sourceHash, options);
        } finally {
            BUILD_NANOS.addAndGet(System.nanoTime() - t0);
        }
    }

    private static Made buildTimed(cl_context context, cl_device_id device, String deviceName, String family,
                                   String source, String sourceHash, String options) {
        Path dir = programFolder();
        if (dir == null) {
            return new Made(fromSource(context, device, deviceName, family, source, options), null, null);
        }
        String key = key(device, sourceHash, options);
        Path file = entryFile(dir, key);
        byte[] binary = read(file, key);
        if (binary != null) {
            cl_program p = fromBinary(context, device, deviceName, binary, options);
            if (p != null) {
                BINARY_LOADS.incrementAndGet();
                markUsed(file);
                return new Made(p, null, null);
            }
            reject(file);
        }
        return new Made(fromSource(context, device, deviceName, family, source, options), file, key);
    }

    /**
     * Whether the cache holds an entry for the source of {@code sourceHash} and {@code options} on
     * {@code device} (without reading it; marked used): such a program was compiled on this device,
     * driver and source before.
     */
    static boolean has(cl_device_id device, String sourceHash, String options) {
        Path dir = programFolder();
        if (dir == null) {
            return false;
        }
        Path file = entryFile(dir, key(device, sourceHash, options));
        if (!Files.isRegularFile(file)) {
            return false;
        }
        markUsed(file);
        return true;
    }

    /** Stores the binary of {@code program} (compiled from source, and run) under {@code file}; then prunes now and then. */
    static void store(cl_program program, Path file, String key) {
        long t0 = System.nanoTime();
        try {
            byte[] built = binaryOf(program);
            if (built != null && write(file.getParent(), file, key, built)) {
                pruneNowAndThen(file.getParent());
            }
        } finally {
            STORE_NANOS.addAndGet(System.nanoTime() - t0);
        }
    }

    private static Path entryFile(Path dir, String key) {
        return dir.resolve(hash(key.getBytes(StandardCharsets.UTF_8)) + ENTRY_SUFFIX);
    }

    /** Compiles from source; a failure carries the device, options and full log. */
    static cl_program fromSource(cl_context context, cl_device_id device, String deviceName, String family,
                                 String source, String options) {
        Faults.check(deviceName, "clCreateProgramWithSource");
        int[] status = new int[1];
        cl_program p = CL.clCreateProgramWithSource(context, 1, new String[] {source}, null, status);
        OpenClException.check(status[0], "clCreateProgramWithSource");
        int st = Faults.status(deviceName, "clBuildProgram");
        if (st == CL.CL_SUCCESS) {
            st = CL.clBuildProgram(p, 1, new cl_device_id[] {device}, options, null, null);
        }
        if (st != CL.CL_SUCCESS) {
            String log = Program.buildLog(p, device);
            CL.clReleaseProgram(p);
            throw new BuildException(family, deviceName, options, st, log);
        }
        SOURCE_BUILDS.incrementAndGet();
        return p;
    }

    /** The key text of one program on one device: everything a binary depends on. */
    static String key(cl_device_id device, String sourceHash, String options) {
        return DEVICE_KEYS.computeIfAbsent(device, BinaryCache::deviceKey)
                + "source: " + sourceHash + "\n"
                + "options: " + options + "\n";
    }

    /** The device's part of a key, read once per device and JVM. */
    private static String deviceKey(cl_device_id device) {
        cl_platform_id[] platform = new cl_platform_id[1];
        String platformVersion = "";
        if (CL.clGetDeviceInfo(device, CL.CL_DEVICE_PLATFORM, Sizeof.cl_platform_id, Pointer.to(platform), null)
                == CL.CL_SUCCESS) {
            platformVersion = Discovery.platformString(platform[0], CL.CL_PLATFORM_VERSION);
        }
        return FORMAT + "\n"
                + "device: " + Discovery.deviceString(device, CL.CL_DEVICE_NAME) + "\n"
                + "vendor: " + Discovery.deviceString(device, CL.CL_DEVICE_VENDOR) + "\n"
                + "driver: " + Discovery.deviceString(device, CL.CL_DRIVER_VERSION) + "\n"
                + "opencl: " + Discovery.deviceString(device, CL.CL_DEVICE_VERSION) + "\n"
                + "platform: " + platformVersion + "\n";
    }

    /** The stored binary of a good entry for {@code key}; null when there is none or it is unusable (then deleted). */
    static byte[] read(Path file, String key) {
        byte[] data;
        try {
            data = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | SecurityException e) {
            return null; // an unreadable folder costs the cache, nothing else
        }
        byte[] binary = parse(data, key);
        if (binary == null) {
            reject(file);
        }
        return binary;
    }

    /** The binary inside {@code data} when it is a complete, intact entry for exactly {@code key}; else null. */
    static byte[] parse(byte[] data, String key) {
        ByteBuffer in = ByteBuffer.wrap(data);
        if (data.length < MAGIC.length + 8 + DIGEST_BYTES) {
            return null;
        }
        byte[] magic = new byte[MAGIC.length];
        in.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            return null;
        }
        int keyLength = in.getInt();
        if (keyLength < 0 || keyLength > in.remaining() - 4 - DIGEST_BYTES) {
            return null;
        }
        byte[] storedKey = new byte[keyLength];
        in.get(storedKey);
        int binaryLength = in.getInt();
        if (binaryLength <= 0 || binaryLength != in.remaining() - DIGEST_BYTES) {
            return null;
        }
        byte[] binary = new byte[binaryLength];
        in.get(binary);
        if (in.getLong() != checksum(data, data.length - DIGEST_BYTES)) {
            return null;
        }
        if (!new String(storedKey, StandardCharsets.UTF_8).equals(key)) {
            return null; // stale: another program under the same name (cannot happen short of a hash collision)
        }
        return binary;
    }

    /** The bytes of an entry for {@code key} holding {@code binary}. */
    static byte[] format(String key, byte[] binary) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(MAGIC.length + 4 + k.length + 4 + binary.length + DIGEST_BYTES);
        out.put(MAGIC).putInt(k.length).put(k).putInt(binary.length).put(binary);
        out.putLong(checksum(out.array(), out.position()));
        return out.array();
    }

    /** Writes an entry atomically (a temporary file renamed into place); false when the folder refused it. */
    static boolean write(Path dir, Path file, String key, byte[] binary) {
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, file.getFileName().toString(), TEMP_SUFFIX);
            Files.write(tmp, format(key, binary));
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
            return true;
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            return false; // a read-only or full disk costs the cache only
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

    private static void reject(Path file) {
        REJECTED.incrementAndGet();
        try {
            Files.deleteIfExists(file);
        } catch (IOException | SecurityException ignored) {
            // the next writer replaces it
        }
    }

    /** Creates and builds the program from {@code binary}; null (nothing left behind) when the driver refuses it. */
    private static cl_program fromBinary(cl_context context, cl_device_id device, String deviceName, byte[] binary,
                                         String options) {
        int[] status = new int[1];
        int[] binaryStatus = new int[1];
        cl_program p = CL.clCreateProgramWithBinary(context, 1, new cl_device_id[] {device},
                new long[] {binary.length}, new byte[][] {binary}, binaryStatus, status);
        if (status[0] != CL.CL_SUCCESS || binaryStatus[0] != CL.CL_SUCCESS) {
            if (p != null && status[0] == CL.CL_SUCCESS) {
                CL.clReleaseProgram(p);
            }
            return null;
        }
        int st = Faults.status(deviceName, "clBuildProgram"); // an injected build fault rejects the entry too
        if (st == CL.CL_SUCCESS) {
            st = CL.clBuildProgram(p, 1, new cl_device_id[] {device}, options, null, null);
        }
        if (st != CL.CL_SUCCESS) {
            CL.clReleaseProgram(p);
            return null;
        }
        return p;
    }

    /** The device binary of a built program (one device), or null when the driver offers none. */
    static byte[] binaryOf(cl_program p) {
        long[] size = new long[1];
        if (CL.clGetProgramInfo(p, CL.CL_PROGRAM_BINARY_SIZES, Sizeof.size_t, Pointer.to(size), null)
                != CL.CL_SUCCESS || size[0] <= 0 || size[0] > Integer.MAX_VALUE - 1024) {
            return null;
        }
        byte[] binary = new byte[(int) size[0]];
        if (CL.clGetProgramInfo(p, CL.CL_PROGRAM_BINARIES, Sizeof.POINTER, Pointer.to(new Pointer[] {Pointer.to(binary)}),
                null) != CL.CL_SUCCESS) {
            return null;
        }
        return binary;
    }

    /** CRC-32 in the high half, Adler-32 in the low half, of {@code data[0, length)}. */
    static long checksum(byte[] data, int length) {
        CRC32 c = new CRC32();
        c.update(data, 0, length);
        Adler32 d = new Adler32();
        d.update(data, 0, length);
        return c.getValue() << 32 | d.getValue();
    }

    /**
     * 24 hex digits naming {@code data}: its length, CRC-32 and Adler-32 (independent checks, both
     * computed natively by zlib); for file names and the source's identity in a key.
     */
    static String hash(byte[] data) {
        CRC32 a = new CRC32();
        a.update(data);
        Adler32 b = new Adler32();
        b.update(data);
        StringBuilder sb = new StringBuilder(24);
        for (long v : new long[] {data.length & 0xffffffffL, a.getValue(), b.getValue()}) {
            String h = Long.toHexString(v);
            sb.append("00000000", h.length(), 8).append(h);
        }
        return sb.toString();
    }

    // ---- pruning ------------------------------------------------------------------------------

    /** Marks an entry used (its modification time), at most once a day: pruning removes entries long unused. */
    private static void markUsed(Path file) {
        try {
            long now = System.currentTimeMillis();
            if (now - Files.getLastModifiedTime(file).toMillis() > DAY_MILLIS) {
                Files.setLastModifiedTime(file, FileTime.fromMillis(now));
            }
        } catch (IOException | SecurityException | UnsupportedOperationException ignored) {
            // an entry that cannot be marked is pruned a little early, nothing worse
        }
    }

    /** Prunes {@code dir} when it was last pruned over a day ago (by the mark file's time); never throws. */
    private static void pruneNowAndThen(Path dir) {
        Path mark = dir.resolve(PRUNE_MARK);
        long now = System.currentTimeMillis();
        try {
            if (Files.exists(mark) && now - Files.getLastModifiedTime(mark).toMillis() < DAY_MILLIS) {
                return;
            }
            Files.write(mark, new byte[0]); // first, so that processes storing at once do not all prune
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            return;
        }
        long maxAge;
        long maxBytes;
        try {
            maxAge = setting(MAX_AGE_PROPERTY, DEFAULT_MAX_AGE_DAYS);
            maxBytes = setting(MAX_MEGABYTES_PROPERTY, DEFAULT_MAX_MEGABYTES);
        } catch (IllegalArgumentException e) {
            return; // changed since the backend opened (checkSettings): no pruning rather than a failed close
        }
        prune(dir, now, Math.min(maxAge, Long.MAX_VALUE / DAY_MILLIS) * DAY_MILLIS,
                Math.min(maxBytes, Long.MAX_VALUE >> 20) << 20);
    }

    /**
     * Checks the pruning settings ({@value #MAX_AGE_PROPERTY}, {@value #MAX_MEGABYTES_PROPERTY}); a
     * backend calls it when it opens, so that a bad value is reported then, not when a program is stored.
     *
     * @throws IllegalArgumentException naming the property and its value
     */
    static void checkSettings() {
        setting(MAX_AGE_PROPERTY, DEFAULT_MAX_AGE_DAYS);
        setting(MAX_MEGABYTES_PROPERTY, DEFAULT_MAX_MEGABYTES);
    }

    private static long setting(String property, int fallback) {
        String v = System.getProperty(property, "").strip();
        if (v.isEmpty()) {
            return fallback;
        }
        try {
            long n = Long.parseLong(v);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // below
        }
        throw new IllegalArgumentException(property + "=" + v + ": not a whole number >= 0");
    }

    /**
     * Deletes from {@code dir}, as of {@code now} (epoch milliseconds): entries not used for
     * {@code maxAgeMillis}, entries of another format, temporary files older than an hour, then the
     * least recently used entries until at most {@code maxBytes} remain. Returns how many files it
     * deleted. Safe while other processes read, write or prune the folder: each step is one deletion
     * that tolerates the file being gone, and readers check what they load.
     */
    static int prune(Path dir, long now, long maxAgeMillis, long maxBytes) {
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.toList();
        } catch (IOException | SecurityException e) {
            return 0;
        }
        int deleted = 0;
        List<Object[]> kept = new ArrayList<>(); // {path, time, size}
        for (Path f : files) {
            String name = f.getFileName().toString();
            try {
                long time = Files.getLastModifiedTime(f).toMillis();
                if (name.endsWith(TEMP_SUFFIX)) {
                    if (now - time > HOUR_MILLIS) {
                        deleted += delete(f);
                    }
                } else if (name.endsWith(ENTRY_SUFFIX)) {
                    if (now - time > maxAgeMillis || !currentFormat(f)) {
                        deleted += delete(f);
                    } else {
                        kept.add(new Object[] {f, time, Files.size(f)});
                    }
                }
            } catch (IOException | SecurityException e) {
                // gone meanwhile, or unreadable: leave it
            }
        }
        long total = kept.stream().mapToLong(e -> (Long) e[2]).sum();
        kept.sort(Comparator.comparingLong(e -> (Long) e[1]));
        for (int i = 0; i < kept.size() && total > maxBytes; i++) {
            deleted += delete((Path) kept.get(i)[0]);
            total -= (Long) kept.get(i)[2];
        }
        return deleted;
    }

    private static boolean currentFormat(Path f) throws IOException {
        byte[] head = new byte[MAGIC.length];
        try (var in = Files.newInputStream(f)) {
            return in.readNBytes(head, 0, head.length) == head.length && Arrays.equals(head, MAGIC);
        }
    }

    private static int delete(Path f) {
        try {
            if (Files.deleteIfExists(f)) {
                PRUNED.incrementAndGet();
                return 1;
            }
        } catch (IOException | SecurityException ignored) {
            // another process's business now
        }
        return 0;
    }
}
