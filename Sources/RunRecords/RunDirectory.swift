import Foundation

/// A run's folder: the one place that knows the names of the files a run writes, where the run
/// stands (read from those files alone), and how to read each record.
///
///     config.json                    the resolved RunConfig (the run id is its hash)
///     masks.safetensors              the masks of the sparse layers, with kept counts and checksums
///     execution.json                 each weight layer's path (dense or sparse) and what chose it
///     run-info.json                  what made the current attempt (program, threads, budget, data files)
///     metrics.jsonl                  one EpochMetrics per finished epoch
///     events.out.tfevents.widesparse the metrics as TensorBoard scalars, and the run's hparams
///     checkpoint.safetensors         weights, batch-norm statistics, momentum; epoch in its metadata
///     result.json                    written last: its presence marks the run done
///     diverged.json                  the loss became NaN or infinite: where; the run stops there
///     labels.json, attempts.jsonl, error.json, lock, worker.log   (sweeps)
///
/// docs/run-folder.md describes every file and field.
public struct RunDirectory: Hashable, Sendable {
    public let path: String

    public init(_ path: String) { self.path = path }

    public enum File: String, CaseIterable, Sendable {
        case config = "config.json"
        case masks = "masks.safetensors"
        case execution = "execution.json"
        case runInfo = "run-info.json"
        case metrics = "metrics.jsonl"
        case events = "events.out.tfevents.widesparse"
        case checkpoint = "checkpoint.safetensors"
        case result = "result.json"
        case diverged = "diverged.json"
        case labels = "labels.json"
        case attempts = "attempts.jsonl"
        case error = "error.json"
        case lock
        case workerLog = "worker.log"
    }

    /// The files training writes (config.json, the sweep's records and logs aside): what
    /// `--restart` removes so the run starts again.
    public static let trainingFiles: [File] = [.result, .checkpoint, .metrics, .masks, .events, .diverged, .execution, .error, .runInfo]

    /// The path of `file` in this run's folder.
    public func path(_ file: File) -> String { "\(path)/\(file.rawValue)" }

    public func has(_ file: File) -> Bool { FileManager.default.fileExists(atPath: path(file)) }

    /// The folder's name: the run id for runs that sweeps and `train` place by id.
    public var name: String { URL(fileURLWithPath: path).lastPathComponent }

    /// Where the run stands, from its files alone (no process is asked).
    public var state: RunState {
        if has(.result) { return .done }
        if has(.diverged) { return .diverged }
        if RunLock.isHeld(directory: path) { return .running }
        if has(.error) { return .failed }
        if has(.checkpoint) { return .interrupted }
        return .missing
    }

    // MARK: Records

    public func config() throws -> RunConfig { try RecordFiles.readJSON(RunConfig.self, from: path(.config)) }
    /// The result of a finished run (nil: not done, or unreadable).
    public func result() -> RunResult? { try? RecordFiles.readJSON(RunResult.self, from: path(.result)) }
    public func divergence() -> RunDivergence? { try? RecordFiles.readJSON(RunDivergence.self, from: path(.diverged)) }
    public func failure() -> RunFailure? { try? RecordFiles.readJSON(RunFailure.self, from: path(.error)) }
    public func labels() -> RunLabels? { try? RecordFiles.readJSON(RunLabels.self, from: path(.labels)) }
    public func runInfo() -> RunInfo? { try? RecordFiles.readJSON(RunInfo.self, from: path(.runInfo)) }
    public func metrics() throws -> [EpochMetrics] { has(.metrics) ? try RecordFiles.readJSONLines(EpochMetrics.self, from: path(.metrics)) : [] }
    public func attempts() -> [RunAttempt] { (try? RecordFiles.readJSONLines(RunAttempt.self, from: path(.attempts))) ?? [] }

    /// Epochs in metrics.jsonl (0 if there is none), counted without decoding.
    public var epochsRecorded: Int {
        FileManager.default.contents(atPath: path(.metrics)).map { $0.split(separator: 0x0A).count } ?? 0
    }

    /// Adds a line to attempts.jsonl (rewritten atomically).
    public func appendAttempt(_ attempt: RunAttempt) throws {
        try RecordFiles.writeJSONLines(attempts() + [attempt], to: path(.attempts))
    }

    /// Removes what training wrote (keeping config.json, the sweep's records and logs), so the run starts again.
    public func clearTraining() throws {
        for file in RunDirectory.trainingFiles where has(file) { try FileManager.default.removeItem(atPath: path(file)) }
    }

    /// Whether `directory` holds a run (a config.json), following no alias link.
    public static func isRun(_ directory: String) -> Bool {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: directory)) == nil && RunDirectory(directory).has(.config)
    }
}
