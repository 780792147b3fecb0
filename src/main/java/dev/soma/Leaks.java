package dev.soma;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Ownership and leak detection for every native resource soma creates (device buffers, programs,
 * contexts) and for tensors.
 *
 * <p>Each resource registers a release action and gets a {@link Handle}. {@link Handle#close()}
 * releases it exactly once. When the owning object becomes unreachable without having been closed,
 * the release still happens (from the cleaner thread) and the leak is reported: logged as a warning,
 * counted in {@link #leakCount()}, and passed to the listener set with {@link #onLeak(Consumer)},
 * so tests can turn a leak into a failure.
 */
public final class Leaks {

    private static final System.Logger LOG = System.getLogger("dev.soma");
    private static final Cleaner CLEANER = Cleaner.create(r -> {
        Thread t = new Thread(r, "soma-cleaner");
        t.setDaemon(true);
        return t;
    });
    private static final AtomicLong LIVE = new AtomicLong();
    private static final AtomicLong LEAKED = new AtomicLong();
    private static volatile Consumer<String> listener = s -> { };

    private Leaks() {
    }

    /** Resources registered and not yet released. */
    public static long liveCount() {
        return LIVE.get();
    }

    /** Resources that were garbage-collected without being closed, since the JVM started. */
    public static long leakCount() {
        return LEAKED.get();
    }

    /** Receives one description per leak (in addition to the log line); replaces the previous listener. */
    public static void onLeak(Consumer<String> l) {
        listener = l == null ? s -> { } : l;
    }

    /**
     * Registers {@code owner}: when it becomes unreachable while the handle is open, {@code release}
     * runs and a leak of {@code description} is reported. {@code release} must not refer to
     * {@code owner}.
     */
    public static Handle register(Object owner, String description, Runnable release) {
        State state = new State(description, release);
        LIVE.incrementAndGet();
        return new Handle(state, CLEANER.register(owner, state));
    }

    /** The single owner's right to release a resource. */
    public static final class Handle {
        private final State state;
        private final Cleaner.Cleanable cleanable;

        private Handle(State state, Cleaner.Cleanable cleanable) {
            this.state = state;
            this.cleanable = cleanable;
        }

        public boolean isClosed() {
            return state.closedByOwner.get() || state.released.get();
        }

        /** Throws {@link IllegalStateException} naming the resource when it has been closed. */
        public void checkOpen() {
            if (isClosed()) {
                throw new IllegalStateException(state.description + " is closed");
            }
        }

        /** Releases the resource; only the first call does anything. */
        public void close() {
            if (state.closedByOwner.compareAndSet(false, true)) {
                cleanable.clean();
            }
        }
    }

    private static final class State implements Runnable {
        final String description;
        final Runnable release;
        final AtomicBoolean closedByOwner = new AtomicBoolean();
        final AtomicBoolean released = new AtomicBoolean();

        State(String description, Runnable release) {
            this.description = description;
            this.release = release;
        }

        @Override
        public void run() {
            if (!released.compareAndSet(false, true)) {
                return;
            }
            LIVE.decrementAndGet();
            if (!closedByOwner.get()) {
                LEAKED.incrementAndGet();
                String msg = "soma: leak: " + description + " was garbage-collected without close()";
                LOG.log(System.Logger.Level.WARNING, msg);
                try {
                    listener.accept(msg);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "soma: leak listener failed", e);
                }
            }
            try {
                release.run();
            } catch (RuntimeException e) {
                // A release that fails is logged, never thrown from close().
                LOG.log(System.Logger.Level.WARNING, "soma: releasing " + description + " failed: " + e.getMessage(), e);
            }
        }
    }
}
