package dev.soma.opencl;

/**
 * What soma knows of one OpenCL device: enough to rank it and for the probe to show it.
 *
 * @param platformIndex  index of the platform in {@code clGetPlatformIDs}' order
 * @param deviceIndex    index of the device within its platform
 * @param category       where it stands in the ranking
 * @param globalMemory   bytes
 * @param localMemory    bytes
 * @param maxAllocation  bytes, {@code CL_DEVICE_MAX_MEM_ALLOC_SIZE}
 * @param clockMHz       {@code CL_DEVICE_MAX_CLOCK_FREQUENCY}
 * @param correctlyRoundedDivideSqrt whether {@code -cl-fp32-correctly-rounded-divide-sqrt} is supported
 */
public record DeviceInfo(int platformIndex, int deviceIndex, String platformName, String platformVersion,
                         String name, String vendor, Category category, String version, String driverVersion,
                         String openClCVersion, int computeUnits, int clockMHz, long globalMemory, long localMemory,
                         long maxAllocation, int maxWorkGroupSize, boolean fp64, boolean fp16,
                         boolean correctlyRoundedDivideSqrt, boolean available, boolean compilerAvailable) {

    /**
     * The ranking, best first: a discrete GPU, an integrated GPU (one that shares host memory), an
     * accelerator, a CPU OpenCL implementation. The pure-Java path comes after all of them.
     */
    public enum Category {
        DISCRETE_GPU("discrete GPU"),
        INTEGRATED_GPU("integrated GPU"),
        ACCELERATOR("accelerator"),
        CPU("CPU"),
        OTHER("other");

        private final String label;

        Category(String label) {
            this.label = label;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    /** The {@code soma.device} value that selects exactly this device. */
    public String selector() {
        return platformIndex + ":" + deviceIndex;
    }

    public boolean isGpu() {
        return category == Category.DISCRETE_GPU || category == Category.INTEGRATED_GPU;
    }

    @Override
    public String toString() {
        return name.strip() + " [" + category + ", " + platformName.strip() + ", " + selector() + "]";
    }
}
