package dev.soma.cli;

import dev.soma.Backend;
import dev.soma.Soma;
import dev.soma.Warmup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code soma warmup}: builds every program soma can use on the selected device ahead of time,
 * filling the program binary cache (for deployment images), and says how many came from where.
 */
@Command(name = "warmup", mixinStandardHelpOptions = true,
        description = {"Build every kernel program soma can use on the selected device now, filling the program "
                + "binary cache (soma.cache / SOMA_CACHE, else $XDG_CACHE_HOME/soma or ~/.cache/soma), so that "
                + "later processes load them instead of compiling.",
                "Exit status 0 on success, 2 when the device cannot be opened or a program does not build."})
final class WarmupCommand implements Callable<Integer> {

    @Option(names = "--device", paramLabel = "SELECTOR",
            description = "auto, gpu, cpu, java, P:D or part of a device name (default: soma.device / SOMA_DEVICE, else auto)")
    String device;

    @Override
    public Integer call() {
        long t0 = System.nanoTime();
        String selector = device != null ? device.strip() : Soma.configuredSelector();
        try (Backend b = Soma.open(selector)) {
            Warmup w = b.warmup();
            double total = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "%s: %d programs ready (%d compiled from source, %d loaded from the cache,"
                            + " %d built before) in %.2f s (%.2f s with opening the device)%ncache: %s%n",
                    b.info(), w.programs(), w.compiled(), w.loaded(), w.programs() - w.compiled() - w.loaded(),
                    w.time().toNanos() / 1e9, total, w.cache());
            return 0;
        } catch (RuntimeException e) {
            System.err.println("soma warmup: " + e.getMessage());
            return 2;
        }
    }
}
