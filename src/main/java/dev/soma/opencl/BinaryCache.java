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
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Compiled program binaries on disk, so that a later process loads a program instead of compiling
 * it from source.
 *
 * <p>Where: the folder named by the system property {@value #PROPERTY}, else the environment
 * variable {@value #ENV}, else {@code $XDG_CACHE_HOME/soma}, else {@code ~/.cache/soma}; the value
 * {@code none} turns the cache off. Entries live in its {@code programs/} subfolder.
 *
 * <p>Each entry is keyed by the device (name, vendor, driver version, OpenCL version, platform
 * version), the SHA-256 of the full kernel source and the build options; the file name is a hash of
 * that key text, and the key text itself is stored in the entry and compared on load. An entry is
 * {@code magic, key length, key, binary length, binary, SHA-256 of all before}. One that is
 * truncated, has a bad magic, length or checksum, a different key, or a binary the driver rejects is
 * deleted and the program is built from source again (then stored afresh), never used. Entries are
 * written to a temporary file in the same folder and renamed into place atomically, so processes
 * starting at once never read a half-written entry. Trouble with the folder itself (read-only,
 * missing) only costs the cache: programs are then built from source as without it.
 */
final class BinaryCache {

    /** System property naming the cache folder, or {@code none}. */
    static final String PROPERTY = "soma.cache";
    /** Environment variable naming the cache folder, or {@code none}, when the property is unset. */
    static final String ENV = "SOMA_CACHE";

    private static final byte[] MAGIC = "SOMAPRG1".getBytes(StandardCharsets.US_ASCII);
    private static final int DIGEST_BYTES = 32;
    private static final String FORMAT = "soma program cache v1";

    /** Programs compiled from source (with or without the cache), for tests. */
    static final AtomicInteger SOURCE_BUILDS = new AtomicInteger();
    /** Programs loaded from a cached binary, for tests. */
    static final AtomicInteger BINARY_LOADS = new AtomicInteger();
    /** Cache entries found unusable (corrupt, stale, rejected) and deleted, for tests. */
    static final AtomicInteger REJECTED = new AtomicInteger();
    /** Nanoseconds spent making programs (loading or compiling, with the cache's own work), for the start-up benchmark. */
    static final AtomicLong BUILD_NANOS = new AtomicLong();

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
     * a good entry exists, else compiled from source and stored.
     *
     * @throws BuildException when the source does not compile
     */
    static cl_program build(cl_context context, cl_device_id device, String deviceName, String family,
                            String source, String options) {
        long t0 = System.nanoTime();
        try {
            return buildTimed(context, device, deviceName, family, source, options);
        } finally {
            BUILD_NANOS.addAndGet(System.nanoTime() - t0);
        }
    }

    private static cl_program buildTimed(cl_context context, cl_device_id device, String deviceName, String family,
                                         String source, String options) {
        Path dir = programFolder();
        if (dir == null) {
            return fromSource(context, device, deviceName, family, source, options);
        }
        String key = key(device, source, options);
        Path file = dir.resolve(hex(sha256(key.getBytes(StandardCharsets.UTF_8))) + ".bin");
        byte[] binary = read(file, key);
        if (binary != null) {
            cl_program p = fromBinary(context, device, deviceName, binary, options);
            if (p != null) {
                BINARY_LOADS.incrementAndGet();
                return p;
            }
            reject(file);
        }
        cl_program p = fromSource(context, device, deviceName, family, source, options);
        byte[] built = binaryOf(p);
        if (built != null) {
            write(dir, file, key, built);
        }
        return p;
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
    static String key(cl_device_id device, String source, String options) {
        cl_platform_id[] platform = new cl_platform_id[1];
        String platformVersion = "";
        if (CL.clGetDeviceInfo(device, CL.CL_DEVICE_PLATFORM, Sizeof.cl_platform_id, Pointer.to(platform), null)
                == CL.CL_SUCCESS) {
            platformVersion = platformString(platform[0], CL.CL_PLATFORM_VERSION);
        }
        return FORMAT + "\n"
                + "device: " + Discovery.deviceString(device, CL.CL_DEVICE_NAME) + "\n"
                + "vendor: " + Discovery.deviceString(device, CL.CL_DEVICE_VENDOR) + "\n"
                + "driver: " + Discovery.deviceString(device, CL.CL_DRIVER_VERSION) + "\n"
                + "opencl: " + Discovery.deviceString(device, CL.CL_DEVICE_VERSION) + "\n"
                + "platform: " + platformVersion + "\n"
                + "source-sha256: " + hex(sha256(source.getBytes(StandardCharsets.UTF_8))) + "\n"
                + "options: " + options + "\n";
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
        byte[] digest = new byte[DIGEST_BYTES];
        in.get(digest);
        MessageDigest md = sha256();
        md.update(data, 0, data.length - DIGEST_BYTES);
        if (!MessageDigest.isEqual(md.digest(), digest)) {
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
        MessageDigest md = sha256();
        md.update(out.array(), 0, out.position());
        out.put(md.digest());
        return out.array();
    }

    static void write(Path dir, Path file, String key, byte[] binary) {
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
            Files.write(tmp, format(key, binary));
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            // a read-only or full disk costs the cache only
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
    private static byte[] binaryOf(cl_program p) {
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

    private static String platformString(cl_platform_id id, int param) {
        long[] size = new long[1];
        if (CL.clGetPlatformInfo(id, param, 0, null, size) != CL.CL_SUCCESS || size[0] == 0) {
            return "";
        }
        byte[] bytes = new byte[(int) size[0]];
        if (CL.clGetPlatformInfo(id, param, bytes.length, Pointer.to(bytes), null) != CL.CL_SUCCESS) {
            return "";
        }
        int len = 0;
        while (len < bytes.length && bytes[len] != 0) {
            len++;
        }
        return new String(bytes, 0, len, StandardCharsets.UTF_8).strip();
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    static byte[] sha256(byte[] data) {
        return sha256().digest(data);
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
