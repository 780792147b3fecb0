package dev.soma.cli;

import dev.soma.Activation;
import dev.soma.ActivationFunction;
import dev.soma.Backend;
import dev.soma.DeviceUnavailableException;
import dev.soma.Soma;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code soma apply}: reads a 1-D or 2-D float32/float64 {@code .npy} array, applies an activation
 * (or its derivative), softmax or log-softmax on the chosen device, and writes the result as
 * {@code .npy} with the input's shape.
 *
 * <p>Every failure prints one line, {@code soma apply: <problem>}, to standard error and exits
 * with 2 (1 for an unexpected failure while computing). The output is written to a temporary file in
 * the output's folder and moved into place only when everything succeeded, so a failing run never
 * leaves a partial file and never touches an existing one.
 */
@Command(name = "apply", mixinStandardHelpOptions = true,
        description = {
            "Apply an activation (or its derivative), softmax or log-softmax to a NumPy .npy array.",
            "Input: 1-D or 2-D, dtype float32 or float64 (<f4, <f8, and big-endian >f4, >f8), .npy format 1.0, 2.0 "
                    + "or 3.0; fortran_order arrays are transposed into C order. float64 is rounded to float32 "
                    + "(soma computes in float32). A 1-D array is one row for softmax.",
            "Output: the input's shape, C order, float32 unless --dtype f8; written atomically."},
        footer = {"", "Examples:",
            "  soma apply -f gelu x.npy -o y.npy",
            "  soma apply -f elu --param alpha=0.5 --derivative x.npy -o dy.npy",
            "  soma apply -f prelu --slopes 0.1,0.2,0.3 x.npy -o y.npy",
            "  soma apply -f noisy_relu --s 0.5 --seed 7 x.npy -o y.npy",
            "  soma apply -f softmax --device java logits.npy -o probs.npy",
            "  cat x.npy | soma apply -f tanh - -o - > y.npy"})
public class Apply implements Callable<Integer> {

    /** Exit status for bad input, arguments or an unusable device. */
    static final int BAD_INPUT = 2;
    /** Exit status for an unexpected failure while computing or writing. */
    static final int FAILED = 1;

