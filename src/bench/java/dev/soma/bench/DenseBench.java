package dev.soma.bench;

import dev.soma.Backend;
import dev.soma.opencl.DeviceInfo;
import dev.soma.opencl.OpenClBackend;
import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.JavaBLAS;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.blast.CLBlast;
import org.jocl.blast.CLBlastLayout;
import org.jocl.blast.CLBlastTranspose;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_mem;
import org.jocl.cl_platform_id;

import java.io.PrintStream;

import static dev.soma.bench.BenchSupport.firstLine;
import static dev.soma.bench.BenchSupport.fmt2;
import static dev.soma.bench.DenseMeasure.relErr;

/**
 * The dense-layer benchmark ({@code scripts/bench-dense}): soma's own measurements
 * ({@link DenseMeasure}, also run by {@code soma bench --suite dense}) plus peers measured in the same
 * run on the same machine, added through {@link DenseMeasure.Peers}. The peers (CLBlast, EJML,
 * netlib) come only with the Maven profile {@code bench}.
 *
 * <ul>
 *   <li>OpenCL: soma's fused dense forward y = relu(x·Wᵀ + b) against CLBlast SGEMM (x·Wᵀ only) on
 *       the same device, through its own context and queue (target ≥ 2 on a CPU OpenCL device, ≥ 1
 *       on a GPU); square GEMM against CLBlast without a target (the OpenCL targets are for
 *       the dense forward).</li>
 *   <li>Java path (all cores): against EJML {@code CommonOps_FDRM.multTransB} / {@code mult}
 *       (single-threaded; target ≥ 5) and netlib's pure-Java {@code sgemm} (single-threaded;
 *       VectorBLAS when jdk.incubator.vector is present, else F2jBLAS; target ≥ 0.5), for the dense
 *       forward and square GEMM.</li>
 * </ul>
 *
 * <p>Method: see {@link DenseMeasure}; the peers are contestants of the same interleaved batches, and
 * a ratio is the median over batches of t(peer) / t(soma).
 */
public final class DenseBench implements DenseMeasure.Peers {

    static final double CLBLAST_TARGET_CPU = 2.0;
    static final double CLBLAST_TARGET_GPU = 1.0;
    static final double EJML_TARGET = 5.0;
    static final double NETLIB_TARGET = 0.5;

    private final BLAS netlib;
    private final String netlibNote;
    /** Held so that the level sticks: netlib logs a WARNING when its optional JNI BLAS is absent. */
    private static final java.util.logging.Logger NETLIB_LOG = java.util.logging.Logger.getLogger("dev.ludovic.netlib");
    /** The current OpenCL backend's CLBlast (null: none or unavailable) and its target. */
    private ClBlast blast;
    private double clTarget;

    private DenseBench() {
        NETLIB_LOG.setLevel(java.util.logging.Level.SEVERE);
        BLAS nb = null;
        String note;
        try {
            nb = JavaBLAS.getInstance();
            note = nb.getClass().getSimpleName();
            if (!nb.getClass().getSimpleName().contains("Vector")) {
                note += " (no Vector API: run with --add-modules jdk.incubator.vector)";
            }
        } catch (RuntimeException | LinkageError e) {
            note = "unavailable: " + e;
        }
        netlib = nb;
        netlibNote = note;
    }

