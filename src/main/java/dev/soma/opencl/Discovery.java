package dev.soma.opencl;

import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Every OpenCL platform and device of the machine, ranked. When OpenCL cannot be used at all the
 * list is empty and {@link #problem()} says why; {@code CL_PLATFORM_NOT_FOUND_KHR} (-1001), which an
 * ICD loader with no driver returns, means "no platforms", not an error.
 *
 * @param devices ranked best first (see {@link DeviceInfo.Category}); ties keep platform/device order
 * @param problem why there are no devices, or null when there are; also notes platforms whose
 *                devices could not be listed
 */
public record Discovery(List<Device> devices, String problem) {

    /** A device with its native handles. */
    public record Device(DeviceInfo info, cl_platform_id platform, cl_device_id id) {
        @Override
        public String toString() {
            return info.toString();
        }
    }

    public Discovery {
        devices = List.copyOf(devices);
    }

    /** The ranked devices' descriptions. */
    public List<DeviceInfo> infos() {
        return devices.stream().map(Device::info).toList();
    }

    /** Lists and ranks the devices. Never throws for an absent or broken OpenCL installation. */
    public static Discovery discover() {
        String failure = NativeLibrary.loadFailure();
        if (failure != null) {
            return new Discovery(List.of(), failure);
        }
        try {
            return list();
        } catch (OpenClException e) {
            return new Discovery(List.of(), "OpenCL device discovery failed: " + e.getMessage());
        }
    }

    private static Discovery list() {
        int[] count = new int[1];
        int status = CL.clGetPlatformIDs(0, null, count);
        if (status == -1001 || (status == CL.CL_SUCCESS && count[0] == 0)) {
            return new Discovery(List.of(), "no OpenCL platform: the ICD loader found no driver "
                    + "(CL_PLATFORM_NOT_FOUND_KHR); install one, e.g. a GPU vendor's driver or pocl-opencl-icd");
        }
        OpenClException.check(status, "clGetPlatformIDs");
        cl_platform_id[] platforms = new cl_platform_id[count[0]];
        OpenClException.check(CL.clGetPlatformIDs(platforms.length, platforms, null), "clGetPlatformIDs");
        List<Device> devices = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        for (int p = 0; p < platforms.length; p++) {
            int[] n = new int[1];
            int st = CL.clGetDeviceIDs(platforms[p], CL.CL_DEVICE_TYPE_ALL, 0, null, n);
            if (st == CL.CL_DEVICE_NOT_FOUND || n[0] == 0) {
                notes.add("platform " + p + " has no devices");
                continue;
            }
            if (st != CL.CL_SUCCESS) {
                notes.add("platform " + p + ": " + new OpenClException("clGetDeviceIDs", st).getMessage());
                continue;
            }
            cl_device_id[] ids = new cl_device_id[n[0]];
            OpenClException.check(CL.clGetDeviceIDs(platforms[p], CL.CL_DEVICE_TYPE_ALL, ids.length, ids, null),
                    "clGetDeviceIDs");
            for (int d = 0; d < ids.length; d++) {
                devices.add(new Device(describe(p, d, platforms[p], ids[d]), platforms[p], ids[d]));
            }
        }
        devices.sort(Comparator.comparing((Device x) -> x.info().category())
                .thenComparingInt(x -> x.info().platformIndex())
                .thenComparingInt(x -> x.info().deviceIndex()));
        String problem = devices.isEmpty()
                ? "no OpenCL device: " + (notes.isEmpty() ? platforms.length + " platform(s) without devices" : String.join("; ", notes))
                : null;
        return new Discovery(devices, problem);
    }

    private static DeviceInfo describe(int p, int d, cl_platform_id platform, cl_device_id id) {
        long type = deviceLong(id, CL.CL_DEVICE_TYPE);
        boolean unified = deviceInt(id, CL.CL_DEVICE_HOST_UNIFIED_MEMORY) != 0;
        DeviceInfo.Category category;
        if ((type & CL.CL_DEVICE_TYPE_GPU) != 0) {
            category = unified ? DeviceInfo.Category.INTEGRATED_GPU : DeviceInfo.Category.DISCRETE_GPU;
        } else if ((type & CL.CL_DEVICE_TYPE_ACCELERATOR) != 0) {
            category = DeviceInfo.Category.ACCELERATOR;
        } else if ((type & CL.CL_DEVICE_TYPE_CPU) != 0) {
            category = DeviceInfo.Category.CPU;
        } else {
            category = DeviceInfo.Category.OTHER;
        }
        String extensions = deviceString(id, CL.CL_DEVICE_EXTENSIONS);
        long singleFp = deviceLong(id, CL.CL_DEVICE_SINGLE_FP_CONFIG);
        long doubleFp = deviceLong(id, CL.CL_DEVICE_DOUBLE_FP_CONFIG);
        return new DeviceInfo(p, d, platformString(platform, CL.CL_PLATFORM_NAME),
                platformString(platform, CL.CL_PLATFORM_VERSION),
                deviceString(id, CL.CL_DEVICE_NAME), deviceString(id, CL.CL_DEVICE_VENDOR), category,
                deviceString(id, CL.CL_DEVICE_VERSION), deviceString(id, CL.CL_DRIVER_VERSION),
                deviceString(id, CL.CL_DEVICE_OPENCL_C_VERSION),
                deviceInt(id, CL.CL_DEVICE_MAX_COMPUTE_UNITS), deviceInt(id, CL.CL_DEVICE_MAX_CLOCK_FREQUENCY),
                deviceLong(id, CL.CL_DEVICE_GLOBAL_MEM_SIZE), deviceLong(id, CL.CL_DEVICE_LOCAL_MEM_SIZE),
                deviceLong(id, CL.CL_DEVICE_MAX_MEM_ALLOC_SIZE), (int) deviceLong(id, CL.CL_DEVICE_MAX_WORK_GROUP_SIZE),
                doubleFp != 0 || extensions.contains("cl_khr_fp64"), extensions.contains("cl_khr_fp16"),
                (singleFp & CL.CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT) != 0,
                deviceInt(id, CL.CL_DEVICE_AVAILABLE) != 0, deviceInt(id, CL.CL_DEVICE_COMPILER_AVAILABLE) != 0);
    }

    static String deviceString(cl_device_id id, int param) {
        long[] size = new long[1];
        if (CL.clGetDeviceInfo(id, param, 0, null, size) != CL.CL_SUCCESS || size[0] == 0) {
            return "";
        }
        byte[] bytes = new byte[(int) size[0]];
        if (CL.clGetDeviceInfo(id, param, bytes.length, Pointer.to(bytes), null) != CL.CL_SUCCESS) {
            return "";
        }
        return cString(bytes);
    }

    static String platformString(cl_platform_id id, int param) {
        long[] size = new long[1];
        if (CL.clGetPlatformInfo(id, param, 0, null, size) != CL.CL_SUCCESS || size[0] == 0) {
            return "";
        }
        byte[] bytes = new byte[(int) size[0]];
        if (CL.clGetPlatformInfo(id, param, bytes.length, Pointer.to(bytes), null) != CL.CL_SUCCESS) {
            return "";
        }
        return cString(bytes);
    }

    private static String cString(byte[] bytes) {
        int len = 0;
        while (len < bytes.length && bytes[len] != 0) {
            len++;
        }
        return new String(bytes, 0, len, StandardCharsets.UTF_8).strip();
    }

    /** Reads an unsigned integer parameter of 4 or 8 bytes, whichever the driver returns; 0 on failure. */
    private static long deviceLong(cl_device_id id, int param) {
        long[] size = new long[1];
        if (CL.clGetDeviceInfo(id, param, 0, null, size) != CL.CL_SUCCESS || size[0] <= 0 || size[0] > 8) {
            return 0;
        }
        ByteBuffer buf = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
        if (CL.clGetDeviceInfo(id, param, size[0], Pointer.to(buf), null) != CL.CL_SUCCESS) {
            return 0;
        }
        return size[0] == 8 ? buf.getLong(0) : size[0] == 4 ? buf.getInt(0) & 0xffffffffL : buf.get(0) & 0xffL;
    }

    private static int deviceInt(cl_device_id id, int param) {
        return (int) deviceLong(id, param);
    }

}