    @Parameters(index = "0", paramLabel = "INPUT", description = "the input .npy file, or - for standard input")
    String input;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUTPUT",
            description = "the output .npy file, or - for standard output")
    String output;

    @Option(names = {"-f", "--function"}, required = true, paramLabel = "NAME",
            description = "an activation of the catalogue (gelu, leaky_relu, elu, prelu, noisy_relu, ...), "
                    + "or softmax / log_softmax (per row)")
    String function;

    @Option(names = "--param", paramLabel = "NAME=VALUE",
            description = "a numeric parameter of the function, e.g. alpha=0.5 (repeatable); missing ones take "
                    + "the catalogue's defaults")
    List<String> params = new ArrayList<>();

    @Option(names = "--slopes", paramLabel = "A[,B...]",
            description = "prelu only: one slope, or one per column (default 0.25)")
    String slopes;

    @Option(names = "--s", paramLabel = "S", description = "noisy_relu only: the noise scale s (same as --param s=S; default 1)")
    String noiseScale;

    @Option(names = "--seed", paramLabel = "SEED", description = "noisy_relu only: the noise generator's seed (default 0)")
    String seed;

    @Option(names = "--derivative", description = "compute f'(x) instead of f(x) (activations only)")
    boolean derivative;

    @Option(names = "--device", paramLabel = "SELECTOR",
            description = "auto, gpu, cpu, java, P:D or part of a device name (default: soma.device / SOMA_DEVICE, else auto)")
    String device;

    @Option(names = "--dtype", paramLabel = "f4|f8", defaultValue = "f4",
            description = "the output dtype: f4 (float32, default) or f8 (float64; the values are still float32 results)")
    String dtype;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public Apply() {
    }

    /** A problem with the user's input or arguments: reported in one line, exit status 2. */
    static final class UserError extends Exception {
        private static final long serialVersionUID = 1L;

        UserError(String message) {
            super(message);
        }
    }

    /** What to compute. */
    private record Op(ActivationFunction f, boolean softmax, boolean log) {
    }

    @Override
    public Integer call() {
        try {
            run();
            return 0;
        } catch (UserError | IllegalArgumentException | DeviceUnavailableException e) {
            return fail(BAD_INPUT, e.getMessage());
        } catch (NoSuchFileException e) {
            return fail(BAD_INPUT, "no such file: " + e.getFile());
        } catch (AccessDeniedException e) {
            return fail(BAD_INPUT, "permission denied: " + e.getFile());
        } catch (Npy.FormatException e) {
            return fail(BAD_INPUT, (isStdin() ? "standard input" : input) + ": " + e.getMessage());
        } catch (IOException e) {
            return fail(BAD_INPUT, "I/O error: " + e);
        } catch (RuntimeException e) {
            return fail(FAILED, "failed: " + e);
        }
    }

    private void run() throws UserError, IOException {
        Op op = operation();
        String outDtype = outputDtype();
        Path outPath = isStdout() ? null : checkedOutput();

        Npy.Array a;
        if (isStdin()) {
            a = Npy.read(System.in);
        } else {
            Path in = Path.of(input);
            if (Files.isDirectory(in)) {
                throw new UserError("input " + input + " is a directory, not an .npy file");
            }
            if (!Files.exists(in)) {
                throw new UserError("no such file: " + input);
            }
            a = Npy.read(in);
        }
        String where = isStdin() ? "standard input" : input;
        if (a.ndim() == 0 || a.ndim() > 2) {
            throw new UserError(where + ": shape " + a.shapeString() + " has " + a.ndim()
                    + " dimensions; soma apply takes 1-D or 2-D arrays");
        }
        int rows = a.ndim() == 1 ? 1 : a.shape()[0];
        int cols = a.ndim() == 1 ? a.shape()[0] : a.shape()[1];
        float[] slopesNow = op.f == null ? null : op.f.slopes();
        if (op.f != null && op.f.activation() == Activation.PRELU && a.ndim() == 2 && slopesNow.length != 1
                && slopesNow.length != cols) {
            throw new UserError("prelu has " + slopesNow.length + " slopes but " + where + " has " + cols
                    + " columns; give one slope, or one per column");
        }

        float[] y = compute(op, a.data(), rows, cols);

        if (outPath == null) {
            Npy.write(System.out, y, a.shape(), outDtype);
        } else {
            writeAtomically(outPath, y, a.shape(), outDtype);
        }
    }

    private float[] compute(Op op, float[] x, int rows, int cols) {
        String selector = device != null ? device : Soma.configuredSelector();
        try (Backend b = Soma.open(selector)) {
            if (x.length == 0) {
                return new float[0];
            }
            if (op.softmax) {
                return op.log ? b.logSoftmax(x, rows, cols) : b.softmax(x, rows, cols);
            }
            return derivative ? b.derivative(op.f, x) : b.forward(op.f, x);
        }
    }

    /** The function with its parameters, checked before any file is read. */
    private Op operation() throws UserError {
        String name = function.strip().toLowerCase(Locale.ROOT).replace('-', '_');
        if (name.equals("softmax") || name.equals("log_softmax") || name.equals("logsoftmax")) {
            boolean log = !name.equals("softmax");
            String fn = log ? "log_softmax" : "softmax";
            if (derivative) {
                throw new UserError("--derivative is not available for " + fn
                        + " (its backward pass needs an upstream gradient)");
            }
            if (!params.isEmpty() || slopes != null || noiseScale != null || seed != null) {
                throw new UserError(fn + " takes no parameters (--param, --slopes, --s, --seed)");
            }
            return new Op(null, true, log);
        }
        Activation act = Activation.byName(function);
        String fn = act.catalogueName();
        if (slopes != null && act != Activation.PRELU) {
            throw new UserError("--slopes is for prelu only, not " + fn);
        }
        if ((seed != null || noiseScale != null) && act != Activation.NOISY_RELU) {
            throw new UserError((seed != null ? "--seed" : "--s") + " is for noisy_relu only, not " + fn);
        }
        if (act == Activation.PRELU) {
            if (!params.isEmpty()) {
                throw new UserError("prelu takes its slopes with --slopes A[,B...], not --param");
            }
            return new Op(slopes == null ? Activation.PRELU : Activation.prelu(parseSlopes(slopes)), false, false);
        }
        List<Activation.Param> declared = act.params();
        double[] values = new double[declared.size()];
        boolean[] given = new boolean[declared.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = declared.get(i).defaultValue();
        }
        List<String> all = new ArrayList<>(params);
        if (noiseScale != null) {
            all.add("s=" + noiseScale);
        }
        for (String p : all) {
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new UserError("--param '" + p + "' is not NAME=VALUE");
            }
            String key = p.substring(0, eq).strip();
            String val = p.substring(eq + 1).strip();
            int idx = -1;
            for (int i = 0; i < declared.size(); i++) {
                if (declared.get(i).name().equalsIgnoreCase(key)) {
                    idx = i;
                }
            }
            if (idx < 0) {
                throw new UserError(fn + " has no parameter '" + key + "'; "
                        + (declared.isEmpty() ? "it takes none" : "it takes " + names(declared)));
            }
            if (given[idx]) {
                throw new UserError("parameter " + declared.get(idx).name() + " of " + fn + " is given twice");
            }
            given[idx] = true;
            values[idx] = number(fn + ": parameter " + declared.get(idx).name(), val);
        }
        if (act == Activation.NOISY_RELU) {
            long sd = 0L;
            if (seed != null) {
                try {
                    sd = Long.parseLong(seed.strip());
                } catch (NumberFormatException e) {
                    throw new UserError("--seed '" + seed + "' is not an integer");
                }
            }
            return new Op(Activation.noisyRelu(values[0], sd), false, false);
        }
        return new Op(values.length == 0 ? act : act.with(values), false, false);
    }

    private static String names(List<Activation.Param> ps) {
        List<String> n = new ArrayList<>();
        for (Activation.Param p : ps) {
            n.add(p.name());
        }
        return String.join(", ", n);
    }

    private static double number(String what, String text) throws UserError {
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new UserError(what + ": '" + text + "' is not a number");
        }
    }

    private static float[] parseSlopes(String text) throws UserError {
        String[] parts = text.split(",", -1);
        float[] s = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            s[i] = (float) number("prelu: slope " + (i + 1), parts[i].strip());
        }
        return s;
    }

    private String outputDtype() throws UserError {
        switch (dtype.strip().toLowerCase(Locale.ROOT)) {
            case "f4": case "<f4": case "float32": return "<f4";
            case "f8": case "<f8": case "float64": return "<f8";
            default: throw new UserError("--dtype '" + dtype + "' is not supported; use f4 or f8");
        }
    }

    private Path checkedOutput() throws UserError {
        Path out = Path.of(output).toAbsolutePath();
        if (Files.isDirectory(out)) {
            throw new UserError("output " + output + " is a directory");
        }
        Path dir = out.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new UserError("output folder " + (dir == null ? output : dir) + " does not exist");
        }
        return out;
    }

    /** Writes to a temporary file next to {@code out}, then moves it into place; deletes it on failure. */
    private static void writeAtomically(Path out, float[] y, int[] shape, String dtype) throws IOException {
        Path tmp = Files.createTempFile(out.getParent(), "." + out.getFileName() + ".", ".tmp");
        boolean done = false;
        try {
            try (OutputStream o = Files.newOutputStream(tmp)) {
                Npy.write(o, y, shape, dtype);
            }
            permissions(tmp, out);
            try {
                Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** The temporary file is private (0600); give it the existing output's permissions, else rw-r--r--. */
    private static void permissions(Path tmp, Path out) {
        try {
            Set<PosixFilePermission> p = Files.exists(out) ? Files.getPosixFilePermissions(out)
                    : PosixFilePermissions.fromString("rw-r--r--");
            Files.setPosixFilePermissions(tmp, p);
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system: keep the defaults
        }
    }

    private boolean isStdin() {
        return "-".equals(input);
    }

    private boolean isStdout() {
        return "-".equals(output);
    }

    private int fail(int code, String message) {
        String m = message == null ? "(no message)" : message;
        int nl = m.indexOf('\n');
        if (nl >= 0) {
            m = m.substring(0, nl);
        }
        PrintWriter err = spec != null ? spec.commandLine().getErr() : new PrintWriter(System.err, true);
        err.println("soma apply: " + m);
        err.flush();
        return code;
    }
}
