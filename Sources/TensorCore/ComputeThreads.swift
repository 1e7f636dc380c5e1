import CDNNL

/// The number of threads oneDNN's kernels use. Runs default to 1: deterministic, and fastest on a
/// busy shared machine (where small parallel kernels can run far slower than on one thread; on a
/// quiet one two threads gave 1.4-2x); more is an option.
public enum ComputeThreads {
    /// Sets the size of the OpenMP pool that Debian's oneDNN runs on.
    public static func set(_ count: Int) {
        precondition(count >= 1, "thread count must be at least 1")
        omp_set_num_threads(Int32(count))
    }

    /// The current pool size.
    public static var current: Int { Int(omp_get_max_threads()) }
}
