package dev.soma.opencl;

import dev.soma.Activation;
import dev.soma.Backend;
import dev.soma.BackendInfo;
import dev.soma.Leaks;
import dev.soma.Network;
import dev.soma.Soma;
import dev.soma.Tensor;
import dev.soma.WeightLayout;
import dev.soma.reference.Backends;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Faults mid-run, through the {@link Faults} hook. For every operation below, the OpenCL calls it
 * makes are recorded once; then the operation runs again once per recorded call, with that call
 * failing. Each time: the operation throws {@link OpenClException} naming that call and the injected
 * status; the device buffers, registered native resources and tensors are what they were before
 * ({@link OpenClBackend#liveBuffers()}); the caller's arrays are untouched; and the
 * very next call, without faults, gives bit for bit the fault-free result. Program builds fail the
 * same way, and a device that keeps failing is passed over by {@code auto}, logged once.
 */
class FaultInjectionTest {

    /** The statuses injected, in turn: what a driver says when memory or the device gives out. */
    private static final int[] STATUSES = {-5 /* CL_OUT_OF_RESOURCES */, -4 /* CL_MEM_OBJECT_ALLOCATION_FAILURE */,
        -6 /* CL_OUT_OF_HOST_MEMORY */, -36 /* CL_INVALID_COMMAND_QUEUE */};

    private static final float[] X = new float[32];       // 4 x 8, the caller's input
    private static final float[] SLOPES8 = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f};
    private static final float[] SLOPES5 = {0.05f, 0.1f, 0.15f, 0.2f, 0.25f};
    private static final float[] W = new float[40];       // 5 x 8
    private static final float[] BIAS = {0.5f, -0.5f, 0.25f, -0.25f, 0f};
    private static final float[] DY = new float[32];
    private static final List<float[]> CALLER_ARRAYS = List.of(X, SLOPES8, SLOPES5, W, BIAS, DY);
    private static final List<float[]> SNAPSHOTS = new ArrayList<>();

    private static OpenClBackend cl;
    private static Tensor tx;
    private static Tensor ty;
    private static Tensor tdy;
    private static Tensor tdx;
    private static Tensor tw;
    private static Tensor tb;
    private static Tensor tout;
    private static int injected;
    private static int operations;

    @BeforeAll
    static void open() {
        for (int i = 0; i < X.length; i++) {
            X[i] = (i % 9 - 4) * 0.75f;
            DY[i] = (i % 5 - 2) * 0.5f;
        }
        for (int i = 0; i < W.length; i++) {
            W[i] = ((i * 7) % 11 - 5) * 0.125f;
        }
        CALLER_ARRAYS.forEach(a -> SNAPSHOTS.add(a.clone()));
        List<String> selectors = Backends.openClSelectors();
        if (selectors.isEmpty()) {
            Backends.noOpenClDevice();
        }
        cl = (OpenClBackend) Backends.openCl(selectors.get(0));
        tx = cl.upload(X, 4, 8);
        ty = cl.tensor(4, 8);
        tdy = cl.upload(DY, 4, 8);
        tdx = cl.tensor(4, 8);
        tw = cl.upload(W, 5, 8);
        tb = cl.upload(BIAS, 1, 5);
        tout = cl.tensor(4, 5);
    }

    @AfterAll
    static void close() {
        Faults.install(null);
        DeviceHealth.reset();
        if (cl != null) {
            cl.close();
            System.out.printf("soma hardening: %d faults injected into %d operations on %s%n", injected, operations,
                    cl.info());
        }
    }

    @AfterEach
    void clear() {
        Faults.install(null);
        DeviceHealth.reset();
    }

    /** Fails the {@code failAt}-th hooked call (counting from 0), or the calls named {@code failing}; records all. */
    private static final class Injector implements Faults.Injector {
        final List<String> calls = new ArrayList<>();
        final int failAt;
        final String failing;
        final String device;
        final int status;
        String failed;

        Injector(int failAt, String failing, String device, int status) {
            this.failAt = failAt;
            this.failing = failing;
            this.device = device;
            this.status = status;
        }

        static Injector recorder() {
            return new Injector(-1, null, null, 0);
        }

        @Override
        public synchronized int status(String dev, String call) {
            int i = calls.size();
            calls.add(call);
            boolean hit = i == failAt || (failing != null && call.startsWith(failing)
                    && (device == null || device.equals(dev)));
            if (hit) {
                failed = call;
                return status;
            }
            return 0;
        }
    }

    private static final AtomicInteger GROWING_ROWS = new AtomicInteger(64);

    /** The operations, each returning what it computed (downloaded). */
    private static Map<String, Function<OpenClBackend, float[]>> operations() {
        Map<String, Function<OpenClBackend, float[]>> ops = new LinkedHashMap<>();
        ops.put("upload + download", b -> {
            try (Tensor t = b.upload(X, 4, 8)) {
                return t.download();
            }
        });
        ops.put("zero tensor", b -> {
            try (Tensor t = b.tensor(4, 8)) {
                return t.download();
            }
        });
        ops.put("forward gelu", b -> {
            b.forward(Activation.GELU, tx, ty);
            return ty.download();
        });
        ops.put("derivative elu", b -> {
            b.derivative(Activation.ELU.with(0.5), tx, ty);
            return ty.download();
        });
        ops.put("prelu per column", b -> {
            b.forward(Activation.prelu(SLOPES8), tx, ty);
            return ty.download();
        });
        ops.put("softmax", b -> {
            b.softmax(tx, ty);
            return ty.download();
        });
        ops.put("log-softmax backward", b -> {
            b.logSoftmax(tx, ty);
            b.logSoftmaxBackward(ty, tdy, tdx);
            return tdx.download();
        });
        ops.put("dense, bias, prelu", b -> {
            b.dense(tx, tw, WeightLayout.OUT_IN, tb, Activation.prelu(SLOPES5), tout);
            return tout.download();
        });
        ops.put("gemm", b -> {
            b.gemm(tx, false, tw, true, 0.5f, tb, 2f, tout);
            return tout.download();
        });
        ops.put("host forward", b -> b.forward(Activation.SILU, X));
        ops.put("host log-softmax", b -> b.logSoftmax(X, 4, 8));
        ops.put("tensor upload into, download into", b -> {
            ty.upload(X);
            float[] d = new float[32];
            ty.download(d);
            return d;
        });
        ops.put("network build + forward", b -> {
            try (Network n = Network.builder().dense(W, 5, 8, BIAS, Activation.TANH).dense(W, 8, 5,
                    WeightLayout.IN_OUT, null, null).softmax().build(b)) {
                return n.forward(X, 4);
            }
        });
        ops.put("softmax growing its scratch", b -> { // more rows each time: new scratch buffers each time
            int rows = GROWING_ROWS.getAndIncrement();
            float[] big = new float[rows * 8];
            for (int r = 0; r < rows; r++) {
                System.arraycopy(X, (r % 4) * 8, big, r * 8, 8);
            }
            return Arrays.copyOf(b.softmax(big, rows, 8), 32); // rows are independent: the first 4 are X's
        });
        return ops;
    }

    @Test
    void aFaultAtEachCallOfEachOperationIsCleanAndRecoverable() {
        for (Map.Entry<String, Function<OpenClBackend, float[]>> op : operations().entrySet()) {
            String name = op.getKey();
            float[] expected = op.getValue().apply(cl); // warm: programs built, scratch sized
            Injector rec = Injector.recorder();
            Faults.install(rec);
            float[] again = op.getValue().apply(cl);
            Faults.install(null);
            assertArrayEquals(expected, again, name + ": the hook alone changes nothing");
            assertTrue(!rec.calls.isEmpty(), name + " makes OpenCL calls");
            boolean ownsScratch = name.contains("scratch");
            for (int i = 0; i < rec.calls.size(); i++) {
                String at = name + ", fault at call " + i + " of " + rec.calls + " (" + rec.calls.get(i) + ")";
                int buffers0 = settledBuffers();
                long live0 = Leaks.liveCount();
                int tensors0 = cl.liveTensors();
                Injector inj = new Injector(i, null, null, STATUSES[injected % STATUSES.length]);
                Faults.install(inj);
                OpenClException e;
                try {
                    e = assertThrows(OpenClException.class, () -> op.getValue().apply(cl), at);
                } finally {
                    Faults.install(null);
                }
                injected++;
                assertEquals(rec.calls.get(i), inj.failed, at + ": the same calls in the same order");
                assertEquals(inj.failed, e.call(), at);
                assertEquals(inj.status, e.status(), at);
                assertTrue(e.getMessage().contains(e.statusName() + " (" + inj.status + ") in " + inj.failed),
                        at + ": " + e.getMessage());
                int buffers = settledBuffers();
                if (ownsScratch) { // the backend's scratch may be dropped (released before regrowing), never added
                    assertTrue(buffers <= buffers0, at + ": live buffers " + buffers0 + " -> " + buffers);
                } else {
                    assertEquals(buffers0, buffers, at + ": live device buffers");
                }
                assertEquals(live0, Leaks.liveCount(), at + ": registered native resources");
                assertEquals(tensors0, cl.liveTensors(), at + ": live tensors");
                for (int a = 0; a < CALLER_ARRAYS.size(); a++) {
                    assertArrayEquals(SNAPSHOTS.get(a), CALLER_ARRAYS.get(a), at + ": caller array " + a);
                }
                assertArrayEquals(expected, op.getValue().apply(cl), at + ": the next call works");
                operations += 2;
            }
        }
        assertTrue(injected >= 60, "faults injected: " + injected);
    }

    @Test
    void aFailedProgramBuildIsCleanAndRetried() {
        Activation[] fresh = {Activation.SOFTSIGN, Activation.ARCTAN, Activation.HARD_SWISH};
        String[] calls = {"clCreateProgramWithSource", "clBuildProgram", "clCreateKernel"};
        try (Backend java = Soma.java()) {
            for (int i = 0; i < fresh.length; i++) {
                Activation a = fresh[i];
                int buffers0 = settledBuffers();
                long live0 = Leaks.liveCount();
                Injector inj = new Injector(-1, calls[i], null, -11 /* CL_BUILD_PROGRAM_FAILURE */);
                // from source: with soma's binary cache on, an earlier run's entry would be loaded instead
                OpenClException e;
                try (CacheFolder off = CacheFolder.use("none")) {
                    Faults.install(inj);
                    e = assertThrows(OpenClException.class, () -> cl.forward(a, X));
                } finally {
                    Faults.install(null);
                }
                injected++;
                operations++;
                assertTrue(e.call().startsWith(calls[i]), e.call());
                assertEquals(-11, e.status());
                if (calls[i].equals("clBuildProgram")) {
                    BuildException be = assertInstanceOf(BuildException.class, e);
                    assertTrue(be.getMessage().contains(cl.device().name()) && be.options().contains("-DACT="),
                            be.getMessage());
                }
                assertEquals(buffers0, settledBuffers(), a + ": live buffers");
                // a program that built is kept (cached for the retry) when only its kernel failed
                assertEquals(live0 + (calls[i].equals("clCreateKernel") ? 1 : 0), Leaks.liveCount(),
                        a + ": no program or kernel left behind");
                assertArrayEquals(SNAPSHOTS.get(0), X);
                float[] y = cl.forward(a, X); // built now
                operations++;
                float[] ref = java.forward(a, X);
                for (int j = 0; j < y.length; j++) {
                    assertEquals(ref[j], y[j], 1e-5f * Math.max(1f, Math.abs(ref[j])), a + " at " + j);
                }
            }
        }
    }

    @Test
    void autoAbandonsADeviceThatKeepsFailingAndSaysSoOnce() {
        List<String> warnings = new ArrayList<>();
        Logger log = Logger.getLogger("dev.soma");
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getMessage() != null && r.getMessage().contains("keeps failing")) {
                    warnings.add(r.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(h);
        try (Backend first = Soma.open("auto")) {
            // the class has a device (see setUp): auto must pick OpenCL, or this test would pass on Java
            assertEquals(BackendInfo.Kind.OPENCL, first.info().kind(), "auto with an OpenCL device: " + first.info());
            String device = first.info().device();
            Faults.install(new Injector(-1, "clEnqueueNDRangeKernel", device, -36));
            for (int i = 0; i < 2 * DeviceHealth.ABANDON_AFTER; i++) {
                assertThrows(OpenClException.class, () -> first.forward(Activation.RELU, X));
                injected++;
                operations++;
            }
            Faults.install(null);
            assertEquals(1, warnings.size(), "logged once: " + warnings);
            assertTrue(warnings.get(0).contains(device) && warnings.get(0).contains("CL_INVALID_COMMAND_QUEUE"),
                    warnings.get(0));
            DeviceInfo info = cl.device().name().equals(device) ? cl.device() : null;
            assertNotNull(info);
            assertNotNull(DeviceHealth.abandoned(info));
            try (Backend next = Soma.open("auto")) {
                assertNotEquals(first.info().selector(), next.info().selector(), "auto took the next device");
                assertTrue(next.info().fallbackReason().contains("abandoned after"), next.info().fallbackReason());
            }
            try (Backend named = Soma.open(first.info().selector())) { // explicit: still opens it
                assertEquals(device, named.info().device());
            }
            assertArrayEquals(new float[] {0f, 2f}, first.forward(Activation.RELU, new float[] {-1f, 2f}),
                    "the device recovered: the old backend works again");
            operations++;
            assertEquals(1, warnings.size(), "still logged once: " + warnings);
            DeviceHealth.reset();
            try (Backend again = Soma.open("auto")) {
                assertEquals(first.info().selector(), again.info().selector());
            }
            // a device whose kernels fail to build while auto opens it is passed over too (its check
            // program is built at open when the program cache does not show that it built before)
            Faults.install(new Injector(-1, "clBuildProgram", device, -11));
            try (CacheFolder off = CacheFolder.use("none"); Backend other = Soma.open("auto")) {
                injected++;
                assertNotEquals(first.info().selector(), other.info().selector());
                assertTrue(other.info().fallbackReason().contains("clBuildProgram"), other.info().fallbackReason());
            }
            assertNull(DeviceHealth.abandoned(info), "a failed open is not a failing device");
        } finally {
            Faults.install(null);
            log.removeHandler(h);
        }
    }

    private static int settledBuffers() {
        cl.finish();
        return cl.liveBuffers();
    }
}
