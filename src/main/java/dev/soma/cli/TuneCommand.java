package dev.soma.cli;

import dev.soma.Backend;
import dev.soma.Soma;
import dev.soma.opencl.OpenClBackend;
import dev.soma.opencl.Tuner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code soma tune}: tries candidate kernel settings on the selected OpenCL device, keeps the fastest
 * that passes the correctness check (the defaults unless a candidate is measurably faster) and stores
 * them beside the program cache, where later processes find them.
 */
@Command(name = "tune", mixinStandardHelpOptions = true,
        description = {"Tune the dense kernel (tile sizes, work-group shape, vector width) and the element-wise "
                + "kernels (elements per work-item) for the selected OpenCL device: try candidates, keep the fastest "
                + "that passes the correctness check (the defaults unless a candidate is measurably faster, by "
                + "interleaved pairs), and store the result in the tuning/ folder of the program cache (soma.cache / "
                + "SOMA_CACHE, else $XDG_CACHE_HOME/soma or ~/.cache/soma), where later runs use it.",
                "Exit status 0 on success, 2 when the device cannot be opened or is not an OpenCL device."})
final class TuneCommand implements Callable<Integer> {

    @Option(names = "--device", paramLabel = "SELECTOR",
            description = "auto, gpu, cpu, P:D or part of a device name (default: soma.device / SOMA_DEVICE, else auto)")
    String device;

    @Option(names = "--budget", paramLabel = "SECONDS", defaultValue = "120",
            description = "time for trying candidates, seconds (default ${DEFAULT-VALUE}); the defaults and the final "
                    + "comparison always run")
    double budget;

    @Option(names = "--pairs", paramLabel = "N", defaultValue = "61",
            description = "interleaved pairs comparing the fastest candidate with the defaults (default ${DEFAULT-VALUE})")
    int pairs;

    @Override
    public Integer call() {
        if (!(budget >= 0) || pairs < 3) {
            System.err.println("soma tune: --budget must be >= 0 and --pairs >= 3");
            return 2;
        }
        String selector = device != null ? device.strip() : Soma.configuredSelector();
        try (Backend b = Soma.open(selector)) {
            if (!(b instanceof OpenClBackend be)) {
                System.err.println("soma tune: " + b.info() + " is not an OpenCL device: nothing to tune");
                return 2;
            }
            System.out.println("Tuning " + b.info() + " (budget " + budget + " s)");
            System.out.println("before: " + be.tuning() + "  [" + be.tuningOrigin() + "]");
            Tuner.Options o = new Tuner.Options();
            o.budgetSeconds = budget;
            o.pairs = pairs;
            Tuner.Result r = Tuner.tune(be, o, System.out);
            System.out.println("chosen: " + r.tuning());
            System.out.println("defaults: " + r.defaults());
            System.out.printf(Locale.ROOT, "stored: %s (%.1f s)%n",
                    r.file() == null ? "nowhere: the program cache is off (soma.cache=none)" : r.file(), r.seconds());
            return 0;
        } catch (RuntimeException e) {
            System.err.println("soma tune: " + e.getMessage());
            return 2;
        }
    }
}
