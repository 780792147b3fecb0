package dev.soma.opencl;

import dev.soma.AbstractBackend;
import dev.soma.AbstractTensor;
import dev.soma.Activation;
import dev.soma.ActivationFunction;
import dev.soma.BackendInfo;
import dev.soma.Leaks;
import dev.soma.Precision;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One OpenCL device: its context, an in-order queue, the programs built for it (once each, on first
 * use, cached by options) and the device buffers of its tensors.
 *
 * <p>Launches are serialised by one lock, because {@code clSetKernelArg} on a shared kernel is not
 * thread-safe; everything else may run concurrently.
 */
public final class OpenClBackend extends AbstractBackend<OpenClBackend.ClTensor> {

    static final String ACTIVATIONS = "activations.cl";
    static final String SOFTMAX = "softmax.cl";
    static final String BASELINES = "baselines.cl";
    /**
     * System property choosing the softmax kernels: {@code auto} (split on CPUs, a work-group per row
     * elsewhere), {@code split} or {@code group}. Read when a backend opens; tests use it to cover both.
     */
    public static final String ROW_KERNELS_PROPERTY = "soma.rowKernels";
    /** System property: extra OpenCL build options appended to soma's own, read when a backend opens. */
    public static final String EXTRA_OPTIONS_PROPERTY = "soma.opencl.options";
    /**
     * System property: a smaller per-buffer limit in bytes than the device's
     * {@code CL_DEVICE_MAX_MEM_ALLOC_SIZE}, read when a backend opens; for tests of the chunked paths.
     */
    public static final String MAX_ALLOCATION_PROPERTY = "soma.opencl.maxAllocation";
    /** Work-items per group for element-wise kernels (clamped to the device's maximum). */
    private static final int ELEMENTWISE_GROUP = 256;

    private final Discovery.Device device;
    private final KernelSources sources;
    private final BackendInfo info;
    private final Precision precision;
    private final cl_context context;
    private final cl_command_queue queue;
    private final Leaks.Handle handle;
    private final String baseOptions;
    private final int elementwiseGroup;
    private final int softmaxGroup;
    private final Map<String, Program> programs = new ConcurrentHashMap<>();
    /** The program text of each list of files ("a.cl+b.cl") and its {@link BinaryCache#hash}, made once. */
    private final Map<String, String[]> sourceTexts = new ConcurrentHashMap<>();
    /** The text of each kernel file, read once ({@link #sources} reads through it). */
    private final Map<String, String> fileTexts = new ConcurrentHashMap<>();
    private final Object launchLock = new Object();
    private final cl_mem noSlopes;
    private final boolean splitRows;
    private final cl_mem[] scratch = new cl_mem[3];
    private final long[] scratchBytes = new long[3];
    /** Device buffers created and not yet released (see {@link #liveBuffers()}). */
    private final AtomicInteger liveBuffers = new AtomicInteger();
    private final AtomicInteger peakBuffers = new AtomicInteger();
    /** Set while ClGemm runs on this thread: counts the temporary buffers it makes (and releases itself). */
    private static final ThreadLocal<int[]> GEMM_TEMPORARIES = new ThreadLocal<>();
    /** Operations in a row that ended in an OpenCL error (see {@link DeviceHealth}). */
    private final AtomicInteger failures = new AtomicInteger();
    private final String deviceName;
    /** Bytes one buffer may hold: the device's limit, or less by {@link #MAX_ALLOCATION_PROPERTY}. */
    private final long maxAllocation;
    private final String maxAllocationSource;
    /** The kernel parameters in use (see {@link Tuning}), and where they came from. */
    private volatile Tuning tuning;
    private volatile String tuningOrigin;

