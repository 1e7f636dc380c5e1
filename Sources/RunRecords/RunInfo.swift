/// run-info.json: what made a run. Written when an attempt starts training (a resumed run
/// rewrites it, so it names the program that trained its last epochs; `firstEpoch` says from
/// where), beside config.json, which says what the run is.
public struct RunInfo: Codable, Equatable, Sendable {
    /// "widesparse" and `WideSparseVersion.release`, and the git commit it was built from.
    public var program: String
    public var release: String
    public var commit: String
    /// Threads of the numerical kernels.
    public var threads: Int
    /// The execution asked for (dense, sparse, auto) and what was chosen (execution.json has each layer).
    public var executionRequested: String
    public var executionChosen: String
    /// The budget and removal rule asked for, before they were resolved to per-layer removals
    /// (nil for a run started from a config alone).
    public var request: RequestedBudget?
    /// The data files read, with their sizes and checksums.
    public var dataFiles: [DataFileRecord]
    public var host: String
    /// The processor model and count ("AMD EPYC x2"): a release build's sums, and so a run's last
    /// bits, follow its vector width (nil in records of 0.9.0).
    public var processor: String?
    /// A ResNet's activation layout inside the network ("blocked16" where the CPU has oneDNN's
    /// compiled blocked kernels, with Winograd when asked; "channelsLast" or "batchLast"
    /// otherwise); nil for MLPs and in records of 0.9.0.
    public var layout: String?
    /// Unix time at which this attempt started, and the first epoch it trained (counted from 1).
    public var started: Double
    public var firstEpoch: Int
    /// A readable name for the run ("mlp-mnist5k-w40-sparse-c0.125-s0"): the run folder's
    /// alias (a symbolic link beside it in a sweep's folder) and TensorBoard's run label.
    public var alias: String

    public init(
        threads: Int, executionRequested: String, executionChosen: String, request: RequestedBudget?,
        dataFiles: [DataFileRecord], host: String, processor: String? = nil, layout: String? = nil,
        started: Double, firstEpoch: Int, alias: String
    ) {
        self.program = "widesparse"
        self.release = WideSparseVersion.release
        self.commit = WideSparseVersion.commit
        self.threads = threads
        self.executionRequested = executionRequested
        self.executionChosen = executionChosen
        self.request = request
        self.dataFiles = dataFiles
        self.host = host
        self.processor = processor
        self.layout = layout
        self.started = started
        self.firstEpoch = firstEpoch
        self.alias = alias
    }
}

/// The budget of a run as it was asked for: `--method`, `--weights` or `--weights-of-width`,
/// `--rule`, `--io-only`, `--last-layer-connectivity`, `--removed`, `--widen-stages`.
public struct RequestedBudget: Codable, Equatable, Sendable {
    public var method: String
    public var weights: Int?
    public var weightsOfWidth: Int?
    /// The removal rule in effect ("level-down" when a sparse budget names none), nil when the
    /// MLP's last-layer connectivity or explicit removals decide instead.
    public var rule: String?
    public var ioOnly: Bool
    public var lastLayerConnectivity: Double?
    public var removed: [Int]?
    public var widenedStages: [Int]?

    public init(
        method: String, weights: Int?, weightsOfWidth: Int?, rule: String?, ioOnly: Bool = false,
        lastLayerConnectivity: Double? = nil, removed: [Int]? = nil, widenedStages: [Int]? = nil
    ) {
        self.method = method
        self.weights = weights
        self.weightsOfWidth = weightsOfWidth
        // The paper's rule is the default wherever a rule decides (docs/method.md section 2).
        self.rule = rule ?? (method == "sparse" && lastLayerConnectivity == nil && removed == nil ? "level-down" : nil)
        self.ioOnly = ioOnly
        self.lastLayerConnectivity = lastLayerConnectivity
        self.removed = removed
        self.widenedStages = widenedStages
    }
}

/// One data file a run read (`Datasets.DataFileDigest` as recorded).
public struct DataFileRecord: Codable, Equatable, Sendable {
    public var path: String
    public var bytes: Int
    /// FNV-1a 64 of the bytes, 16 hex digits; of the listing (relative paths and sizes) for a folder.
    public var fnv1a64: String
    public var ofListing: Bool?

    public init(path: String, bytes: Int, fnv1a64: String, ofListing: Bool?) {
        self.path = path
        self.bytes = bytes
        self.fnv1a64 = fnv1a64
        self.ofListing = ofListing
    }
}
