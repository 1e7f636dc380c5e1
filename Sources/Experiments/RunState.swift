import Foundation
import RunRecords

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
public func epochsRecorded(in directory: String) -> Int { RunDirectory(directory).epochsRecorded }
