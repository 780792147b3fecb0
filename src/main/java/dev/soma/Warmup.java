package dev.soma;

import java.time.Duration;

/**
 * What {@link Backend#warmup()} did.
 *
 * @param programs the programs the backend holds ready for its operations afterwards (0 on the
 *                 pure-Java path, which has none)
 * @param compiled of them, compiled from source by this call
 * @param loaded   of them, loaded from soma's program binary cache by this call (the rest were
 *                 built before the call)
 * @param cache    the program binary cache folder, or {@code "off"}
 * @param time     how long the call took
 */
public record Warmup(int programs, int compiled, int loaded, String cache, Duration time) {

    /** The pure-Java path's warmup: nothing to build. */
    public static Warmup none(Duration time) {
        return new Warmup(0, 0, 0, "off", time);
    }
}
