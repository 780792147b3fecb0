/* Reference kernels the benchmark measures soma against, on the same device in the same run.
   They are deliberately the plain one-liners a user would write first. */

kernel void soma_baseline_copy(global const REAL* x, global REAL* y, const uint n) {
    const uint i = get_global_id(0);
    if (i < n) {
        y[i] = x[i];
    }
}

kernel void soma_baseline_sigmoid(global const REAL* x, global REAL* y, const uint n) {
    const uint i = get_global_id(0);
    if (i < n) {
        y[i] = 1.0f / (1.0f + exp(-x[i]));
    }
}
