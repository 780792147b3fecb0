package dev.soma.opencl;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which OpenCL devices automatic selection has given up on in this JVM.
 *
 * <p>A backend counts its operations (tensor creation, element-wise, softmax, GEMM, upload,
 * download) that end in an {@link OpenClException}; a success resets the count, except a tensor
 * created (a device can often still allocate when it no longer runs kernels). When
 * {@value #ABANDON_AFTER} operations in a row have failed, the device "keeps failing": it is marked
 * abandoned, one warning says so (logger {@code dev.soma}, once per device and JVM), and from then on
 * {@code Soma.open("auto")} passes over it to the next device in the ranking (finally the pure-Java
 * path), listing the reason in {@code BackendInfo.fallbacks()}.
 *
 * <p>What it does not do: the failing backend is not swapped under its caller. Its tensors live in
 * that device's memory, which may be gone, so moving them silently could lose data; its operations
 * keep throwing {@link OpenClException} (and work again if the device recovers), and the caller
 * decides when to close it and open a new backend. An explicit selector ({@code gpu}, {@code P:D},
 * a name) still opens an abandoned device: it never falls back silently.
 */
public final class DeviceHealth {

    /** Consecutive failed operations after which a device is abandoned by automatic selection. */
    public static final int ABANDON_AFTER = 3;

    private static final System.Logger LOG = System.getLogger("dev.soma");
    private static final Map<String, String> ABANDONED = new ConcurrentHashMap<>();

    private DeviceHealth() {
    }

    /** Why automatic selection skips {@code device}, or null when it does not. */
    public static String abandoned(DeviceInfo device) {
        return ABANDONED.get(key(device));
    }

    /** Records that {@code failures} operations in a row failed on {@code device}, the last with {@code last}. */
    static void failing(DeviceInfo device, int failures, OpenClException last) {
        if (failures < ABANDON_AFTER) {
            return;
        }
        String reason = "abandoned after " + failures + " consecutive failed operations (last: "
                + firstLine(last.getMessage()) + ")";
        if (ABANDONED.putIfAbsent(key(device), reason) == null) {
            LOG.log(System.Logger.Level.WARNING, "soma: " + device + " keeps failing: " + reason
                    + "; automatic selection now takes the next device in the ranking");
        }
    }

    /** Forgets every abandoned device (tests). */
    static void reset() {
        ABANDONED.clear();
    }

    private static String key(DeviceInfo d) {
        return d.selector() + " " + d.platformName() + " " + d.name();
    }

    private static String firstLine(String s) {
        int nl = s == null ? -1 : s.indexOf('\n');
        return s == null ? "(no message)" : nl < 0 ? s : s.substring(0, nl);
    }
}