    public static void main(String[] args) {
        DenseMeasure.Options opt;
        try {
            opt = DenseMeasure.Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("bench-dense: " + e.getMessage());
            System.err.println(DenseMeasure.Options.USAGE);
            System.exit(2);
            return;
        }
        if (opt.help) {
            System.out.println(DenseMeasure.Options.USAGE);
            return;
        }
        DenseMeasure.Report r = DenseMeasure.run(opt, System.out, null, new DenseBench());
        if (r.exitCode() != 0) {
            System.exit(r.exitCode());
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Peers

    @Override
    public void header(PrintStream out) {
        out.println("  peers: CLBlast (OpenCL), EJML and netlib " + netlibNote + " (Java path, single-threaded)");
    }

    @Override
    public void begin(Backend b, String label, PrintStream out) {
        if (b instanceof OpenClBackend ocl) {
            DeviceInfo dev = ocl.device();
            clTarget = dev.isGpu() ? CLBLAST_TARGET_GPU : CLBLAST_TARGET_CPU;
            out.println("   peer: CLBlast 1.5.2 SGEMM (jocl-blast) on the same device, own context and queue;"
                    + " target for the fused dense forward >= " + fmt2(clTarget)
                    + (dev.isGpu() ? " (GPU)" : " (CPU device)"));
            try {
                blast = new ClBlast(dev.platformIndex(), dev.deviceIndex());
            } catch (RuntimeException | LinkageError e) {
                out.println("   CLBlast unavailable: " + firstLine(String.valueOf(e.getMessage())));
            }
        } else {
            out.println("   peers, SINGLE-THREADED: EJML 0.43.1 CommonOps_FDRM (target >= " + fmt2(EJML_TARGET)
                    + "), netlib " + netlibNote + " sgemm (target >= " + fmt2(NETLIB_TARGET) + ")");
        }
    }

    @Override
    public void end(Backend b) {
        if (blast != null) {
            blast.close();
            blast = null;
        }
    }

    /** Per section: the peers' contestants and state, kept until {@link #after}. */
    private DenseMeasure.Contestant clPeer;
    private ClBlast.Gemm clGemm;
    private JavaPeers javaPeers;
    private DenseMeasure.Contestant ejml;
    private DenseMeasure.Contestant nl;

    @Override
    public void add(DenseMeasure.Section s) {
        boolean dense = s.kind == DenseMeasure.Kind.DENSE;
        clPeer = null;
        clGemm = null;
        javaPeers = null;
        ejml = null;
        nl = null;
        if (s.backend instanceof OpenClBackend) {
            if (blast != null) {
                clGemm = blast.gemm(s.m, s.n, s.k, dense, s.a, s.b);
                ClBlast bl = blast;
                clPeer = s.add(dense ? "CLBlast sgemm (NT, no bias)" : "CLBlast sgemm (NN)", clGemm::run, null,
                        bl::finish);
            }
        } else {
            int ws = DenseMeasure.JAVA_WARM_SIZE;
            JavaPeers p = new JavaPeers(s.m, s.n, s.k, dense, s.a, s.b);
            JavaPeers w = new JavaPeers(Math.min(s.m, ws), Math.min(s.n, ws), Math.min(s.k, ws), dense, null, null);
            javaPeers = p;
            Runnable none = () -> { };
            ejml = s.add(dense ? "EJML multTransB" : "EJML mult", p::ejml, w::ejml, none);
            nl = netlib == null ? null : s.add("netlib sgemm " + (dense ? "(T,N)" : "(N,N)"), p::netlib, w::netlib,
                    none);
        }
    }

    @Override
    public void after(DenseMeasure.Section s) {
        boolean dense = s.kind == DenseMeasure.Kind.DENSE;
        PrintStream out = s.out();
        if (s.backend instanceof OpenClBackend) {
            if (dense) {
                if (clPeer != null) {
                    s.ratio("fused dense+relu vs CLBlast sgemm", s.soma, clPeer, clTarget, false);
                } else {
                    s.error("fused dense+relu vs CLBlast sgemm", "CLBlast unavailable");
                }
                s.ratio("plain dense vs CLBlast sgemm", s.plain, clPeer, Double.NaN, false);
            } else {
                s.ratio("soma gemm vs CLBlast sgemm", s.soma, clPeer, Double.NaN, false);
            }
            if (clGemm != null) {
                float[] ref = clGemm.result();
                float[] got = (dense ? s.plainOut : s.somaOut).download();
                if (dense) {
                    for (int i = 0; i < s.m; i++) {
                        for (int j = 0; j < s.n; j++) {
                            got[i * s.n + j] -= s.bias[j];
                        }
                    }
                }
                out.println("   check: max |soma - CLBlast| / max |CLBlast| = " + relErr(got, ref));
                clGemm.close();
                clGemm = null;
            }
            return;
        }
        s.ratio("soma vs EJML (1 thread)", s.soma, ejml, EJML_TARGET, false);
        s.ratio("soma vs netlib (1 thread)", s.soma, nl, NETLIB_TARGET, false);
        JavaPeers p = javaPeers;
        float[] got = s.somaOut.download();
        if (dense) {
            float[] ref = p.ec.data.clone();
            for (int i = 0; i < s.m; i++) {
                for (int j = 0; j < s.n; j++) {
                    ref[i * s.n + j] = Math.max(0f, ref[i * s.n + j] + s.bias[j]);
                }
            }
            out.println("   check: max |soma - EJML| / max |EJML| = " + relErr(got, ref));
        } else {
            out.println("   check: max |soma - EJML| / max |EJML| = " + relErr(got, p.ec.data)
                    + (nl == null ? "" : ", max |netlib - EJML| / max |EJML| = " + relErr(p.nc, p.ec.data)));
        }
    }

    /** EJML and netlib on one problem; dense = x·Wᵀ (W n × k), else a·b (b k × n). Null data: random. */
    private final class JavaPeers {
        final int m, n, k;
        final boolean dense;
        final float[] ha, hb;
        final FMatrixRMaj ea, eb, ec;
        final float[] nc;

        JavaPeers(int m, int n, int k, boolean dense, float[] a, float[] b) {
            this.m = m;
            this.n = n;
            this.k = k;
            this.dense = dense;
            ha = a != null ? a : DenseMeasure.random(m * k, 6);
            hb = b != null ? b : DenseMeasure.random(n * k, 7);
            ea = FMatrixRMaj.wrap(m, k, ha);
            eb = dense ? FMatrixRMaj.wrap(n, k, hb) : FMatrixRMaj.wrap(k, n, hb);
            ec = new FMatrixRMaj(m, n);
            nc = new float[m * n];
        }

        void ejml() {
            if (dense) {
                CommonOps_FDRM.multTransB(ea, eb, ec);
            } else {
                CommonOps_FDRM.mult(ea, eb, ec);
            }
        }

        void netlib() {
            // Column-major BLAS on row-major arrays: yᵀ = op(b)ᵀ·aᵀ.
            if (dense) {
                netlib.sgemm("T", "N", n, m, k, 1f, hb, k, ha, k, 0f, nc, n);
            } else {
                netlib.sgemm("N", "N", n, m, k, 1f, hb, n, ha, k, 0f, nc, n);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------
    // CLBlast on its own context and queue

    static final class ClBlast implements AutoCloseable {
        final cl_context context;
        final cl_command_queue queue;

        @SuppressWarnings("deprecation")
        ClBlast(int platformIndex, int deviceIndex) {
            CL.setExceptionsEnabled(false);
            int[] count = new int[1];
            check(CL.clGetPlatformIDs(0, null, count), "clGetPlatformIDs");
            cl_platform_id[] platforms = new cl_platform_id[count[0]];
            check(CL.clGetPlatformIDs(platforms.length, platforms, null), "clGetPlatformIDs");
            cl_platform_id p = platforms[platformIndex];
            check(CL.clGetDeviceIDs(p, CL.CL_DEVICE_TYPE_ALL, 0, null, count), "clGetDeviceIDs");
            cl_device_id[] devices = new cl_device_id[count[0]];
            check(CL.clGetDeviceIDs(p, CL.CL_DEVICE_TYPE_ALL, devices.length, devices, null), "clGetDeviceIDs");
            cl_device_id d = devices[deviceIndex];
            cl_context_properties props = new cl_context_properties();
            props.addProperty(CL.CL_CONTEXT_PLATFORM, p);
            int[] err = new int[1];
            context = CL.clCreateContext(props, 1, new cl_device_id[] {d}, null, null, err);
            check(err[0], "clCreateContext");
            queue = CL.clCreateCommandQueue(context, d, 0, err);
            check(err[0], "clCreateCommandQueue");
        }

        /** Row-major C (m × n) = A (m × k) · op(B), B n × k when transB, else k × n. */
        Gemm gemm(int m, int n, int k, boolean transB, float[] a, float[] b) {
            return new Gemm(m, n, k, transB, a, b);
        }

        void finish() {
            check(CL.clFinish(queue), "clFinish");
        }

        final class Gemm implements AutoCloseable {
            final int m, n, k;
            final boolean transB;
            final cl_mem a, b, c;

            Gemm(int m, int n, int k, boolean transB, float[] ha, float[] hb) {
                this.m = m;
                this.n = n;
                this.k = k;
                this.transB = transB;
                a = buffer(ha, ha.length);
                b = buffer(hb, hb.length);
                c = buffer(null, m * n);
            }

            private cl_mem buffer(float[] data, int len) {
                int[] err = new int[1];
                long flags = CL.CL_MEM_READ_WRITE | (data != null ? CL.CL_MEM_COPY_HOST_PTR : 0);
                cl_mem mem = CL.clCreateBuffer(context, flags, (long) len * Sizeof.cl_float,
                        data == null ? null : Pointer.to(data), err);
                check(err[0], "clCreateBuffer");
                return mem;
            }

            void run() {
                int st = CLBlast.CLBlastSgemm(CLBlastLayout.CLBlastLayoutRowMajor, CLBlastTranspose.CLBlastTransposeNo,
                        transB ? CLBlastTranspose.CLBlastTransposeYes : CLBlastTranspose.CLBlastTransposeNo, m, n, k, 1f,
                        a, 0, k, b, 0, transB ? k : n, 0f, c, 0, n, queue, null);
                if (st != 0) {
                    throw new IllegalStateException("CLBlastSgemm failed: status " + st);
                }
            }

            float[] result() {
                float[] out = new float[m * n];
                check(CL.clEnqueueReadBuffer(queue, c, CL.CL_TRUE, 0, (long) out.length * Sizeof.cl_float,
                        Pointer.to(out), 0, null, null), "clEnqueueReadBuffer");
                return out;
            }

            @Override
            public void close() {
                CL.clReleaseMemObject(a);
                CL.clReleaseMemObject(b);
                CL.clReleaseMemObject(c);
            }
        }

        @Override
        public void close() {
            CL.clFinish(queue);
            CL.clReleaseCommandQueue(queue);
            CL.clReleaseContext(context);
        }

        static void check(int status, String what) {
            if (status != CL.CL_SUCCESS) {
                throw new IllegalStateException(what + " failed: " + CL.stringFor_errorCode(status));
            }
        }
    }

}
