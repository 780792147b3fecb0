package dev.soma;

import dev.soma.opencl.OpenClBackend;
import dev.soma.reference.Backends;
import dev.soma.reference.Reference;
import dev.soma.reference.Ulp;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Both families of softmax kernels on every OpenCL device, whatever the device would pick by itself:
 * the split kernels (CPUs) and the work-group-per-row kernels (GPUs), so that the GPU path is tested
 * on POCL too, at each precision the device offers. Bar: 1 ULP of the Commons Math double reference
 * at {@link Precision#EXACT} (both families sum in double and round once), else the 16 ULP.
 */
class RowKernelsTest {

    @ParameterizedTest
    @ValueSource(strings = {"split", "group"})
    void bothRowKernelFamiliesMatchTheReference(String family) {
        DeviceTests.openClSelectorsOrSkip();
        for (String label : Backends.openClLabelsWithExact()) {
            String before = System.getProperty(OpenClBackend.ROW_KERNELS_PROPERTY);
            System.setProperty(OpenClBackend.ROW_KERNELS_PROPERTY, family);
            try (Backend b = Backends.openCl(label)) {
                double bar = b.precision() == Precision.EXACT ? 1 : 16;
                check(b, family, bar);
            } finally {
                if (before == null) {
                    System.clearProperty(OpenClBackend.ROW_KERNELS_PROPERTY);
                } else {
                    System.setProperty(OpenClBackend.ROW_KERNELS_PROPERTY, before);
                }
            }
        }
    }

    private static void check(Backend b, String family, double bar) {
        Random r = new Random(11);
        for (int cols : new int[] {1, 5, 257, 4099}) {
            int rows = 6;
            float[] x = new float[rows * cols];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (r.nextGaussian() * 12);
            }
            // special rows: a NaN, two +inf, all -inf; row 4 has a dominant entry (log1p path)
            x[cols / 2] = Float.NaN;
            x[cols] = Float.POSITIVE_INFINITY;
            x[2 * cols - 1] = Float.POSITIVE_INFINITY;
            java.util.Arrays.fill(x, 2 * cols, 3 * cols, Float.NEGATIVE_INFINITY);
            x[4 * cols] = 90f;
            for (boolean log : new boolean[] {false, true}) {
                float[] got = log ? b.logSoftmax(x, rows, cols) : b.softmax(x, rows, cols);
                double[] want = Reference.softmax(x, rows, cols, log);
                float[] dy = new float[x.length];
                for (int i = 0; i < dy.length; i++) {
                    dy[i] = (float) r.nextGaussian();
                }
                float[] yf = new float[x.length];
                for (int i = 0; i < yf.length; i++) {
                    yf[i] = (float) want[i];
                }
                float[] gotBack;
                try (Tensor ty = b.upload(yf, rows, cols); Tensor tdy = b.upload(dy, rows, cols)) {
                    if (log) {
                        b.logSoftmaxBackward(ty, tdy, tdy);
                    } else {
                        b.softmaxBackward(ty, tdy, tdy);
                    }
                    gotBack = tdy.download();
                }
                double[] wantBack = Reference.softmaxBackward(yf, dy, rows, cols, log);
                double[] scale = Reference.softmaxBackwardScale(yf, dy, rows, cols, log);
                for (int i = 0; i < x.length; i++) {
                    double u = Ulp.error(got[i], want[i]);
                    assertTrue(u <= bar, family + (log ? " log_softmax" : " softmax") + " " + rows + "x" + cols
                            + " element " + i + ": got " + got[i] + ", want " + want[i] + " (" + u + " ULP)");
                    double ub = Ulp.errorWithFloor(gotBack[i], wantBack[i], scale[i]);
                    assertTrue(ub <= bar, family + " backward " + cols + " element " + i + ": got " + gotBack[i]
                            + ", want " + wantBack[i] + " (" + ub + " ULP)");
                }
            }
        }
    }
}
