import Foundation
import RunRecords

/// Where a run stands, read from its directory alone (no process is asked).
public enum RunState: String, Codable, CaseIterable, Sendable {
    /// result.json exists.
    case done
    /// diverged.json exists: the loss became NaN or infinite; training it again repeats that.
    case diverged
    /// A live process holds the run's lock.
    case running
    /// error.json exists and nobody is running it; the next sweep run tries it again.
    case failed
    /// A checkpoint exists but nobody is running it (killed, timed out, or stopped early).
    case interrupted
    /// Nothing has been written yet.
    case missing

    /// The state of the run in `directory`.
    public static func of(directory: String) -> RunState {
        let files = FileManager.default
        if files.fileExists(atPath: "\(directory)/result.json") { return .done }
        if files.fileExists(atPath: "\(directory)/diverged.json") { return .diverged }
        if RunLock.isHeld(directory: directory) { return .running }
        if files.fileExists(atPath: "\(directory)/error.json") { return .failed }
        if files.fileExists(atPath: "\(directory)/checkpoint.safetensors") { return .interrupted }
        return .missing
    }

    /// Finished for good: a sweep does not start it again.
    public var isFinal: Bool { self == .done || self == .diverged }
}

/// Counts of run states over a sweep.
public struct SweepStatus: Equatable, Sendable {
    public var counts: [RunState: Int] = [:]
    public var infeasible = 0
    public var duplicates = 0
    /// Epochs done / epochs planned, over all trainable runs.
    public var epochsDone = 0
    public var epochsPlanned = 0

    public init(plan: SweepPlan) {
        for run in plan.runs {
            switch run.status {
            case .infeasible: infeasible += 1
            case .duplicate: duplicates += 1
            case .run(let config, _):
                let directory = plan.directory(of: run)!
                let state = RunState.of(directory: directory)
                counts[state, default: 0] += 1
                epochsPlanned += config.training.epochs
                epochsDone += state == .done ? config.training.epochs : epochsRecorded(in: directory)
            }
        }
    }

    public var trainable: Int { counts.values.reduce(0, +) }

    public func count(_ state: RunState) -> Int { counts[state] ?? 0 }

    /// "12 runs: 7 done, 1 running, 1 failed, 0 diverged, 1 interrupted, 2 missing (+ 3 infeasible)"
    public var summary: String {
        var text = "\(trainable) runs: " + RunState.allCases.map { "\(count($0)) \($0.rawValue)" }.joined(separator: ", ")
        if infeasible > 0 { text += " (+ \(infeasible) infeasible)" }
        if duplicates > 0 { text += " (+ \(duplicates) entries that repeat another run)" }
        return text
    }
}

/// Epochs in a run's metrics.jsonl (0 if there is none).
public func epochsRecorded(in directory: String) -> Int {
    guard let data = FileManager.default.contents(atPath: "\(directory)/metrics.jsonl") else { return 0 }
    return data.split(separator: 0x0A).count
}