    /**
     * Opens {@code device}. Programs are built when an operation first needs them; the one exception
     * is a check that the device's compiler builds soma's kernels (one small program), so that a
     * device that cannot is found out here (and skipped by automatic selection) rather than later. The
     * check is made once per device, driver and kernel source: when the {@link BinaryCache} holds that
     * program, it compiled here before and nothing is built (with the cache off, every open checks).
     *
     * @throws OpenClException when the context or queue cannot be made, or the check fails
     */
    public static OpenClBackend open(Discovery.Device device, KernelSources sources, Precision precision,
                                     String requested, List<String> fallbacks) {
        if (precision == Precision.EXACT && !device.info().fp64()) {
            throw new OpenClException("precision exact", CL.CL_INVALID_DEVICE,
                    "precision exact needs double precision (cl_khr_fp64), which " + device.info().name()
                    + " lacks; use precision fast there");
        }
        BinaryCache.checkSettings();
        OpenClBackend b = new OpenClBackend(device, sources, precision, requested, fallbacks);
        try {
            String check = activationOptions(Activation.SIGMOID, false);
            if (!BinaryCache.has(device.id(), b.source(ACTIVATIONS)[1],
                    b.allOptions(b.tuning.elemItems(), check, ACTIVATIONS))) {
                b.program(ACTIVATIONS, check);
            }
            return b;
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
    }

    private OpenClBackend(Discovery.Device device, KernelSources sources, Precision precision, String requested,
                          List<String> fallbacks) {
        super(ClTensor.class);
        this.device = device;
        // each kernel file read once per backend: programs share the prelude and activations.cl, and the
        // tuning store's key hashes the files too
        this.sources = file -> fileTexts.computeIfAbsent(file, sources::load);
        this.precision = precision;
        DeviceInfo d = device.info();
        this.deviceName = d.name();
        long limit = d.maxAllocation() > 0 ? d.maxAllocation() : Long.MAX_VALUE;
        String lower = System.getProperty(MAX_ALLOCATION_PROPERTY, "").strip();
        long asked = Long.MAX_VALUE;
        if (!lower.isEmpty()) {
            try {
                asked = Long.parseLong(lower);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(MAX_ALLOCATION_PROPERTY + "=" + lower + ": not a number of bytes");
            }
        }
        if (asked < limit) {
            limit = Math.max(Sizeof.cl_double, asked);
            this.maxAllocationSource = MAX_ALLOCATION_PROPERTY + " = " + limit;
        } else {
            this.maxAllocationSource = "CL_DEVICE_MAX_MEM_ALLOC_SIZE = " + limit;
        }
        this.maxAllocation = limit;
        this.info = new BackendInfo(BackendInfo.Kind.OPENCL, d.name(), d.platformName(), d.selector(), requested,
                fallbacks);
        int[] status = new int[1];
        cl_context_properties props = new cl_context_properties();
        props.addProperty(CL.CL_CONTEXT_PLATFORM, device.platform());
        cl_context ctx = CL.clCreateContext(props, 1, new org.jocl.cl_device_id[] {device.id()}, null, null, status);
        OpenClException.check(status[0], "clCreateContext");
        @SuppressWarnings("deprecation")
        cl_command_queue q = CL.clCreateCommandQueue(ctx, device.id(), 0, status);
        if (status[0] != CL.CL_SUCCESS) {
            CL.clReleaseContext(ctx);
            throw new OpenClException("clCreateCommandQueue", status[0]);
        }
        this.context = ctx;
        this.queue = q;
        this.handle = Leaks.register(this, "OpenCL context on " + d.name(), () -> {
            CL.clReleaseCommandQueue(q);
            CL.clReleaseContext(ctx);
        });
        StringBuilder opts = new StringBuilder("-DREAL=float");
        opts.append(precision == Precision.EXACT ? " -DACC=double -DSOMA_FP64=1" : " -DACC=float -DSOMA_FP64=0");
        if (d.correctlyRoundedDivideSqrt()) {
            opts.append(" -cl-fp32-correctly-rounded-divide-sqrt");
        }
        String extra = System.getProperty(EXTRA_OPTIONS_PROPERTY, "").strip();
        if (!extra.isEmpty()) {
            opts.append(' ').append(extra);
        }
        this.baseOptions = opts.toString();
        int maxGroup = Math.max(1, d.maxWorkGroupSize());
        this.elementwiseGroup = Math.min(ELEMENTWISE_GROUP, Integer.highestOneBit(maxGroup));
        this.softmaxGroup = Math.min(256, Integer.highestOneBit(maxGroup));
        String rowKernels = System.getProperty(ROW_KERNELS_PROPERTY, "auto");
        switch (rowKernels) {
            case "auto": this.splitRows = d.category() == DeviceInfo.Category.CPU; break;
            case "split": this.splitRows = true; break;
            case "group": this.splitRows = false; break;
            default: throw new IllegalArgumentException(ROW_KERNELS_PROPERTY + "=" + rowKernels
                    + ": use auto, split or group");
        }
        TuningStore.Found found = TuningStore.read(d, this.sources);
        if (found.tuning() != null) {
            this.tuning = found.tuning();
            this.tuningOrigin = "tuned (" + found.file() + ")";
        } else {
            this.tuning = Tuning.defaults(d);
            this.tuningOrigin = "defaults for " + (d.category() == DeviceInfo.Category.CPU ? "a CPU" : "a GPU")
                    + " device (" + (found.file() == null ? "program cache off: no tuning is read"
                    : found.problem() != null ? "stored tuning ignored: " + found.problem()
                    : "not tuned: scripts/soma tune") + ")";
        }
        this.noSlopes = createBuffer(Sizeof.cl_float, Pointer.to(new float[1]), CL.CL_MEM_COPY_HOST_PTR);
    }

    /** The kernel parameters this backend uses: the tuner's for this device when stored, else the defaults. */
    public Tuning tuning() {
        return tuning;
    }

    /** Where {@link #tuning()} came from: the stored file, or why the defaults are used. */
    public String tuningOrigin() {
        return tuningOrigin;
    }

    /**
     * Uses {@code t} for the kernels launched from now on (the tuner and the tuning benchmark compare
     * settings on one backend this way); programs are built per setting, on first use. Each operation
     * reads the setting once, so a call running on another thread keeps the one it started with.
     */
    public void useTuning(Tuning t, String origin) {
        checkOpen();
        this.tuning = java.util.Objects.requireNonNull(t, "tuning");
        this.tuningOrigin = origin;
    }

    /** The kernel sources this backend builds from. */
    KernelSources sources() {
        return sources;
    }

    @Override
    public BackendInfo info() {
        return info;
    }

    @Override
    public Precision precision() {
        return precision;
    }

    /** The device this backend runs on. */
    public DeviceInfo device() {
        return device.info();
    }

    /** The options every program is built with (element and accumulator types, rounding). */
    public String buildOptions() {
        return baseOptions;
    }

    static String activationOptions(Activation a, boolean derivative) {
        return "-DACT=" + a.id() + " -DDERIV=" + (derivative ? 1 : 0);
    }

    /** The program of {@code family} built with {@code options}; built on first use, then cached. */
    Program program(String family, String options) {
        return program(options, new String[] {family});
    }

    /**
     * The program made of {@code files} (after the prelude) built with {@code options}; built once, then
     * cached. The element-wise program (activations.cl alone) gets the tuning's elements per work-item.
     */
    Program program(String options, String... files) {
        return program(tuning.elemItems(), options, files);
    }

    /** {@link #program(String, String...)} with {@code items} elements per work-item for the element-wise program. */
    private Program program(int items, String options, String... files) {
        checkOpen();
        String all = allOptions(items, options, files);
        String name = String.join("+", files);
        return programs.computeIfAbsent(name + " " + all, k -> {
            String[] source = source(files);
            return Program.build(context, device.id(), deviceName, name, source[0], source[1], all);
        });
    }

    /** Every option the program of {@code files} is built with: base, {@code options}, and the element-wise items. */
    private String allOptions(int items, String options, String... files) {
        return baseOptions + " " + options
                + (items > 1 && files.length == 1 && files[0].equals(ACTIVATIONS) ? " -DSOMA_ITEMS=" + items : "");
    }

    /** The program text made of {@code files} and its hash, made once per backend. */
    private String[] source(String... files) {
        return sourceTexts.computeIfAbsent(String.join("+", files), k -> {
            String text = sources.program(files);
            return new String[] {text, BinaryCache.hash(text.getBytes(java.nio.charset.StandardCharsets.UTF_8))};
        });
    }

    /** The programs built so far. */
    List<Program> builtPrograms() {
        return List.copyOf(programs.values());
    }

    /** The files and full build options of every program built so far (for tests). */
    java.util.Set<String> programKeys() {
        return java.util.Set.copyOf(programs.keySet());
    }

    /** Builds, or loads from the program binary cache, every program this backend can use ({@link ClWarmup}). */
    @Override
    public dev.soma.Warmup warmup() {
        checkOpen();
        return ClWarmup.run(this, programs::size);
    }

    /** {@link #warmup()} for the programs of {@code activations} only, the dense ones when {@code dense} (for tests). */
    dev.soma.Warmup warmup(List<Activation> activations, boolean dense) {
        checkOpen();
        return ClWarmup.run(this, programs::size, activations, dense);
    }

    /** Held while setting kernel arguments and enqueueing ({@code clSetKernelArg} is not thread-safe). */
    Object launchLock() {
        return launchLock;
    }

    /**
     * The queue, for a kernel launch under the launch lock (ClGemm's): consults the fault hook as that
     * launch, so that a fault can be injected into it like into this class's own launches.
     */
    cl_command_queue queue() {
        Faults.check(deviceName, "clEnqueueNDRangeKernel");
        return queue;
    }

    @Override
    protected ClTensor newTensor(int rows, int cols, float[] data) {
        long bytes = Math.max(1L, (long) rows * cols) * Sizeof.cl_float;
        if (bytes > maxAllocation) {
            throw new IllegalArgumentException("tensor " + rows + " x " + cols + " needs " + bytes + " bytes, more than "
                    + device.info().name() + " can allocate at once (" + maxAllocationSource + ")");
        }
        cl_mem mem;
        if (data != null && data.length > 0) {
            mem = createBuffer(bytes, Pointer.to(data), CL.CL_MEM_COPY_HOST_PTR);
        } else {
            mem = createBuffer(bytes, null, 0);
            int st = Faults.status(deviceName, "clEnqueueFillBuffer");
            if (st == CL.CL_SUCCESS) {
                synchronized (launchLock) {
                    st = CL.clEnqueueFillBuffer(queue, mem, Pointer.to(new float[1]), Sizeof.cl_float, 0, bytes, 0,
                            null, null);
                }
            }
            if (st != CL.CL_SUCCESS) {
                releaseBuffer(mem);
                throw new OpenClException("clEnqueueFillBuffer", st);
            }
        }
        return new ClTensor(this, rows, cols, mem);
    }

    cl_mem createBuffer(long bytes, Pointer host, long extraFlags) {
        Faults.check(deviceName, "clCreateBuffer");
        int[] status = new int[1];
        cl_mem mem = CL.clCreateBuffer(context, CL.CL_MEM_READ_WRITE | extraFlags, bytes, host, status);
        OpenClException.check(status[0], "clCreateBuffer");
        peakBuffers.accumulateAndGet(liveBuffers.incrementAndGet(), Math::max);
        int[] temporaries = GEMM_TEMPORARIES.get();
        if (temporaries != null) {
            temporaries[0]++;
        }
        return mem;
    }

    /** Releases a buffer made by {@link #createBuffer} (the driver frees it once queued commands using it have run). */
    void releaseBuffer(cl_mem mem) {
        CL.clReleaseMemObject(mem);
        liveBuffers.decrementAndGet();
    }

    /**
     * Device buffers this backend has created and not yet released: tensors, scratch and temporary
     * argument buffers. For tests and diagnostics; 0 once the backend is closed. Counted in Java, not
     * through the driver's destructor callbacks: those run Java code on a driver thread, which can
     * deadlock with a blocking read that holds a JNI critical array while the JVM needs to collect.
     */
    public int liveBuffers() {
        return liveBuffers.get();
    }

    /** The largest {@link #liveBuffers()} seen since the backend opened. */
    public int peakBuffers() {
        return peakBuffers.get();
    }

    @Override
    protected void doElementwise(ActivationFunction f, boolean derivative, ClTensor x, ClTensor y) {
        Activation a = f.activation();
        float[] slopes = f.slopes();
        float p0 = f.param(0);
        if (a == Activation.PRELU && slopes.length == 1) {
            // one slope for every column is leaky_relu with that slope: the same formula, 1-D
            a = Activation.LEAKY_RELU;
            p0 = slopes[0];
            slopes = null;
        }
        // a first parameter of 1 (most functions' default) gets its own program, where it folds away
        int items = tuning.elemItems(); // once: the program and the launch must agree
        Program p = program(items, activationOptions(a, derivative) + (p0 == 1f ? " -DSOMA_P0_ONE=1" : ""),
                ACTIVATIONS);
        cl_mem slopeMem = slopes == null ? noSlopes
                : createBuffer((long) slopes.length * Sizeof.cl_float, Pointer.to(slopes), CL.CL_MEM_COPY_HOST_PTR);
        try {
            int n = (int) x.size();
            synchronized (launchLock) {
                cl_kernel k = p.kernel("soma_activation");
                arg(k, 0, x.mem);
                arg(k, 1, y.mem);
                uintArg(k, 2, n);
                floatArg(k, 3, p0);
                floatArg(k, 4, f.param(1));
                arg(k, 5, slopeMem);
                uintArg(k, 6, slopes == null ? 1 : slopes.length);
                ulongArg(k, 7, f.seed());
                ulongArg(k, 8, 0L);
                if (slopes == null) { // items elements per work-item: n / items work-items, rounded up
                    launch(k, roundUp((n + (long) items - 1) / items, elementwiseGroup), elementwiseGroup);
                } else { // one slope per column: a 2-D range, column and row (see activations.cl)
                    launchRowsByColumns(k, x.rows(), x.cols());
                }
            }
        } finally {
            if (slopeMem != noSlopes) {
                releaseBuffer(slopeMem); // the queue holds its own reference until the kernel ran
            }
        }
    }

    /**
     * Runs one of the reference kernels of {@code baselines.cl} ({@code copy}, {@code sigmoid}) from x
     * into y, for benchmarks that compare soma with the plain kernel a user would write.
     */
    public void baseline(String name, dev.soma.Tensor x, dev.soma.Tensor y) {
        ClTensor xt = own(x, "x");
        ClTensor yt = own(y, "y");
        dev.soma.Checks.sameShape(x, "x", y, "y");
        Program p = program(BASELINES, "");
        int n = (int) x.size();
        synchronized (launchLock) {
            cl_kernel k = p.kernel("soma_baseline_" + name);
            arg(k, 0, xt.mem);
            arg(k, 1, yt.mem);
            uintArg(k, 2, n);
            launch(k, roundUp(n, elementwiseGroup), elementwiseGroup);
        }
    }

    @Override
    protected void doGemm(ClTensor a, boolean transA, ClTensor b, boolean transB, int m, int n, int k, float alpha,
                          ClTensor c, dev.soma.Broadcast mode, float beta, ActivationFunction f, ClTensor y) {
        int[] temporaries = new int[1];
        GEMM_TEMPORARIES.set(temporaries);
        try {
            ClGemm.gemm(this, a, transA, b, transB, m, n, k, alpha, c, mode, beta, f, y);
        } finally { // ClGemm releases its own temporaries (clReleaseMemObject in a finally): uncount them
            GEMM_TEMPORARIES.remove();
            liveBuffers.addAndGet(-temporaries[0]);
        }
    }

    @Override
    protected void doSoftmax(ClTensor x, ClTensor y, boolean log) {
        int rows = x.rows();
        int cols = x.cols();
        Program p = program(SOFTMAX, softmaxOptions(log));
        synchronized (launchLock) {
            if (!splitRows() || (long) rows * cols > maxElements(true)) { // no room for the split kernels' scratch
                launchRows(p.kernel("soma_softmax_group"), rows, cols, x.mem, y.mem);
                return;
            }
            if (rowVectors(rows)) {
                launchRowVectors(p.kernel("soma_softmax_rows"), rows, cols, x.mem, y.mem);
                return;
            }
            cl_mem stat = scratch(0, rows);
            cl_mem scale = scratch(1, rows);
            cl_mem e = scratch(2, (long) rows * cols);
            launchPerRow(p.kernel("soma_softmax_rowmax"), rows, cols, x.mem, stat);
            launchPerElement(p.kernel("soma_softmax_exp"), rows, cols, x.mem, stat, e);
            launchPerRow(p.kernel("soma_softmax_rowsum"), rows, cols, x.mem, stat, e, scale);
            launchPerElement(p.kernel("soma_softmax_finish"), rows, cols, x.mem, stat, scale, e, y.mem);
        }
    }

    @Override
    protected void doSoftmaxBackward(ClTensor y, ClTensor dy, ClTensor dx, boolean log) {
        int rows = y.rows();
        int cols = y.cols();
        Program p = program(SOFTMAX, softmaxOptions(log));
        synchronized (launchLock) {
            if (!splitRows()) {
                launchRows(p.kernel("soma_softmax_backward_group"), rows, cols, y.mem, dy.mem, dx.mem);
                return;
            }
            if (rowVectors(rows)) {
                launchRowVectors(p.kernel("soma_softmax_backward_rows"), rows, cols, y.mem, dy.mem, dx.mem);
                return;
            }
            cl_mem stat = scratch(0, rows);
            launchPerRow(p.kernel("soma_softmax_backward_rowsum"), rows, cols, y.mem, dy.mem, stat);
            launchPerElement(p.kernel("soma_softmax_backward_finish"), rows, cols, y.mem, dy.mem, stat, dx.mem);
        }
    }

    private String softmaxOptions(boolean log) {
        return "-DLOG=" + (log ? 1 : 0) + " -DWG=" + softmaxGroup;
    }

    /**
     * CPUs vectorise across work-items, never inside one: there the row functions run as per-row
     * loops of cheap operations plus element-wise kernels for the exponentials (the "split" kernels
     * of softmax.cl; at precision fast one work-item per row in explicit float16 instead, the
     * "rows" kernels). Other devices give each row a work-group.
     */
    private boolean splitRows() {
        return splitRows;
    }

    /**
     * Whether the float16 one-row-per-item kernels serve: at precision fast, and with at least two
     * rows per compute unit (fewer rows, e.g. one very wide row, would leave cores idle: the split
     * kernels spread every row's exponentials over all of them).
     */
    private boolean rowVectors(int rows) {
        return precision != Precision.EXACT && rows >= 2 * Math.max(1, device.info().computeUnits());
    }

    /**
     * The most elements one tensor may hold ({@code rowwise}: one softmax, which on the split kernels
     * also needs an accumulator per element); the host-array calls split longer arrays.
     */
    @Override
    protected long maxElements(boolean rowwise) {
        return maxAllocation / (rowwise && splitRows() ? accumulatorBytes() : Sizeof.cl_float);
    }

    /** The size of ACC: double at precision exact, float at fast. */
    private int accumulatorBytes() {
        return precision == Precision.EXACT ? Sizeof.cl_double : Sizeof.cl_float;
    }

    /** A device scratch buffer of at least {@code elements} accumulators, kept and grown per slot. Needs the launch lock. */
    private cl_mem scratch(int slot, long elements) {
        long bytes = Math.max(1, elements) * accumulatorBytes();
        if (scratchBytes[slot] < bytes) {
            if (scratch[slot] != null) {
                releaseBuffer(scratch[slot]); // freed once the queued kernels using it have run
            }
            scratch[slot] = null;
            scratch[slot] = createBuffer(bytes, null, 0);
            scratchBytes[slot] = bytes;
        }
        return scratch[slot];
    }

    private void launchRows(cl_kernel k, int rows, int cols, cl_mem... buffers) {
        int i = args(k, buffers);
        uintArg(k, i++, rows);
        uintArg(k, i, cols);
        launch(k, (long) rows * softmaxGroup, softmaxGroup);
    }

    /**
     * One work-item per row (the float16 kernel of softmax.cl), in groups small enough that every
     * compute unit gets several.
     */
    private void launchRowVectors(cl_kernel k, int rows, int cols, cl_mem... buffers) {
        int i = args(k, buffers);
        uintArg(k, i++, rows);
        uintArg(k, i, cols);
        int units = Math.max(1, device.info().computeUnits());
        int group = Math.min(elementwiseGroup, Math.min(16, Integer.highestOneBit(Math.max(1, rows / (4 * units)))));
        launch(k, roundUp(rows, group), group);
    }

    private void launchPerRow(cl_kernel k, int rows, int cols, cl_mem... buffers) {
        int i = args(k, buffers);
        uintArg(k, i++, rows);
        uintArg(k, i, cols);
        launch(k, rows, 0);
    }

    /** A 2-D range: dimension 0 the column, dimension 1 the row. */
    private void launchPerElement(cl_kernel k, int rows, int cols, cl_mem... buffers) {
        int i = args(k, buffers);
        uintArg(k, i++, rows);
        uintArg(k, i, cols);
        launchRowsByColumns(k, rows, cols);
    }

    /** A 2-D range over a rows × cols matrix: dimension 0 the column (grouped), dimension 1 the row. */
    private void launchRowsByColumns(cl_kernel k, int rows, int cols) {
        int group = Math.min(elementwiseGroup, Integer.highestOneBit(cols));
        Faults.check(deviceName, "clEnqueueNDRangeKernel");
        OpenClException.check(CL.clEnqueueNDRangeKernel(queue, k, 2, null, new long[] {roundUp(cols, group), rows},
                new long[] {group, 1}, 0, null, null), "clEnqueueNDRangeKernel");
    }

    private static int args(cl_kernel k, cl_mem... buffers) {
        int i = 0;
        for (cl_mem m : buffers) {
            arg(k, i++, m);
        }
        return i;
    }

    static void arg(cl_kernel k, int index, cl_mem mem) {
        Faults.check(null, "clSetKernelArg");
        OpenClException.check(CL.clSetKernelArg(k, index, Sizeof.cl_mem, Pointer.to(mem)), "clSetKernelArg");
    }

    static void uintArg(cl_kernel k, int index, int value) {
        Faults.check(null, "clSetKernelArg");
        OpenClException.check(CL.clSetKernelArg(k, index, Sizeof.cl_uint, Pointer.to(new int[] {value})),
                "clSetKernelArg");
    }

    static void floatArg(cl_kernel k, int index, float value) {
        Faults.check(null, "clSetKernelArg");
        OpenClException.check(CL.clSetKernelArg(k, index, Sizeof.cl_float, Pointer.to(new float[] {value})),
                "clSetKernelArg");
    }

    static void ulongArg(cl_kernel k, int index, long value) {
        Faults.check(null, "clSetKernelArg");
        OpenClException.check(CL.clSetKernelArg(k, index, Sizeof.cl_ulong, Pointer.to(new long[] {value})),
                "clSetKernelArg");
    }

    void launch(cl_kernel k, long global, int local) {
        Faults.check(deviceName, "clEnqueueNDRangeKernel");
        int st = CL.clEnqueueNDRangeKernel(queue, k, 1, null, new long[] {global},
                local > 0 ? new long[] {local} : null, 0, null, null);
        OpenClException.check(st, "clEnqueueNDRangeKernel");
    }

    static long roundUp(long n, int multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }

    /** Waits until every command queued so far has finished. */
    public void finish() {
        checkOpen();
        Faults.check(deviceName, "clFinish");
        OpenClException.check(CL.clFinish(queue), "clFinish");
    }

    @Override
    protected void outcome(boolean allocation, RuntimeException failure) {
        if (failure == null) {
            if (!allocation && failures.get() != 0) { // a device may allocate long after it stopped running kernels
                failures.set(0);
            }
        } else if (failure instanceof OpenClException e) {
            DeviceHealth.failing(device.info(), failures.incrementAndGet(), e);
        }
    }

    @Override
    protected void closeResources() {
        CL.clFinish(queue); // let queued commands drop their buffer references first; a failure changes nothing here
        programs.values().forEach(Program::close);
        programs.clear();
        releaseBuffer(noSlopes);
        for (cl_mem m : scratch) {
            if (m != null) {
                releaseBuffer(m);
            }
        }
        handle.close();
    }

    /** A tensor in device memory. */
    public static final class ClTensor extends AbstractTensor {
        final cl_mem mem;
        private final OpenClBackend owner;

        ClTensor(OpenClBackend backend, int rows, int cols, cl_mem mem) {
            super(backend, rows, cols, () -> backend.releaseBuffer(mem));
            this.mem = mem;
            this.owner = backend;
        }

        @Override
        protected void read(float[] dst) {
            if (dst.length == 0) {
                return;
            }
            Faults.check(owner.deviceName, "clEnqueueReadBuffer");
            OpenClException.check(CL.clEnqueueReadBuffer(owner.queue, mem, CL.CL_TRUE, 0,
                    (long) dst.length * Sizeof.cl_float, Pointer.to(dst), 0, null, null), "clEnqueueReadBuffer");
        }

        @Override
        protected void write(float[] src) {
            if (src.length == 0) {
                return;
            }
            Faults.check(owner.deviceName, "clEnqueueWriteBuffer");
            OpenClException.check(CL.clEnqueueWriteBuffer(owner.queue, mem, CL.CL_TRUE, 0,
                    (long) src.length * Sizeof.cl_float, Pointer.to(src), 0, null, null), "clEnqueueWriteBuffer");
        }
    }
}
