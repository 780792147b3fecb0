package dev.soma.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/** Runs a range of independent units over a fork-join pool, split in halves down to a grain. */
final class Parallel {

    /** Work on units [from, to). */
    interface Range {
        void run(int from, int to);
    }

    private Parallel() {
    }

    /**
     * Runs {@code body} over [0, units) in about {@code tasks} pieces on {@code pool}; on the calling
     * thread alone when the pool is null or there is nothing to split.
     */
    static void run(ForkJoinPool pool, int tasks, int units, Range body) {
        if (pool == null || tasks <= 1 || units <= 1) {
            body.run(0, units);
            return;
        }
        int grain = Math.max(1, (units + tasks - 1) / tasks);
        pool.invoke(new Split(body, 0, units, grain));
    }

    private static final class Split extends RecursiveAction {
        private static final long serialVersionUID = 1L;
        private final transient Range body;
        private final int from;
        private final int to;
        private final int grain;

        Split(Range body, int from, int to, int grain) {
            this.body = body;
            this.from = from;
            this.to = to;
            this.grain = grain;
        }

        @Override
        protected void compute() {
            if (to - from <= grain) {
                body.run(from, to);
                return;
            }
            int mid = (from + to) >>> 1;
            invokeAll(new Split(body, from, mid, grain), new Split(body, mid, to, grain));
        }
    }
}
