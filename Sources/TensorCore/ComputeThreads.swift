import CDNNL
import Synchronization

/// The number of threads oneDNN's kernels use. Runs default to 1: deterministic, and fastest on a
/// busy shared machine (where small parallel kernels can run far slower than on one thread; on a
/// quiet one two threads gave 1.4-2x); more is an option.
public enum ComputeThreads {
    private static let chosen = Atomic<Int>(1)

    /// Sets the size of the OpenMP pool that Debian's oneDNN runs on, for every thread.
    public static func set(_ count: Int) {
        precondition(count >= 1, "thread count must be at least 1")
        chosen.store(count, ordering: .relaxed)
        omp_set_num_threads(Int32(count))
    }

    /// The pool size kernels run with.
    public static var current: Int { chosen.load(ordering: .relaxed) }

    /// Makes the calling thread's pool the chosen size. OpenMP keeps the size per calling thread
    /// (libgomp copies it on a thread's first change), and its default is one thread per core:
    /// without this a kernel called from a thread that never set it (a test's, a Dispatch
    /// queue's) ran on two threads here and rounded differently. Called before every kernel is
    /// made (oneDNN fixes a kernel's work split then) and before every kernel runs.
    static func applyToCallingThread() {
        let count = Int32(current)
        if omp_get_max_threads() != count { omp_set_num_threads(count) }
    }
}
