/// Which entries of a weight tensor a random mask may remove.
public enum MaskPattern: String, RecordedChoice {
    /// A uniform random subset of all entries of the weight tensor.
    case allEntries = "all-entries"
    /// Whole k x k kernels: a uniform random subset of (out, in) channel pairs (paper Appendix C).
    case ioOnly = "io-only"
    public static let field = "mask-pattern"
}

/// How a number of removed weights is spread over the layers (docs/method.md section 2); the
/// arithmetic is Sparsity's `removals(total:layers:)`.
public enum RemovalRule: String, RecordedChoice {
    /// The paper's rule: remove from the largest layers first, levelling them down together.
    case levelDown = "level-down"
    /// The same connectivity in every layer, i.e. removals proportional to layer size.
    case uniform
    /// Erdős-Rényi-kernel (RigL, Evci et al. 2020): a layer's density is proportional to
    /// (sum of its dimensions) / (product of its dimensions), scaled to the budget; layers that
    /// would exceed density 1 stay dense and the scale is solved again for the rest.
    case erk
    public static let field = "rule"
}

/// How masked layers are computed (the numbers are the same function either way).
public enum ExecutionChoice: String, RecordedChoice {
    /// Whichever a short calibration measures faster here, per layer.
    case auto
    /// Masked dense maths: repeats bit for bit on any machine.
    case dense
    /// Kept weights only.
    case sparse
    public static let field = "execution"
}
